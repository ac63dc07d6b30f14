/**
 * Constrained generation (HF PrefixConstrainedLogitsProcessor): only the tokens
 * allowed(batchId, ids) returns keep their score, all others get -inf. batchId is
 * the prompt index (rows of one prompt's beams share it). An empty list is an error.
 */
import { ArgumentError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor, type ProcessContext } from '../processor.ts';

export type PrefixAllowedTokensFn = (batchId: number, ids: readonly number[]) => readonly number[];

export class PrefixConstrainedProcessor implements LogitsProcessor {
  readonly name = 'prefix_allowed_tokens_fn';
  constructor(private readonly allowed: PrefixAllowedTokensFn) {}

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const keep = new Uint8Array(vocabSize);
    for (let b = 0; b < rows; b++) {
      const batchId = ctx?.batchIndex[b] ?? b;
      const allowed = this.allowed(batchId, ids[b]!);
      if (allowed.length === 0) {
        throw new ArgumentError(
          this.name,
          `returned no allowed token for batch item ${batchId} (row ${b}); it must allow at least one`,
        );
      }
      keep.fill(0);
      for (const t of allowed) {
        if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
          throw new ArgumentError(this.name, `allowed token ${t} is outside the vocabulary (size ${vocabSize})`);
        }
        keep[t] = 1;
      }
      const off = b * vocabSize;
      for (let v = 0; v < vocabSize; v++) if (keep[v] === 0) scores[off + v] = -Infinity;
    }
  }
}
