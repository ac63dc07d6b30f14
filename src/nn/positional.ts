/**
 * Positional information (notes section 9): fixed sinusoidal encodings, rotary embeddings
 * (RoPE, in HF's rotate-half pairing or the original interleaved pairing, with linear and
 * NTK scaling) and ALiBi biases. Learned absolute positions are an Embedding (layers.ts).
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { Tensor } from '../engine/tensor.ts';
import { empty } from '../engine/ops/util.ts';
import { cat, reshape, slice, stack, select } from '../engine/ops/movement.ts';
import { add, mul, neg } from '../engine/ops/elementwise.ts';
import { ConfigError, ShapeError } from '../core/errors.ts';

const f32 = Math.fround;

/** Vaswani et al.: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)). [maxLen, dim]. */
export function sinusoidalTable(
  maxLen: number,
  dim: number,
  backend: Backend,
  dtype: FloatDType = 'float32',
  base = 10000,
): Tensor {
  const t = empty([maxLen, dim], dtype, backend);
  const d = t.data;
  for (let pos = 0; pos < maxLen; pos++) {
    for (let i = 0; i < dim; i += 2) {
      const angle = pos / Math.pow(base, i / dim);
      d[pos * dim + i] = Math.sin(angle);
      if (i + 1 < dim) d[pos * dim + i + 1] = Math.cos(angle);
    }
  }
  return t;
}

export type RopeStyle = 'half' | 'interleaved';

export interface RopeScaling {
  type: 'linear' | 'dynamic';
  factor: number;
}

export interface RopeOptions {
  headDim: number;
  /** Rotate only the first rotaryDim dims of each head (GPT-NeoX partial rotary); default all. */
  rotaryDim?: number;
  theta?: number;
  style?: RopeStyle;
  scaling?: RopeScaling | null;
  /** Context length the model was trained for (needed by dynamic NTK scaling). */
  maxPositions?: number;
}

/** inv_freq[i] = 1 / theta^(2i/d), i < d/2, in float32 as HF computes it. */
export function ropeInverseFrequencies(rotaryDim: number, theta: number): Float64Array {
  const inv = new Float64Array(rotaryDim / 2);
  for (let i = 0; i < rotaryDim / 2; i++) inv[i] = f32(1 / f32(Math.pow(theta, f32((2 * i) / rotaryDim))));
  return inv;
}

/**
 * cos and sin tables [B, 1, T, rotaryDim] for integer positions [B, T] (per-row positions
 * support left padding and packed documents). Pairing follows `style`.
 */
export function ropeTables(
  positions: Tensor,
  options: RopeOptions,
  dtype: FloatDType = 'float32',
): { cos: Tensor; sin: Tensor } {
  if (positions.dtype !== 'int32' || positions.ndim !== 2)
    throw new ShapeError('rope', 'positions must be int32 [B, T]', [positions.shape]);
  const rotaryDim = options.rotaryDim ?? options.headDim;
  if (rotaryDim % 2 !== 0 || rotaryDim > options.headDim)
    throw new ConfigError('rotary_dim', `must be even and <= head_dim (${options.headDim}), got ${rotaryDim}`);
  const [B, T] = positions.shape as [number, number];
  let theta = options.theta ?? 10000;
  const scaling = options.scaling ?? null;
  const pos = positions.toTypedArray();
  let maxPos = 0;
  for (let i = 0; i < pos.length; i++) maxPos = Math.max(maxPos, pos[i]!);
  if (scaling?.type === 'dynamic' && options.maxPositions !== undefined && maxPos + 1 > options.maxPositions) {
    // NTK-aware: stretch the base so the longest wavelength covers the longer context
    const seqLen = maxPos + 1;
    theta =
      theta *
      Math.pow((scaling.factor * seqLen) / options.maxPositions - (scaling.factor - 1), rotaryDim / (rotaryDim - 2));
  }
  const inv = ropeInverseFrequencies(rotaryDim, theta);
  const linearFactor = scaling?.type === 'linear' ? scaling.factor : 1;
  const cos = empty([B, 1, T, rotaryDim], dtype, positions.backend);
  const sin = empty([B, 1, T, rotaryDim], dtype, positions.backend);
  const c = cos.data;
  const s = sin.data;
  const half = rotaryDim / 2;
  for (let r = 0; r < B * T; r++) {
    const p = f32(pos[r]! / linearFactor);
    for (let i = 0; i < half; i++) {
      const angle = f32(p * inv[i]!);
      const cv = Math.cos(angle);
      const sv = Math.sin(angle);
      if ((options.style ?? 'half') === 'half') {
        c[r * rotaryDim + i] = cv;
        c[r * rotaryDim + i + half] = cv;
        s[r * rotaryDim + i] = sv;
        s[r * rotaryDim + i + half] = sv;
      } else {
        c[r * rotaryDim + 2 * i] = cv;
        c[r * rotaryDim + 2 * i + 1] = cv;
        s[r * rotaryDim + 2 * i] = sv;
        s[r * rotaryDim + 2 * i + 1] = sv;
      }
    }
  }
  return { cos, sin };
}

