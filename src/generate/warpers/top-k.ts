/**
 * Top-k (HF TopKLogitsWarper): k = min(max(top_k, min_tokens_to_keep), V); every
 * score strictly below the k-th largest becomes -inf. Ties with the k-th value are
 * kept, so more than k tokens can survive (llama.cpp cuts to exactly k instead).
 */
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { kthLargest, row } from '../math.ts';
import { requireInt } from '../validate.ts';

export class TopKWarper implements LogitsProcessor {
  readonly name = 'top_k';
  readonly topK: number;
  constructor(topK: number, minTokensToKeep = 1) {
    requireInt('top_k', topK, 1);
    requireInt('min_tokens_to_keep', minTokensToKeep, 1);
    this.topK = Math.max(topK, minTokensToKeep);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const k = Math.min(this.topK, vocabSize);
    for (let b = 0; b < rows; b++) {
      const r = row(scores, b, vocabSize);
      const threshold = kthLargest(r, k);
      for (let v = 0; v < vocabSize; v++) if (r[v]! < threshold) r[v] = -Infinity;
    }
  }
}
