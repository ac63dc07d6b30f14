/**
 * Multi-head attention (notes section 6): single-head (nHead = 1), multi-head, multi-query
 * (nKvHead = 1) and grouped-query (1 < nKvHead < nHead), with causal and padding masks,
 * RoPE applied to queries and keys after projection (never values), ALiBi through the
 * additive mask, and a KV cache. One fused projection produces q, k and v:
 * c_attn: C -> (H + 2·Hkv)·D, rows [q | k | v]; checkpoint importers split or join it.
 *
 * B batch, T query positions, S key positions, C model width, H query heads, Hkv key/value
 * heads, D head size.
 */
import type { Generator } from '../core/random.ts';
import type { FloatDType } from '../core/dtype.ts';
import type { Tensor } from '../engine/tensor.ts';
import { keep } from '../engine/memory.ts';
import { packedAttention, scaledDotProductAttention } from '../engine/ops/attention.ts';
import { pagedAttention } from '../engine/ops/paged-attention.ts';
import { matmul } from '../engine/ops/matmul.ts';
import { softmax } from '../engine/ops/softmax.ts';
import { add, eq, mul, where } from '../engine/ops/elementwise.ts';
import { max } from '../engine/ops/reduce.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { expand, reshape, slice, transpose, view } from '../engine/ops/movement.ts';
import { triangularMask } from './masks.ts';
import { ConfigError, ShapeError } from '../core/errors.ts';
import { Linear } from './layers.ts';
import { Module } from './module.ts';
import type { InitContext } from './init.ts';
import type { LayerKVCache } from './kv-cache.ts';
import type { PagedLayerInputs } from './paged-kv-cache.ts';
import type { RopeStyle } from './positional.ts';
import { applyRope } from './positional.ts';

export interface AttentionConfig {
  nEmbd: number;
  nHead: number;
  /** Key/value heads: nHead (MHA, default), 1 (MQA) or a divisor of nHead (GQA). */
  nKvHead?: number;
  /** Head size; default nEmbd / nHead. */
  headDim?: number;
  bias: boolean;
  attnDropout: number;
  residDropout: number;
  ropeStyle?: RopeStyle;
  /** Init std of the projections (0.02) and of the output projection (scaled for depth). */
  initStd: number;
  projInitStd: number;
}

/** Per-forward inputs shared by every layer. */
export interface AttentionInputs {
  causal: boolean;
  /** Additive float mask broadcastable to [B, H, T, S] (padding, packing, ALiBi), or null. */
  mask: Tensor | null;
  /** RoPE cos/sin tables [B, 1, T, rotaryDim], or null for no rotary positions. */
  rope: { cos: Tensor; sin: Tensor } | null;
  cache: LayerKVCache | null;
  /**
   * Serving: the batch is one row (B = 1) of N tokens from several sequences at their own
   * positions; keys and values go to a paged cache and each token attends to its own sequence
   * there (see paged-kv-cache.ts). ALiBi comes as slopes instead of an additive mask.
   */
  paged?: (PagedLayerInputs & { alibiSlopes: Float32Array | null }) | null;
  /** Keep each layer's attention probabilities [B, H, T, S] in `lastAttention` (slower, unfused path). */
  capture?: boolean;
}

