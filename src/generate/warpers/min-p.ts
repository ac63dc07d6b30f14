/**
 * Min-p (HF MinPLogitsWarper, after temperature/top-k/top-p): remove tokens with
 * p < min_p * p_max (strict, so ties with the threshold stay), then restore the
 * min_tokens_to_keep most probable ones.
 */
import type { LogitsProcessor } from '../processor.ts';
import { topkIndices } from '../math.ts';
import { requireInRange, requireInt } from '../validate.ts';
import { forEachRowProbs } from './probability-rows.ts';

export class MinPWarper implements LogitsProcessor {
  readonly name = 'min_p';
  readonly minP: number;
  readonly minTokensToKeep: number;
  constructor(minP: number, minTokensToKeep = 1) {
    this.minP = requireInRange('min_p', minP, 0, 1, 'none');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    forEachRowProbs(this.name, ids, scores, vocabSize, (r, p) => {
      let pMax = 0;
      for (let v = 0; v < vocabSize; v++) if (p[v]! > pMax) pMax = p[v]!;
      const threshold = this.minP * pMax;
      const keep = new Set(topkIndices(r, this.minTokensToKeep));
      for (let t = 0; t < vocabSize; t++) if (p[t]! < threshold && !keep.has(t)) r[t] = -Infinity;
    });
  }
}
