/**
 * Token choice from processed scores: greedy argmax (ties -> lowest id, like
 * torch.argmax) and multinomial sampling from softmax(scores) with the seeded
 * Generator. A row whose every score is -inf has no candidate: greedy returns 0 as
 * torch.argmax would, sampling raises a typed error naming the row.
 */
import { ArgumentError } from '../core/errors.ts';
import type { Generator } from '../core/random.ts';
import { argmax, row, softmax } from './math.ts';

export function greedyToken(scores: Float32Array, b: number, vocabSize: number): number {
  return argmax(row(scores, b, vocabSize));
}

export function sampleToken(scores: Float32Array, b: number, vocabSize: number, rng: Generator): number {
  const r = row(scores, b, vocabSize);
  const p = softmax(r);
  let total = 0;
  for (let v = 0; v < vocabSize; v++) total += p[v]!;
  if (!(total > 0)) {
    throw new ArgumentError(
      'sample',
      `row ${b} has no candidate token (every score is -inf or NaN after the logits processors); relax the constraints`,
    );
  }
  return rng.categorical(p);
}

/**
 * k distinct draws without replacement from softmax(weights) (torch.multinomial with
 * replacement=False): each draw renormalizes over what is left. Used by beam
 * sampling. If fewer than k entries have mass, the rest are filled by the highest
 * remaining scores in order.
 */
export function sampleWithoutReplacement(weights: ArrayLike<number>, k: number, rng: Generator): Int32Array {
  const p = softmax(weights);
  const out = new Int32Array(k);
  const taken = new Uint8Array(p.length);
  for (let i = 0; i < k; i++) {
    let total = 0;
    for (let v = 0; v < p.length; v++) if (taken[v] === 0) total += p[v]!;
    let pick: number;
    if (total > 0) {
      const masked = p.map((x, v) => (taken[v] === 0 ? x : 0));
      pick = rng.categorical(masked);
    } else {
      pick = -1;
      for (let v = 0; v < p.length; v++) {
        if (taken[v] === 0 && (pick < 0 || weights[v]! > weights[pick]!)) pick = v;
      }
    }
    out[i] = pick;
    taken[pick] = 1;
  }
  return out;
}
