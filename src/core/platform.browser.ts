/**
 * The browser implementation of ./platform.ts (same exports), swapped in by the browser build
 * (scripts/build-browser.mjs). Files come from URLs (fetch), user-picked Files (Blob) or bytes;
 * the package's own files (the wasm kernels) sit beside the bundle; workers are Web Workers
 * started from a Blob URL. Environment variables can be given to the page through
 * `globalThis.LLMTS_ENV` (an object of strings), e.g. { LLMTS_THREADS: '2' }.
 */
import { IOError } from './errors.ts';

export const platformName: 'node' | 'browser' = 'browser';

export type FileSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

/** The Web Worker API, typed here because the project compiles without the DOM library. */
interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (e: { message: string }) => void): void;
  terminate(): void;
  /** Whether a pending message from this worker keeps the process alive (Node; a page always waits). */
  keepAlive(on: boolean): void;
}

interface BrowserGlobals {
  LLMTS_ENV?: Record<string, string | undefined>;
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string, options: { name: string }) => WebWorker;
}

const g = globalThis as unknown as BrowserGlobals;

export function envVar(name: string): string | undefined {
  return g.LLMTS_ENV?.[name];
}

export function cpuCount(): number {
  return Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
}

export function warnLine(line: string): void {
  console.warn(line);
}

export function sourceName(source: FileSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return typeof File !== 'undefined' && source instanceof File ? source.name : '<blob>';
  return '<bytes>';
}

export function bytesOf(source: ArrayBuffer | ArrayBufferView): Uint8Array {
  return source instanceof ArrayBuffer
    ? new Uint8Array(source)
    : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
}

export async function readSource(source: FileSource, maxBytes = 2 ** 32): Promise<Uint8Array> {
  const name = sourceName(source);
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return bytesOf(source);
  if (source instanceof Blob) {
    if (source.size > maxBytes) throw new IOError(name, `${source.size} bytes, more than the ${maxBytes} allowed`);
    return new Uint8Array(await source.arrayBuffer());
  }
  let res: Response;
  try {
    // a relative string is relative to the page, as fetch resolves it
    res = await fetch(source);
  } catch (err) {
    throw new IOError(name, `cannot fetch: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new IOError(name, `HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > maxBytes) throw new IOError(name, `${bytes.length} bytes, more than the ${maxBytes} allowed`);
  return bytes;
}

export async function readSourceText(source: FileSource, maxBytes?: number): Promise<string> {
  return new TextDecoder('utf-8').decode(await readSource(source, maxBytes));
}

export function readPackageFile(relative: string): Uint8Array {
  throw new IOError(relative, 'a page cannot read files synchronously: load it with readSource (await)');
}

/** Package files are copied beside the bundle (wasm/llmts.wasm -> llmts.wasm next to llmts.js). */
export function packageFileSource(relative: string): FileSource {
  const base = relative.split('/').pop() ?? relative;
  return new URL(`./${base}`, import.meta.url);
}

export function loadNativeAddon(file: string): unknown {
  throw new IOError(file, 'native addons do not run in a browser (use the wasm backend)');
}

export interface PlatformWorker {
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  terminate(): void;
  /** Whether a pending message from this worker keeps the process alive (Node; a page always waits). */
  keepAlive(on: boolean): void;
}

/** Threads need a shared memory that can be posted to workers: a cross-origin isolated page. */
export function sharedMemoryThreads(): boolean {
  return g.crossOriginIsolated === true && g.Worker !== undefined;
}

export function startWorker(body: string, name: string): PlatformWorker {
  const code =
    `(${body})((m) => self.postMessage(m), (f) => { self.onmessage = (e) => f(e.data); });\n` +
    `//# sourceURL=${name}.js\n`;
  const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  if (g.Worker === undefined) throw new IOError(name, 'this page has no Web Workers');
  const w = new g.Worker(url, { name });
  URL.revokeObjectURL(url);
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (f) => w.addEventListener('message', (e) => f(e.data)),
    onError: (f) => w.addEventListener('error', (e) => f(new Error(e.message))),
    terminate: () => w.terminate(),
    keepAlive: () => {},
  };
}
