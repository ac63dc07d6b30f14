/**
 * Transformer blocks. Pre-LN (GPT-2, LLaMA): x + attn(ln_1(x)), then x + mlp(ln_2(x)).
 * Post-LN (original Transformer, BERT): ln_1(x + attn(x)), then ln_2(x + mlp(x)).
 * The decoder block of an encoder-decoder adds cross-attention between the two.
 */
import type { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { add } from '../engine/ops/elementwise.ts';
import { Module } from './module.ts';
import type { InitContext } from './init.ts';
import { CrossAttention, SelfAttention } from './attention.ts';
import type { AttentionConfig, AttentionInputs } from './attention.ts';
import { GatedMLP, MLP } from './mlp.ts';
import type { MLPConfig } from './mlp.ts';
import { createNorm } from './norm-layer.ts';
import type { NormLayer, NormName } from './norm-layer.ts';

export interface BlockConfig {
  attention: AttentionConfig;
  mlp: MLPConfig;
  gatedMlp: boolean;
  norm: NormName;
  normEps: number;
  normBias: boolean;
  placement: 'pre' | 'post';
  /** Add cross-attention (decoder of an encoder-decoder model). */
  crossAttention?: boolean;
}

export class Block extends Module {
  readonly ln_1: NormLayer;
  readonly attn: SelfAttention;
  readonly ln_cross: NormLayer | null;
  readonly cross_attn: CrossAttention | null;
  readonly ln_2: NormLayer;
  readonly mlp: MLP | GatedMLP;

  constructor(
    readonly config: BlockConfig,
    ctx: InitContext,
    generator: Generator,
  ) {
    super();
    const dim = config.attention.nEmbd;
    const normOpts = { bias: config.normBias };
    this.ln_1 = createNorm(config.norm, dim, config.normEps, ctx, normOpts);
    this.attn = new SelfAttention(config.attention, ctx, generator);
    this.ln_cross = config.crossAttention ? createNorm(config.norm, dim, config.normEps, ctx, normOpts) : null;
    this.cross_attn = config.crossAttention ? new CrossAttention(config.attention, ctx, generator) : null;
    this.ln_2 = createNorm(config.norm, dim, config.normEps, ctx, normOpts);
    this.mlp = config.gatedMlp ? new GatedMLP(config.mlp, ctx, generator) : new MLP(config.mlp, ctx, generator);
  }

  /**
   * x [B, T, C]; tokenMask [B, T] marks real tokens (for BatchNorm); memory/memoryMask are the
   * encoder output [B, S, C] and its additive mask for cross-attention.
   */
  forward(
    x: Tensor,
    inputs: AttentionInputs,
    tokenMask: Tensor | null = null,
    memory: Tensor | null = null,
    memoryMask: Tensor | null = null,
  ): Tensor {
    const capture = inputs.capture ?? false;
    if (this.config.placement === 'pre') {
      let h = add(x, this.attn.forward(this.ln_1.forward(x, tokenMask), inputs));
      if (this.cross_attn !== null && this.ln_cross !== null && memory !== null) {
        h = add(h, this.cross_attn.forward(this.ln_cross.forward(h, tokenMask), memory, memoryMask, capture));
      }
      return add(h, this.mlp.forward(this.ln_2.forward(h, tokenMask)));
    }
    let h = this.ln_1.forward(add(x, this.attn.forward(x, inputs)), tokenMask);
    if (this.cross_attn !== null && this.ln_cross !== null && memory !== null) {
      h = this.ln_cross.forward(add(h, this.cross_attn.forward(h, memory, memoryMask, capture)), tokenMask);
    }
    return this.ln_2.forward(add(h, this.mlp.forward(h)), tokenMask);
  }
}
