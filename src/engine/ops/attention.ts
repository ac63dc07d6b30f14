/**
 * Fused scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention):
 * q [B, H, T, D], k and v [B, Hkv, S, D] (H a multiple of Hkv: grouped-query attention),
 * optional causal masking and an additive (float) or boolean (true = attend) mask that
 * broadcasts to [B, H, T, S]. The output [B, H, T, D] is laid out in memory as [B, T, H, D],
 * so out.transpose(1, 2).reshape(B, T, H·D) is free. Backward recomputes the probabilities
 * from the saved log-sum-exp instead of storing a [T, S] matrix per head.
 */
import type { AttentionLayout } from '../../backends/backend.ts';
import type { FloatArray } from '../dtype.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { broadcastShapes, broadcastStrides, shapesEqual } from '../shape.ts';
import { allocStorage } from '../memory.ts';
import { assertFloat, assertSameDType, empty, sameBackend } from './util.ts';
import { contiguous } from './movement.ts';
import { where } from './elementwise.ts';
import { scalar } from './creation.ts';

export interface AttentionOptions {
  /** Hide keys after each query (query t sees keys <= t + S - T). */
  causal?: boolean;
  /** Additive float mask or boolean mask (true = may attend), broadcastable to [B, H, T, S]. */
  mask?: Tensor | null;
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
}

function layoutOf(t: Tensor): AttentionLayout {
  return { sB: t.strides[0]!, sH: t.strides[1]!, sT: t.strides[2]! };
}

/** Last dim must be contiguous for the kernel; other strides are free. */
function prepare(t: Tensor): Tensor {
  return t.strides[3] === 1 || t.shape[3] === 1 ? t : contiguous(t);
}

function sub(t: Tensor): FloatArray {
  const d = t.data as FloatArray;
  return t.offset === 0 ? d : d.subarray(t.offset);
}

/** A [B, H, T, D] tensor stored as [B, T, H, D]. */
function bthd(b: number, h: number, t: number, d: number, like: Tensor, zero: boolean): Tensor {
  const storage = allocStorage(like.backend, like.dtype, b * h * t * d, zero);
  return new Tensor(storage, [b, h, t, d], [t * h * d, d, h * d, 1], 0);
}

export function scaledDotProductAttention(qIn: Tensor, kIn: Tensor, vIn: Tensor, options: AttentionOptions = {}): Tensor {
  assertFloat('attention', qIn, kIn, vIn);
  assertSameDType('attention', qIn, kIn, vIn);
  const backend = sameBackend('attention', qIn, kIn, vIn);
  if (qIn.ndim !== 4 || kIn.ndim !== 4 || vIn.ndim !== 4) {
    throw new ShapeError('attention', 'q, k and v must be 4-D [B, heads, T, D]', [qIn.shape, kIn.shape, vIn.shape]);
  }
  const [B, H, T, D] = qIn.shape as [number, number, number, number];
  const [kB, Hkv, S, kD] = kIn.shape as [number, number, number, number];
  if (kB !== B || kD !== D || vIn.shape[0] !== B || vIn.shape[1] !== Hkv || vIn.shape[2] !== S || vIn.shape[3] !== D) {
    throw new ShapeError('attention', 'k and v must be [B, Hkv, S, D] with the batch and head size of q', [qIn.shape, kIn.shape, vIn.shape]);
  }
  if (Hkv === 0 || H % Hkv !== 0) throw new ShapeError('attention', `query heads (${H}) must be a multiple of key/value heads (${Hkv})`, [qIn.shape, kIn.shape]);
  const causal = options.causal ?? false;
  if (causal && T > S) throw new ArgumentError('attention', `causal attention needs at least as many keys (${S}) as queries (${T})`);
  const scale = options.scale ?? 1 / Math.sqrt(D);
  let mask: Tensor | null = options.mask ?? null;
  if (mask !== null) {
    sameBackend('attention', qIn, mask);
    if (mask.dtype === 'bool') mask = where(mask, scalar(0, { dtype: qIn.dtype, backend }), scalar(-Infinity, { dtype: qIn.dtype, backend }));
    else if (mask.dtype !== qIn.dtype) throw new DTypeError('attention', `a float mask must have the dtype of q (${qIn.dtype}), got ${mask.dtype}`);
    // the mask must broadcast TO [B, H, T, S] (a larger mask dim would be silently cut short)
    const target = [B, H, T, S];
    if (mask.ndim > 4 || !shapesEqual(broadcastShapes('attention', mask.shape, target), target)) {
      throw new ShapeError('attention', `mask must broadcast to [B, H, T, S] = [${target.join(', ')}]`, [mask.shape]);
    }
  }
  const q = prepare(qIn);
  const k = prepare(kIn);
  const v = prepare(vIn);
  const out = bthd(B, H, T, D, q, false);
  const lse = empty([B, H, T], q.dtype, backend);
  const maskArg = mask === null ? null : {
    data: mask.data as FloatArray,
    offset: mask.offset,
    strides: broadcastStrides(mask.shape, mask.strides, [B, H, T, S]),
  };
  const base = {
    q: sub(q), k: sub(k), v: sub(v), out: out.data as FloatArray, lse: lse.data as FloatArray,
    qLayout: layoutOf(q), kLayout: layoutOf(k), vLayout: layoutOf(v), outLayout: layoutOf(out),
    batch: B, heads: H, kvHeads: Hkv, tq: T, tk: S, headDim: D, scale, causal, mask: maskArg,
  };
  if (out.size > 0) backend.attention(base);
  if (needsGrad(qIn, kIn, vIn)) {
    attach(out, 'attention', [qIn, kIn, vIn], (g) => {
      // gradOut must share out's layout
      let gOut = g;
      if (g.strides.some((s, i) => s !== out.strides[i])) {
        gOut = bthd(B, H, T, D, q, false);
        backend.assign({ data: gOut.data, offset: 0, strides: gOut.strides }, { data: g.data, offset: g.offset, strides: g.strides }, g.shape);
      }
      const gq = bthd(B, H, T, D, q, false);
      const gk = bthd(B, Hkv, S, D, q, false);
      const gv = bthd(B, Hkv, S, D, q, false);
      backend.attentionGrad({
        ...base,
        gradOut: sub(gOut),
        gradQ: gq.data as FloatArray,
        gradK: gk.data as FloatArray,
        gradV: gv.data as FloatArray,
        gradQLayout: layoutOf(gq),
        gradKLayout: layoutOf(gk),
        gradVLayout: layoutOf(gv),
      });
      return [gq, gk, gv];
    });
  }
  return out;
}