export function validateAttentionConfig(c: AttentionConfig): void {
  const hkv = c.nKvHead ?? c.nHead;
  if (!Number.isInteger(c.nHead) || c.nHead <= 0)
    throw new ConfigError('n_head', `must be a positive integer, got ${c.nHead}`);
  if (c.headDim === undefined && c.nEmbd % c.nHead !== 0) {
    throw new ConfigError('n_embd', `${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  }
  if (!Number.isInteger(hkv) || hkv <= 0 || c.nHead % hkv !== 0) {
    throw new ConfigError('n_kv_head', `must divide n_head ${c.nHead}, got ${hkv}`);
  }
}

/**
 * softmax over the last dim where a row with no visible key (a left-pad query) gets zeros
 * instead of NaN, as the fused kernel does: NaN there would reach real tokens through the
 * next layer's values (0 · NaN).
 */
function maskedSoftmax(scores: Tensor): Tensor {
  const dead = noGrad(() => eq(max(scores, -1, true), -Infinity)); // [..., 1]
  return where(dead, 0, softmax(where(dead, 0, scores), -1));
}

interface AttendOptions {
  causal: boolean;
  mask: Tensor | null;
  capture: boolean;
  dropout: number;
  generator: Generator;
  training: boolean;
}

/**
 * softmax(q·kᵀ/√D + mask)·v for q [B, H, T, D] and k, v [B, Hkv, S, D]: the fused kernel,
 * unless attention dropout or capture needs the probabilities (returned as `probs`).
 */
function attendHeads(q: Tensor, k: Tensor, v: Tensor, o: AttendOptions): { out: Tensor; probs: Tensor | null } {
  const p = o.training ? o.dropout : 0;
  if (p === 0 && !o.capture)
    return { out: scaledDotProductAttention(q, k, v, { causal: o.causal, mask: o.mask }), probs: null };
  const [B, H, T, D] = q.shape as [number, number, number, number];
  const S = k.shape[2]!;
  const g = H / k.shape[1]!;
  // repeat each kv head g times (repeat_kv): [B, Hkv, S, D] -> [B, H, S, D]
  const rep = (t: Tensor): Tensor =>
    g === 1 ? t : reshape(expand(t.unsqueeze(2), [B, t.shape[1]!, g, S, D]), [B, H, S, D]);
  let scores = mul(matmul(q, transpose(rep(k), -2, -1)), 1 / Math.sqrt(D)); // [B, H, T, S]
  if (o.causal) scores = add(scores, triangularMask(T, S, q.dtype as FloatDType, q.backend));
  if (o.mask !== null) scores = add(scores, o.mask);
  const probs = maskedSoftmax(scores);
  return {
    out: matmul(dropout(probs, p, o.generator, o.training), rep(v)),
    probs: o.capture ? keep(probs.detach()) : null,
  };
}

export class SelfAttention extends Module {
  readonly c_attn: Linear;
  readonly c_proj: Linear;
  readonly nHead: number;
  readonly nKvHead: number;
  readonly headDim: number;
  /** The last forward's attention probabilities when captured (a kept tensor), else null. */
  lastAttention: Tensor | null = null;

  constructor(
    readonly config: AttentionConfig,
    ctx: InitContext,
    private readonly generator: Generator,
  ) {
    super();
    validateAttentionConfig(config);
    this.nHead = config.nHead;
    this.nKvHead = config.nKvHead ?? config.nHead;
    this.headDim = config.headDim ?? config.nEmbd / config.nHead;
    const qkv = (this.nHead + 2 * this.nKvHead) * this.headDim;
    this.c_attn = new Linear(config.nEmbd, qkv, ctx, { bias: config.bias, std: config.initStd });
    this.c_proj = new Linear(this.nHead * this.headDim, config.nEmbd, ctx, {
      bias: config.bias,
      std: config.projInitStd,
    });
  }

  forward(x: Tensor, inputs: AttentionInputs): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const { nHead: H, nKvHead: Hkv, headDim: D } = this;
    const qkv = this.c_attn.forward(x); // [B, T, (H + 2Hkv)·D]
    const fused = !inputs.capture && !(this.training && this.config.attnDropout > 0);
    if (inputs.rope === null && inputs.cache === null && !inputs.paged && fused) {
      // q, k, v straight from the packed projection: one gradient for c_attn's output in backward
      const packed = transpose(view(qkv, [B, T, H + 2 * Hkv, D]), 1, 2); // [B, H + 2Hkv, T, D]
      const y = packedAttention(packed, H, Hkv, { causal: inputs.causal, mask: inputs.mask });
      this.lastAttention = null;
      return dropout(
        this.c_proj.forward(reshape(transpose(y, 1, 2), [B, T, H * D])),
        this.config.residDropout,
        this.generator,
        this.training,
      );
    }
    const heads = (start: number, n: number): Tensor =>
      transpose(view(slice(qkv, -1, start * D, (start + n) * D), [B, T, n, D]), 1, 2); // [B, n, T, D]
    let q = heads(0, H);
    let k = heads(H, Hkv);
    let v = heads(H + Hkv, Hkv);
    if (inputs.rope !== null) {
      q = applyRope(q, inputs.rope, this.config.ropeStyle);
      k = applyRope(k, inputs.rope, this.config.ropeStyle);
    }
    if (inputs.paged) return this.pagedForward(q, k, v, inputs.paged);
    if (inputs.cache !== null) ({ k, v } = inputs.cache.append(k, v)); // [B, Hkv, S, D]
    const y = this.attend(q, k, v, inputs); // [B, H, T, D]
    const merged = reshape(transpose(y, 1, 2), [B, T, H * D]); // free: y is stored as [B, T, H, D]
    return dropout(this.c_proj.forward(merged), this.config.residDropout, this.generator, this.training);
  }

  /** q [1, H, N, D], k and v [1, Hkv, N, D]: write k, v to the paged cache, attend there, project. */
  private pagedForward(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    paged: PagedLayerInputs & { alibiSlopes: Float32Array | null },
  ): Tensor {
    const [B, H, N, D] = q.shape as [number, number, number, number];
    if (B !== 1)
      throw new ShapeError('SelfAttention', 'a paged forward takes its tokens as one row [1, N, C]', [q.shape]);
    const tokenMajor = (t: Tensor): Tensor => transpose(t.squeeze(0), 0, 1); // [N, heads, D] view
    const { cache, layer, step } = paged;
    cache.write(layer, tokenMajor(k), tokenMajor(v), step.slots);
    const pools = cache.layers[layer]!;
    const y = pagedAttention(tokenMajor(q), pools.k, pools.v, step, { alibiSlopes: paged.alibiSlopes }); // [N, H, D]
    this.lastAttention = null;
    return this.c_proj.forward(reshape(y, [1, N, H * D]));
  }

  /** softmax(q·kᵀ/√D + mask)·v over the heads (see attendHeads). */
  attend(q: Tensor, k: Tensor, v: Tensor, inputs: AttentionInputs): Tensor {
    const r = attendHeads(q, k, v, {
      causal: inputs.causal,
      mask: inputs.mask,
      capture: inputs.capture ?? false,
      dropout: this.config.attnDropout,
      generator: this.generator,
      training: this.training,
    });
    this.lastAttention = r.probs;
    return r.out;
  }
}

/** Encoder-decoder cross-attention: queries from the decoder, keys and values from the encoder output. */
export class CrossAttention extends Module {
  readonly q_proj: Linear;
  readonly kv_proj: Linear;
  readonly c_proj: Linear;
  readonly nHead: number;
  readonly headDim: number;
  lastAttention: Tensor | null = null;

  constructor(
    readonly config: AttentionConfig,
    ctx: InitContext,
    private readonly generator: Generator,
  ) {
    super();
    validateAttentionConfig(config);
    this.nHead = config.nHead;
    this.headDim = config.headDim ?? config.nEmbd / config.nHead;
    const inner = this.nHead * this.headDim;
    this.q_proj = new Linear(config.nEmbd, inner, ctx, { bias: config.bias, std: config.initStd });
    this.kv_proj = new Linear(config.nEmbd, 2 * inner, ctx, { bias: config.bias, std: config.initStd });
    this.c_proj = new Linear(inner, config.nEmbd, ctx, { bias: config.bias, std: config.projInitStd });
  }

  /** x [B, T, C] (decoder), memory [B, S, C] (encoder output), memoryMask additive [B, 1, 1, S] or null. */
  forward(x: Tensor, memory: Tensor, memoryMask: Tensor | null, capture = false): Tensor {
    const [B, T] = x.shape as [number, number, number];
    const S = memory.shape[1]!;
    const H = this.nHead;
    const D = this.headDim;
    const q = transpose(view(this.q_proj.forward(x), [B, T, H, D]), 1, 2);
    const kv = this.kv_proj.forward(memory); // [B, S, 2·H·D]
    const k = transpose(view(slice(kv, -1, 0, H * D), [B, S, H, D]), 1, 2);
    const v = transpose(view(slice(kv, -1, H * D, 2 * H * D), [B, S, H, D]), 1, 2);
    const r = attendHeads(q, k, v, {
      causal: false,
      mask: memoryMask,
      capture,
      dropout: this.config.attnDropout,
      generator: this.generator,
      training: this.training,
    });
    this.lastAttention = r.probs;
    const y = r.out;
    const merged = reshape(transpose(y, 1, 2), [B, T, H * D]);
    return dropout(this.c_proj.forward(merged), this.config.residDropout, this.generator, this.training);
  }
}
