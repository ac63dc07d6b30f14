/**
 * Fused scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention):
 * q [B, H, T, D], k and v [B, Hkv, S, D] (H a multiple of Hkv: grouped-query attention),
 * optional causal masking and an additive (float) or boolean (true = attend) mask that
 * broadcasts to [B, H, T, S]. The output [B, H, T, D] is laid out in memory as [B, T, H, D],
 * so out.transpose(1, 2).reshape(B, T, H·D) is free. Backward recomputes the probabilities
 * from the saved log-sum-exp instead of storing a [T, S] matrix per head.
 */
import type { AttentionArgs, AttentionLayout } from '../../backends/backend.ts';
import type { FloatArray } from '../../core/dtype.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { broadcastShapes, broadcastStrides, shapesEqual } from '../shape.ts';
import { allocStorage } from '../memory.ts';
import { assertFloat, assertSameDType, empty, sameBackend } from './util.ts';
import { contiguous, expand, reshape, slice, transpose, unsqueeze } from './movement.ts';
import { add, eq, gt, mul, where } from './elementwise.ts';
import { matmul } from './matmul.ts';
import { max } from './reduce.ts';
import { softmax } from './softmax.ts';
import { noGrad } from '../grad-mode.ts';
import { arange, scalar } from './creation.ts';

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

/** Validated inputs of one attention call; `mask` is additive float (bool masks converted) or null. */
interface Checked {
  B: number;
  H: number;
  Hkv: number;
  T: number;
  S: number;
  D: number;
  causal: boolean;
  scale: number;
  mask: Tensor | null;
}

function check(qIn: Tensor, kIn: Tensor, vIn: Tensor, options: AttentionOptions): Checked {
  assertFloat('attention', qIn, kIn, vIn);
  assertSameDType('attention', qIn, kIn, vIn);
  const backend = sameBackend('attention', qIn, kIn, vIn);
  if (qIn.ndim !== 4 || kIn.ndim !== 4 || vIn.ndim !== 4) {
    throw new ShapeError('attention', 'q, k and v must be 4-D [B, heads, T, D]', [qIn.shape, kIn.shape, vIn.shape]);
  }
  const [B, H, T, D] = qIn.shape as [number, number, number, number];
  const [kB, Hkv, S, kD] = kIn.shape as [number, number, number, number];
  if (kB !== B || kD !== D || vIn.shape[0] !== B || vIn.shape[1] !== Hkv || vIn.shape[2] !== S || vIn.shape[3] !== D) {
    throw new ShapeError('attention', 'k and v must be [B, Hkv, S, D] with the batch and head size of q', [
      qIn.shape,
      kIn.shape,
      vIn.shape,
    ]);
  }
  if (Hkv === 0 || H % Hkv !== 0)
    throw new ShapeError('attention', `query heads (${H}) must be a multiple of key/value heads (${Hkv})`, [
      qIn.shape,
      kIn.shape,
    ]);
  const causal = options.causal ?? false;
  if (causal && T > S)
    throw new ArgumentError('attention', `causal attention needs at least as many keys (${S}) as queries (${T})`);
  const scale = options.scale ?? 1 / Math.sqrt(D);
  let mask: Tensor | null = options.mask ?? null;
  if (mask !== null) {
    sameBackend('attention', qIn, mask);
    if (mask.dtype === 'bool')
      mask = where(mask, scalar(0, { dtype: qIn.dtype, backend }), scalar(-Infinity, { dtype: qIn.dtype, backend }));
    else if (mask.dtype !== qIn.dtype)
      throw new DTypeError('attention', `a float mask must have the dtype of q (${qIn.dtype}), got ${mask.dtype}`);
    // the mask must broadcast TO [B, H, T, S] (a larger mask dim would be silently cut short)
    const target = [B, H, T, S];
    if (mask.ndim > 4 || !shapesEqual(broadcastShapes('attention', mask.shape, target), target)) {
      throw new ShapeError('attention', `mask must broadcast to [B, H, T, S] = [${target.join(', ')}]`, [mask.shape]);
    }
  }
  return { B, H, Hkv, T, S, D, causal, scale, mask };
}

/** Runs the fused forward kernel; returns the output ([B, T, H, D] memory), and the kernel arguments for the backward. */
function fusedForward(q: Tensor, k: Tensor, v: Tensor, c: Checked): { out: Tensor; args: AttentionArgs } {
  const out = bthd(c.B, c.H, c.T, c.D, q, false);
  const lse = empty([c.B, c.H, c.T], q.dtype, q.backend);
  const mask = c.mask;
  const args: AttentionArgs = {
    q: sub(q),
    k: sub(k),
    v: sub(v),
    out: out.data as FloatArray,
    lse: lse.data as FloatArray,
    qLayout: layoutOf(q),
    kLayout: layoutOf(k),
    vLayout: layoutOf(v),
    outLayout: layoutOf(out),
    batch: c.B,
    heads: c.H,
    kvHeads: c.Hkv,
    tq: c.T,
    tk: c.S,
    headDim: c.D,
    scale: c.scale,
    causal: c.causal,
    mask:
      mask === null
        ? null
        : {
            data: mask.data as FloatArray,
            offset: mask.offset,
            strides: broadcastStrides(mask.shape, mask.strides, [c.B, c.H, c.T, c.S]),
          },
  };
  if (out.size > 0) q.backend.attention(args);
  return { out, args };
}

