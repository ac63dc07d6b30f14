/**
 * Progress bars for long work (training, tokenizer training, data pipelines), on top of
 * cli-progress. Shows rate and ETA; silent when stderr is not a terminal unless forced,
 * so logs and tests stay clean.
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';

// loaded on first use (a bar is drawn only on a terminal): keeps the CLI's start-up short
let cliProgress: typeof CliProgress | undefined;
function loadCliProgress(): typeof CliProgress {
  cliProgress ??= createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
  return cliProgress;
}

export interface ProgressOptions {
  /** What is being counted ("step", "MB", "doc"). */
  unit: string;
  /** Label at the left of the bar. */
  label: string;
  /** Show even when stderr is not a TTY (a line per update is then avoided: it redraws in place only on TTYs). */
  force?: boolean;
}

export interface Progress {
  /** Sets the current count and optional extra fields shown after the bar (e.g. { loss: '2.31' }). */
  update(value: number, fields?: Record<string, string | number>): void;
  increment(delta?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

const silent: Progress = { update() {}, increment() {}, stop() {} };

export function createProgress(total: number, options: ProgressOptions): Progress {
  const enabled = options.force === true || (process.stderr.isTTY === true && process.env['LLMTS_NO_PROGRESS'] !== '1');
  if (!enabled) return silent;
  const bars = loadCliProgress();
  const bar = new bars.SingleBar(
    {
      stream: process.stderr,
      format: `${options.label} [{bar}] {value}/{total} ${options.unit} | {rate} ${options.unit}/s | ETA {eta_formatted} {extra}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    bars.Presets.shades_classic,
  );
  const start = performance.now();
  let extra = '';
  const fmt = (fields?: Record<string, string | number>): void => {
    if (fields)
      extra = Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join(' ');
  };
  bar.start(total, 0, { rate: '0', extra });
  let current = 0;
  const payload = (): Record<string, string> => {
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? current / secs : 0;
    return { rate: rate >= 100 ? rate.toFixed(0) : rate.toFixed(2), extra };
  };
  return {
    update(value, fields) {
      current = value;
      fmt(fields);
      bar.update(value, payload());
    },
    increment(delta = 1, fields) {
      current += delta;
      fmt(fields);
      bar.update(current, payload());
    },
    stop() {
      bar.stop();
    },
  };
}
