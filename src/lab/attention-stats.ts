/**
 * Reading attention probabilities [B, H, T, S] that models keep with captureAttention:
 * per-matrix spectra (rank) and per-head behaviour (entropy, distance attended).
 */
import type { Tensor } from '../engine/index.ts';
import { effectiveRank, numericalRank, singularValues } from './linalg.ts';

/** Every [T, S] matrix of a [B, H, T, S] tensor as float64 arrays, with its (b, h). */
export function matrices(p: Tensor): { b: number; h: number; data: Float64Array }[] {
  const [B, H, T, S] = p.shape as [number, number, number, number];
  const d = p.toTypedArray();
  const out: { b: number; h: number; data: Float64Array }[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const off = (b * H + h) * T * S;
      out.push({ b, h, data: Float64Array.from(d.subarray(off, off + T * S) as ArrayLike<number>) });
    }
  }
  return out;
}

export interface Spectrum {
  /** Singular values, descending. */
  sv: Float64Array;
  numericalRank: number;
  effectiveRank: number;
  /** sigma_min / sigma_max. */
  inverseCondition: number;
}

export function spectrum(data: Float64Array, n: number, eps: number): Spectrum {
  const sv = singularValues(data, n, n);
  return {
    sv,
    numericalRank: numericalRank(sv, n, n, eps),
    effectiveRank: effectiveRank(sv),
    inverseCondition: sv[n - 1]! / sv[0]!,
  };
}

export interface HeadStats {
  /** Mean entropy of the attention rows (nats). */
  entropy: number;
  /** Mean distance |t - s| attended, weighted by the probabilities. */
  distance: number;
  /** Mean probability on the previous position. */
  previous: number;
  /** Mean probability on the own position. */
  self: number;
}

/** Per-head statistics averaged over the batch and the rows t >= minRow (early rows see few keys). */
export function headStats(p: Tensor, minRow = 0): HeadStats[] {
  const [B, H, T, S] = p.shape as [number, number, number, number];
  const d = p.toTypedArray();
  const out: HeadStats[] = [];
  for (let h = 0; h < H; h++) {
    let entropy = 0;
    let distance = 0;
    let previous = 0;
    let self = 0;
    let rows = 0;
    for (let b = 0; b < B; b++) {
      for (let t = minRow; t < T; t++) {
        const off = ((b * H + h) * T + t) * S;
        for (let s = 0; s < S; s++) {
          const x = d[off + s]!;
          if (x > 0) entropy -= x * Math.log(x);
          distance += x * Math.abs(t - s);
        }
        if (t > 0) previous += d[off + t - 1]!;
        self += d[off + t]!;
        rows++;
      }
    }
    out.push({ entropy: entropy / rows, distance: distance / rows, previous: previous / rows, self: self / rows });
  }
  return out;
}
