/** Dropout with an explicit seeded Generator: zeroes each element with probability p and scales the rest by 1/(1-p). */
import { Tensor } from '../tensor.ts';
import type { Generator } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';
import { assertFloat, empty } from './util.ts';
import { mul } from './elementwise.ts';

export function dropout(x: Tensor, p: number, generator: Generator, training = true): Tensor {
  assertFloat('dropout', x);
  if (!(p >= 0 && p <= 1)) throw new ArgumentError('dropout', `p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  const mask = empty(x.shape, x.dtype, x.backend);
  const m = mask.data;
  if (p === 1) {
    m.fill(0);
  } else {
    const keep = 1 / (1 - p);
    for (let i = 0; i < m.length && i < mask.size; i++) m[i] = generator.random() < p ? 0 : keep;
  }
  // the mask is a constant: the product's backward is g * mask
  return mul(x, mask);
}
