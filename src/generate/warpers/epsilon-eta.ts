/**
 * Truncation sampling (Hewitt et al. 2022), HF EpsilonLogitsWarper and
 * EtaLogitsWarper. Epsilon removes tokens with p < epsilon; eta removes p < eta with
 * eta = min(epsilon, sqrt(epsilon) * exp(-H)), H the entropy of the distribution.
 * Both keep every token scoring at least the min_tokens_to_keep-th largest score.
 */
import type { LogitsProcessor } from '../processor.ts';
import { kthLargest } from '../math.ts';
import { requireInRange, requireInt } from '../validate.ts';
import { forEachRowProbs } from './probability-rows.ts';

function cutBelow(r: Float32Array, p: Float64Array, cutoff: number, minKeep: number): void {
  const keepAbove = kthLargest(r, minKeep);
  for (let v = 0; v < r.length; v++) if (p[v]! < cutoff && r[v]! < keepAbove) r[v] = -Infinity;
}

export class EpsilonWarper implements LogitsProcessor {
  readonly name = 'epsilon_cutoff';
  readonly epsilon: number;
  readonly minTokensToKeep: number;
  constructor(epsilon: number, minTokensToKeep = 1) {
    this.epsilon = requireInRange('epsilon_cutoff', epsilon, 0, 1, 'both');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    forEachRowProbs(this.name, ids, scores, vocabSize, (r, p) => cutBelow(r, p, this.epsilon, this.minTokensToKeep));
  }
}

export class EtaWarper implements LogitsProcessor {
  readonly name = 'eta_cutoff';
  readonly epsilon: number;
  readonly minTokensToKeep: number;
  constructor(eta: number, minTokensToKeep = 1) {
    this.epsilon = requireInRange('eta_cutoff', eta, 0, 1, 'both');
    this.minTokensToKeep = requireInt('min_tokens_to_keep', minTokensToKeep, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    forEachRowProbs(this.name, ids, scores, vocabSize, (r, p) => {
      let h = 0;
      for (let v = 0; v < vocabSize; v++) if (p[v]! > 0) h -= p[v]! * Math.log(p[v]!);
      const eta = Math.min(this.epsilon, Math.sqrt(this.epsilon) * Math.exp(-h));
      cutBelow(r, p, eta, this.minTokensToKeep);
    });
  }
}