/** The rotation partner of each dim, sign included: half-split (-x2, x1) or interleaved (-x_odd, x_even). */
function rotate(x: Tensor, style: RopeStyle): Tensor {
  const d = x.shape[x.ndim - 1]!;
  if (style === 'half') {
    const x1 = slice(x, -1, 0, d / 2);
    const x2 = slice(x, -1, d / 2, d);
    return cat([neg(x2), x1], -1);
  }
  const pairs = reshape(x, [...x.shape.slice(0, -1), d / 2, 2]);
  const even = select(pairs, -1, 0);
  const odd = select(pairs, -1, 1);
  return reshape(stack([neg(odd), even], -1), x.shape);
}

/**
 * Applies RoPE to q or k [B, H, T, D] with tables from ropeTables: x·cos + rotate(x)·sin on the
 * first rotaryDim dims. Never applied to values (notes section 9).
 */
export function applyRope(x: Tensor, tables: { cos: Tensor; sin: Tensor }, style: RopeStyle = 'half'): Tensor {
  const rotaryDim = tables.cos.shape[3]!;
  const d = x.shape[3]!;
  const part = rotaryDim === d ? x : slice(x, -1, 0, rotaryDim);
  const rotated = add(mul(part, tables.cos), mul(rotate(part, style), tables.sin));
  return rotaryDim === d ? rotated : cat([rotated, slice(x, -1, rotaryDim, d)], -1);
}

/** ALiBi head slopes (Press et al.): geometric in 2^(-8/n), with the paper's interleaving when n is not a power of 2. */
export function alibiSlopes(nHeads: number): number[] {
  const pow2 = (n: number): number[] => {
    const start = Math.pow(2, -8 / n);
    return Array.from({ length: n }, (_, i) => Math.pow(start, i + 1));
  };
  if (Number.isInteger(Math.log2(nHeads))) return pow2(nHeads);
  const closest = Math.pow(2, Math.floor(Math.log2(nHeads)));
  return [
    ...pow2(closest),
    ...pow2(2 * closest)
      .filter((_, i) => i % 2 === 0)
      .slice(0, nHeads - closest),
  ];
}

/**
 * ALiBi additive bias [B, H, T, S]: -slope_h · (qpos - kpos) for keys at or before the query
 * (future keys are left to the causal mask). Positions [B, T] for queries, [B, S] for keys.
 */
export function alibiBias(
  slopes: readonly number[],
  queryPositions: Tensor,
  keyPositions: Tensor,
  dtype: FloatDType = 'float32',
): Tensor {
  const [B, T] = queryPositions.shape as [number, number];
  const S = keyPositions.shape[1]!;
  const H = slopes.length;
  const qp = queryPositions.toTypedArray();
  const kp = keyPositions.toTypedArray();
  const out = empty([B, H, T, S], dtype, queryPositions.backend);
  const d = out.data;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const base = ((b * H + h) * T + t) * S;
        const q = qp[b * T + t]!;
        for (let s = 0; s < S; s++) d[base + s] = -slopes[h]! * Math.max(0, q - kp[b * S + s]!);
      }
    }
  }
  return out;
}
