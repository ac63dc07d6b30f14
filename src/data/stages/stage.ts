/**
 * A stage is one small, composable unit: it looks at one document and either keeps it
 * (possibly rewriting doc.text / doc.metadata) or rejects it with a reason string.
 * The runner measures documents and bytes in/out and time per stage; a stage adds its
 * own counters (lines dropped, emails redacted, ...) through `count`.
 */
import type { Document } from '../document.ts';

export type Counters = Record<string, number>;

export interface Stage {
  /** Config type name, e.g. "gopher_quality"; used in reports and rejection records. */
  readonly name: string;
  /**
   * Returns undefined to keep the document, or the reason it is rejected.
   * `count(key, n)` adds to this stage's own counters.
   */
  apply(doc: Document, count: (key: string, n?: number) => void): string | undefined;
  /** Called before the first document of each input shard (stages with per-shard state). */
  startShard?(): void;
}

export interface StageStats {
  name: string;
  docsIn: number;
  docsOut: number;
  bytesIn: number;
  bytesOut: number;
  timeMs: number;
  /** Rejections by reason string. */
  rejected: Counters;
  /** The stage's own counters. */
  counters: Counters;
}

export function emptyStageStats(name: string): StageStats {
  return { name, docsIn: 0, docsOut: 0, bytesIn: 0, bytesOut: 0, timeMs: 0, rejected: {}, counters: {} };
}

export function addCount(c: Counters, key: string, n = 1): void {
  c[key] = (c[key] ?? 0) + n;
}

export function mergeStageStats(into: StageStats, from: StageStats): void {
  into.docsIn += from.docsIn;
  into.docsOut += from.docsOut;
  into.bytesIn += from.bytesIn;
  into.bytesOut += from.bytesOut;
  into.timeMs += from.timeMs;
  for (const [k, v] of Object.entries(from.rejected)) addCount(into.rejected, k, v);
  for (const [k, v] of Object.entries(from.counters)) addCount(into.counters, k, v);
}
