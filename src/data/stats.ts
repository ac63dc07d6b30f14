/**
 * Corpus statistics for `llmts data stats` on raw inputs: documents, bytes, characters,
 * words, lines, the script mix and malformed input, streamed with the pipeline readers.
 */
import type { InputSpec } from './readers/input-spec.ts';
import { planShards } from './readers/plan.ts';
import { emptyReaderStats, readShard } from './readers/read-shard.ts';
import type { ReaderStats } from './readers/read-shard.ts';
import { identifyScript } from './stages/script-id.ts';

export interface CorpusStats {
  reader: ReaderStats;
  documents: number;
  chars: number;
  words: number;
  lines: number;
  /** documents per dominant script */
  scripts: Record<string, number>;
  /** document length percentiles in characters */
  lengthPercentiles: Record<'p10' | 'p50' | 'p90' | 'max', number>;
}

export async function corpusStats(spec: InputSpec): Promise<CorpusStats> {
  const reader = emptyReaderStats();
  let documents = 0;
  let chars = 0;
  let words = 0;
  let lines = 0;
  const scripts: Record<string, number> = {};
  const lengths: number[] = [];
  for (const sh of planShards(spec)) {
    for await (const batch of readShard(sh, spec, reader)) {
      for (const item of batch) {
        if (item.reject !== undefined) continue;
        const t = item.doc.text;
        documents++;
        chars += t.length;
        lengths.push(t.length);
        words += t.split(/\s+/).filter((w) => w.length > 0).length;
        lines += t.split('\n').length;
        const s = identifyScript(t).script;
        scripts[s] = (scripts[s] ?? 0) + 1;
      }
    }
  }
  lengths.sort((a, b) => a - b);
  const pct = (p: number): number =>
    lengths.length === 0 ? 0 : (lengths[Math.min(lengths.length - 1, Math.floor(p * lengths.length))] as number);
  return {
    reader,
    documents,
    chars,
    words,
    lines,
    scripts,
    lengthPercentiles: { p10: pct(0.1), p50: pct(0.5), p90: pct(0.9), max: lengths[lengths.length - 1] ?? 0 },
  };
}
