/**
 * Locally typical sampling (HF TypicalLogitsWarper, Meister et al. 2022): with
 * H = entropy of softmax(scores), order tokens by |-log p - H| ascending, find
 * last = #(cumulative mass < typical_p) (clamped to V-1) and remove every token whose
 * shifted score is strictly above the one at `last`; the first min_tokens_to_keep in
 * that order always stay.
 */
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { argsort, logSoftmax, row } from '../math.ts';
import { requireInRange, requireInt } from '../validate.ts';

export class TypicalWarper implements LogitsProcessor {
  readonly name = 'typical_p';
  readonly mass: number;
  readonly minTokensToKeep: number;
  constructor(typicalP: number, minTokensToKeep = 1) {
    this.mass = requireInRange('typical_p', typicalP, 0, 1, 'both');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const shifted = new Float32Array(vocabSize); // float32, as HF computes it
    for (let b = 0; b < rows; b++) {
      const r = row(scores, b, vocabSize);
      const logp = logSoftmax(r);
      let ent = 0;
      for (let v = 0; v < vocabSize; v++) if (logp[v]! > -Infinity) ent -= logp[v]! * Math.exp(logp[v]!);
      if (Number.isNaN(ent)) continue;
      for (let v = 0; v < vocabSize; v++) shifted[v] = Math.abs(-logp[v]! - ent);
      const order = argsort(shifted, false);
      let cum = 0;
      let last = 0;
      for (let i = 0; i < vocabSize; i++) {
        cum += Math.exp(logp[order[i]!]!);
        if (cum < this.mass) last++;
      }
      last = Math.min(last, vocabSize - 1);
      const bound = shifted[order[last]!]!;
      for (let i = this.minTokensToKeep; i < vocabSize; i++) {
        const t = order[i]!;
        if (shifted[t]! > bound) r[t] = -Infinity;
      }
    }
  }
}
