/**
 * Progress for long work (training, tokenizer training, data pipelines). On a terminal: a bar
 * on top of cli-progress, redrawn in place, with rate and ETA. Without one (nohup, CI, a pipe
 * to tee): one line on stderr every LLMTS_PROGRESS_INTERVAL seconds (default 10) with the
 * count, rate, ETA and the caller's fields (loss, ...), and a last line when the work ends;
 * work shorter than the interval prints nothing. LLMTS_NO_PROGRESS=1 silences both (tests).
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
  /** Draw the bar even when stderr is not a TTY (instead of periodic lines). */
  force?: boolean;
}

export interface Progress {
  /** Sets the current count and optional extra fields shown after the bar (e.g. { loss: '2.31' }). */
  update(value: number, fields?: Record<string, string | number>): void;
  increment(delta?: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

const silent: Progress = { update() {}, increment() {}, stop() {} };

/** 95 -> "1m35s", 7265 -> "2h01m", 12 -> "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? rate.toFixed(0) : rate >= 1 ? rate.toFixed(2) : rate.toPrecision(2);
}

/** Seconds between progress lines when stderr is not a terminal. */
function lineInterval(): number {
  const v = Number(process.env['LLMTS_PROGRESS_INTERVAL'] ?? '10');
  return Number.isFinite(v) && v >= 0 ? v : 10;
}

/**
 * Periodic one-line logs: `label: step 120/2000 (6%), 4.21 step/s, ETA 7m26s, loss 2.3101`.
 * The rate counts from the first value seen (a resumed run starts part-way), the ETA from it.
 */
function lineProgress(total: number, options: ProgressOptions, write: (line: string) => void): Progress {
  const interval = lineInterval() * 1000;
  const start = performance.now();
  let first: number | undefined;
  let current = 0;
  let lastLine = start;
  let printed = 0;
  let extra = '';
  const line = (final: boolean): void => {
    const secs = (performance.now() - start) / 1000;
    const done = current - (first ?? 0);
    const rate = secs > 0 ? done / secs : 0;
    const pct = total > 0 ? ` (${Math.floor((100 * current) / total)}%)` : '';
    const eta = final
      ? `done in ${formatDuration(secs)}`
      : `ETA ${rate > 0 ? formatDuration((total - current) / rate) : '?'}`;
    write(
      `${options.label}: ${options.unit} ${current}/${total}${pct}, ${formatRate(rate)} ${options.unit}/s, ${eta}${extra ? `, ${extra}` : ''}`,
    );
    printed++;
    lastLine = performance.now();
  };
  const set = (value: number, fields?: Record<string, string | number>): void => {
    first ??= value;
    current = value;
    if (fields)
      extra = Object.entries(fields)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    if (performance.now() - lastLine >= interval && current > first) line(false);
  };
  return {
    update: set,
    increment(delta = 1, fields) {
      first ??= current;
      set(current + delta, fields);
    },
    stop() {
      if (printed > 0) line(true);
    },
  };
}

export function createProgress(total: number, options: ProgressOptions): Progress {
  if (process.env['LLMTS_NO_PROGRESS'] === '1' && options.force !== true) return silent;
  if (options.force !== true && process.stderr.isTTY !== true)
    return lineProgress(total, options, (l) => process.stderr.write(`${l}\n`));
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
