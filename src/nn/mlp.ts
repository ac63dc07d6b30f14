/**
 * Feed-forward blocks: the standard MLP (c_fc -> activation -> c_proj, as GPT-2/BERT) and the
 * gated one (down(act(gate(x)) * up(x)): SwiGLU with silu as LLaMA, GeGLU with gelu).
 */
import type { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { mul } from '../engine/ops/elementwise.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { Linear, activation } from './layers.ts';
import type { ActivationName } from './layers.ts';
import { Module } from './module.ts';
import type { InitContext } from './init.ts';

export interface MLPConfig {
  nEmbd: number;
  hidden: number;
  activation: ActivationName;
  bias: boolean;
  dropout: number;
  initStd: number;
  projInitStd: number;
}

export class MLP extends Module {
  readonly c_fc: Linear;
  readonly c_proj: Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(
    readonly config: MLPConfig,
    ctx: InitContext,
    private readonly generator: Generator,
  ) {
    super();
    this.act = activation(config.activation);
    this.c_fc = new Linear(config.nEmbd, config.hidden, ctx, { bias: config.bias, std: config.initStd });
    this.c_proj = new Linear(config.hidden, config.nEmbd, ctx, { bias: config.bias, std: config.projInitStd });
  }

  forward(x: Tensor): Tensor {
    const h = this.act(this.c_fc.forward(x)); // [B, T, hidden]
    return dropout(this.c_proj.forward(h), this.config.dropout, this.generator, this.training);
  }
}

export class GatedMLP extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  private readonly act: (x: Tensor) => Tensor;
  constructor(
    readonly config: MLPConfig,
    ctx: InitContext,
    private readonly generator: Generator,
  ) {
    super();
    this.act = activation(config.activation);
    this.gate_proj = new Linear(config.nEmbd, config.hidden, ctx, { bias: config.bias, std: config.initStd });
    this.up_proj = new Linear(config.nEmbd, config.hidden, ctx, { bias: config.bias, std: config.initStd });
    this.down_proj = new Linear(config.hidden, config.nEmbd, ctx, { bias: config.bias, std: config.projInitStd });
  }

  forward(x: Tensor): Tensor {
    const h = mul(this.act(this.gate_proj.forward(x)), this.up_proj.forward(x)); // [B, T, hidden]
    return dropout(this.down_proj.forward(h), this.config.dropout, this.generator, this.training);
  }
}