/** The incoming gradient in the output's [B, T, H, D] layout. */
function gradInOutLayout(g: Tensor, out: Tensor, like: Tensor): Tensor {
  if (g.strides.every((s, i) => s === out.strides[i])) return g;
  const [B, H, T, D] = out.shape as [number, number, number, number];
  const copy = bthd(B, H, T, D, like, false);
  like.backend.assign(
    { data: copy.data, offset: 0, strides: copy.strides },
    { data: g.data, offset: g.offset, strides: g.strides },
    g.shape,
  );
  return copy;
}

export function scaledDotProductAttention(
  qIn: Tensor,
  kIn: Tensor,
  vIn: Tensor,
  options: AttentionOptions = {},
): Tensor {
  const c = check(qIn, kIn, vIn, options);
  // the fused kernels do not differentiate the mask: a learned bias (T5's relative positions) takes the composite path
  if (c.mask !== null && needsGrad(c.mask)) return compositeAttention(qIn, kIn, vIn, c.mask, c.causal, c.scale);
  const q = prepare(qIn);
  const k = prepare(kIn);
  const v = prepare(vIn);
  const { out, args } = fusedForward(q, k, v, c);
  if (needsGrad(qIn, kIn, vIn)) {
    attach(out, 'attention', [qIn, kIn, vIn], (g) => {
      const gOut = gradInOutLayout(g, out, q);
      const gq = bthd(c.B, c.H, c.T, c.D, q, false);
      const gk = bthd(c.B, c.Hkv, c.S, c.D, q, false);
      const gv = bthd(c.B, c.Hkv, c.S, c.D, q, false);
      q.backend.attentionGrad({
        ...args,
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

/**
 * Attention over one packed projection: qkv [B, H + 2·Hkv, T, D] holds the query heads, then
 * the key heads, then the value heads (the transposed view of a fused c_attn output
 * [B, T, (H + 2·Hkv)·D] is exactly this). The same result as scaledDotProductAttention on the
 * three slices, but the backward pass writes one gradient for the packed tensor directly,
 * instead of three zero-padded slice gradients that must then be added.
 */
export function packedAttention(qkv: Tensor, heads: number, kvHeads: number, options: AttentionOptions = {}): Tensor {
  if (qkv.ndim !== 4) throw new ShapeError('packedAttention', 'qkv must be 4-D [B, H + 2*Hkv, T, D]', [qkv.shape]);
  const Htot = qkv.shape[1]!;
  if (heads + 2 * kvHeads !== Htot)
    throw new ShapeError('packedAttention', `dimension 1 must be heads + 2 * kvHeads = ${heads + 2 * kvHeads}`, [
      qkv.shape,
    ]);
  const packed = prepare(qkv);
  const parts = (t: Tensor): [Tensor, Tensor, Tensor] => [
    slice(t, 1, 0, heads),
    slice(t, 1, heads, heads + kvHeads),
    slice(t, 1, heads + kvHeads, Htot),
  ];
  const c = check(...parts(qkv), options);
  if (c.mask !== null && needsGrad(c.mask)) return scaledDotProductAttention(...parts(qkv), options);
  const [q, k, v] = parts(packed.detach()); // raw views: the gradient flows through the packed tensor below
  const { out, args } = fusedForward(q, k, v, c);
  if (needsGrad(qkv)) {
    attach(out, 'packedAttention', [qkv], (g) => {
      const gOut = gradInOutLayout(g, out, q);
      // one gradient for all heads, stored as [B, T, H + 2Hkv, D]
      const grad = bthd(c.B, Htot, c.T, c.D, q, false);
      const gd = grad.data as FloatArray;
      const layout = layoutOf(grad);
      q.backend.attentionGrad({
        ...args,
        gradOut: sub(gOut),
        gradQ: gd,
        gradK: gd.subarray(heads * c.D),
        gradV: gd.subarray((heads + kvHeads) * c.D),
        gradQLayout: layout,
        gradKLayout: layout,
        gradVLayout: layout,
      });
      return [grad];
    });
  }
  return out;
}

/**
 * softmax(q·kᵀ·scale + mask)·v from differentiable ops (so the float mask gets its gradient),
 * with the fused kernel's conventions: GQA heads, bottom-right causal masking, and fully
 * masked rows giving 0 (and no gradient) instead of NaN.
 */
function compositeAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, causal: boolean, scale: number): Tensor {
  const [B, H, T, D] = q.shape as [number, number, number, number];
  const [, Hkv, S] = k.shape as [number, number, number, number];
  const rep = H / Hkv;
  // repeat each kv head for its query heads: [B, Hkv, S, D] -> [B, H, S, D]
  const heads = (t: Tensor): Tensor =>
    rep === 1 ? t : reshape(expand(unsqueeze(t, 2), [B, Hkv, rep, S, D]), [B, H, S, D]);
  let scores = add(mul(matmul(q, transpose(heads(k), -2, -1)), scale), mask); // [B, H, T, S]
  if (causal) {
    const hidden = gt(
      arange(S, undefined, 1, { backend: q.backend }),
      add(arange(T, undefined, 1, { backend: q.backend }).reshape([T, 1]), S - T),
    );
    scores = where(hidden, -Infinity, scores);
  }
  const dead = noGrad(() => eq(max(scores, -1, true), -Infinity)); // [B, H, T, 1]: rows with no visible key
  const probs = where(dead, 0, softmax(where(dead, 0, scores), -1));
  return matmul(probs, heads(v));
}
