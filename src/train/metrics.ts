/**
 * Metrics as JSON Lines: one object per event ({"step":10,"loss":2.31,...}) appended to
 * metrics.jsonl in the run directory, readable by any plotting tool. A resumed run appends
 * to the same file after dropping records past the checkpoint's step, so the file always
 * describes one consistent run.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../core/atomic.ts';

export type MetricRecord = Record<string, number | string | boolean | null>;

export class MetricsLog {
  constructor(readonly path: string) {}

  append(record: MetricRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Every record in the file (skipping a torn last line from an interrupted write). */
  read(): MetricRecord[] {
    if (!existsSync(this.path)) return [];
    const out: MetricRecord[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as MetricRecord);
      } catch {
        // a line cut by an interruption: ignore it
      }
    }
    return out;
  }

  /** Drops records whose step is beyond `step` (resuming from a checkpoint at `step`). */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = this.read().filter((r) => typeof r['step'] !== 'number' || (r['step'] as number) <= step);
    writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}

/** Series for a plot: (step, value) pairs of one metric, optionally only records of one kind. */
export function seriesOf(records: readonly MetricRecord[], key: string, kind?: string): [number, number][] {
  const out: [number, number][] = [];
  for (const r of records) {
    if (kind !== undefined && r['kind'] !== kind) continue;
    const step = r['step'];
    const v = r[key];
    if (typeof step === 'number' && typeof v === 'number' && Number.isFinite(v)) out.push([step, v]);
  }
  return out;
}
