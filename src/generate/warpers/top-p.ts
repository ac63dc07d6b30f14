/**
 * Top-p / nucleus (HF TopPLogitsWarper): sort ascending, cum = cumsum(softmax);
 * remove the sorted tokens with cum <= 1 - top_p, but always keep the last
 * min_tokens_to_keep (the most probable). The kept set is the smallest set of top
 * tokens whose mass is >= top_p, the token that crosses top_p included. Among tied
 * probabilities the ascending sort is stable (by id), so at the boundary the lower id
 * is removed first, as torch's stable sort does.
 */
import type { LogitsProcessor } from '../processor.ts';
import { argsort } from '../math.ts';
import { requireInRange, requireInt } from '../validate.ts';
import { forEachRowProbs } from './probability-rows.ts';

export class TopPWarper implements LogitsProcessor {
  readonly name = 'top_p';
  readonly topP: number;
  readonly minTokensToKeep: number;
  constructor(topP: number, minTokensToKeep = 1) {
    this.topP = requireInRange('top_p', topP, 0, 1, 'none');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const cut = 1 - this.topP;
    const minKeep = Math.min(this.minTokensToKeep, vocabSize);
    forEachRowProbs(this.name, ids, scores, vocabSize, (r, p) => {
      let total = 0;
      let pMax = 0;
      for (let v = 0; v < vocabSize; v++) {
        total += p[v]!;
        if (p[v]! > pMax) pMax = p[v]!;
      }
      // Sorting the whole vocabulary is the slow part, so sort only S = {p >= tau}, with tau
      // low enough that everything below it is removed anyway: those tokens come first in
      // ascending order and their mass total - mass(S) is <= 1 - top_p.
      let tau = pMax * 1e-4;
      let members: number[];
      for (;;) {
        members = [];
        let mass = 0;
        for (let v = 0; v < vocabSize; v++) {
          if (p[v]! >= tau) {
            members.push(v);
            mass += p[v]!;
          }
        }
        if ((total - mass <= cut && members.length >= minKeep) || tau === 0) break;
        tau = tau > pMax * 1e-30 ? tau / 1e4 : 0;
      }
      let cum = 0;
      if (members.length < vocabSize) {
        const inS = new Uint8Array(vocabSize);
        for (const v of members) inS[v] = 1;
        for (let v = 0; v < vocabSize; v++) {
          if (inS[v] === 0) {
            cum += p[v]!;
            r[v] = -Infinity;
          }
        }
      }
      const order = argsort(
        members.map((v) => r[v]!),
        false,
      );
      const keepFrom = members.length - minKeep;
      for (let i = 0; i < members.length; i++) {
        const t = members[order[i]!]!;
        cum += p[t]!;
        if (cum <= cut && i < keepFrom) r[t] = -Infinity;
      }
    });
  }
}
