/**
 * Node globals some modules use, for the browser build (injected by scripts/build-browser.mjs):
 * Buffer (the npm `buffer` package, the standard browser implementation) and a small
 * `process` (environment from globalThis.LLMTS_ENV, stdout/stderr to the console).
 */
import { Buffer as BrowserBuffer } from 'buffer';

const env = (globalThis as { LLMTS_ENV?: Record<string, string | undefined> }).LLMTS_ENV ?? {};

const browserProcess = {
  env,
  argv: [] as string[],
  platform: 'browser',
  version: 'v20.0.0',
  versions: {} as Record<string, string>,
  exitCode: undefined as number | undefined,
  cwd: (): string => '/',
  hrtime: Object.assign(
    (): [number, number] => {
      const t = performance.now();
      return [Math.floor(t / 1000), Math.round((t % 1000) * 1e6)];
    },
    { bigint: (): bigint => BigInt(Math.round(performance.now() * 1e6)) },
  ),
  memoryUsage: (): { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number } => ({
    rss: 0,
    heapUsed: 0,
    heapTotal: 0,
    external: 0,
    arrayBuffers: 0,
  }),
  stdout: { isTTY: false, columns: 80, write: (s: string): boolean => (console.log(s.replace(/\n$/, '')), true) },
  stderr: { isTTY: false, columns: 80, write: (s: string): boolean => (console.warn(s.replace(/\n$/, '')), true) },
  on: (): void => {},
  once: (): void => {},
  off: (): void => {},
  emitWarning: (w: string): void => console.warn(w),
  nextTick: (f: (...a: unknown[]) => void, ...a: unknown[]): void => void queueMicrotask(() => f(...a)),
};

export { BrowserBuffer as Buffer, browserProcess as process };
