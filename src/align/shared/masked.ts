/**
 * Statistics over the valid (mask = 1) entries of a padded batch, as TRL's masked_mean,
 * masked_var and masked_whiten (detail 19-20 of docs/rlhf.md): padding never shifts a mean
 * or a variance. Arrays are row-major [B, R]; the mask is 1 for response tokens.
 */
import { ArgumentError } from '../../core/errors.ts';

export function maskedSum(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) if (mask[i] !== 0) s += x[i]!;
  return s;
}

export function maskCount(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

export function maskedMean(x: ArrayLike<number>, mask: ArrayLike<number>): number {
  const n = maskCount(mask);
  if (n === 0) throw new ArgumentError('maskedMean', 'the mask selects no element');
  return maskedSum(x, mask) / n;
}

/** Variance of the valid entries; unbiased (n / (n - 1)) by default, which needs n >= 2. */
export function maskedVar(x: ArrayLike<number>, mask: ArrayLike<number>, unbiased = true): number {
  const n = maskCount(mask);
  if (n === 0) throw new ArgumentError('maskedVar', 'the mask selects no element');
  if (unbiased && n < 2) throw new ArgumentError('maskedVar', 'an unbiased variance needs at least 2 valid elements');
  const mean = maskedSum(x, mask) / n;
  let ss = 0;
  for (let i = 0; i < x.length; i++) if (mask[i] !== 0) ss += (x[i]! - mean) ** 2;
  return ss / (unbiased ? n - 1 : n);
}

/**
 * (x - mean) / sqrt(var + 1e-8) over valid entries; with shiftMean false the mean is added
 * back (TRL's reward whitening). Masked entries come out 0.
 */
export function maskedWhiten(x: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true): Float32Array {
  const mean = maskedMean(x, mask);
  const inv = 1 / Math.sqrt(maskedVar(x, mask) + 1e-8);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    if (mask[i] === 0) continue;
    out[i] = (x[i]! - mean) * inv + (shiftMean ? 0 : mean);
  }
  return out;
}
