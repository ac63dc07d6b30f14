/**
 * Top-p / nucleus (HF TopPLogitsWarper): sort ascending, cum = cumsum(softmax);
 * remove the sorted tokens with cum <= 1 - top_p, but always keep the last
 * min_tokens_to_keep (the most probable). The kept set is the smallest set of top
 * tokens whose mass is >= top_p, the token that crosses top_p included. Among tied
 * probabilities the ascending sort is stable (by id), so at the boundary the lower id
 * is removed first, as torch's stable sort does.
 */
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { argsort, row, softmax } from '../math.ts';
import { requireInRange, requireInt } from '../validate.ts';

export class TopPWarper implements LogitsProcessor {
  readonly name = 'top_p';
  readonly topP: number;
  readonly minTokensToKeep: number;
  constructor(topP: number, minTokensToKeep = 1) {
    this.topP = requireInRange('top_p', topP, 0, 1, 'none');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const cut = 1 - this.topP;
    for (let b = 0; b < rows; b++) {
      const r = row(scores, b, vocabSize);
      const order = argsort(r, false);
      const p = softmax(r);
      let cum = 0;
      const keepFrom = vocabSize - Math.min(this.minTokensToKeep, vocabSize);
      for (let i = 0; i < vocabSize; i++) {
        const t = order[i]!;
        cum += p[t]!;
        if (cum <= cut && i < keepFrom) r[t] = -Infinity;
      }
    }
  }
}
