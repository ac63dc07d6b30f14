/**
 * Normalization layers. LayerNorm: per token, across features. RMSNorm: LLaMA's, no mean
 * subtraction. BatchNorm: per feature, across the batch and time, counting only real
 * (non-padding) tokens, with running statistics for eval, so the notes' comparison of LN
 * and BN on variable-length batches is a fair one.
 */
import type { Tensor } from '../engine/tensor.ts';
import { layerNorm, rmsNorm } from '../engine/ops/norm.ts';
import { add, mul, sub, rsqrt } from '../engine/ops/elementwise.ts';
import { sum } from '../engine/ops/reduce.ts';
import { cast, reshape } from '../engine/ops/movement.ts';
import { full, ones } from '../engine/ops/creation.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { ShapeError } from '../core/errors.ts';
import { Module } from './module.ts';
import { Buffer, Parameter } from './parameter.ts';
import type { InitContext } from './init.ts';
import { constantTensor } from './init.ts';

export class LayerNorm extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  constructor(
    readonly dim: number,
    ctx: Omit<InitContext, 'generator'>,
    readonly eps = 1e-5,
    options: { affine?: boolean; bias?: boolean } = {},
  ) {
    super();
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(constantTensor([dim], 1, ctx)) : null;
    this.bias = affine && (options.bias ?? true) ? new Parameter(constantTensor([dim], 0, ctx)) : null;
    if (this.weight) this.weight.weightDecay = false;
    if (this.bias) this.bias.weightDecay = false;
  }

  forward(x: Tensor, _tokenMask: Tensor | null = null): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly weight: Parameter;
  constructor(
    readonly dim: number,
    ctx: Omit<InitContext, 'generator'>,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = new Parameter(constantTensor([dim], 1, ctx));
    this.weight.weightDecay = false;
  }

  forward(x: Tensor, _tokenMask: Tensor | null = null): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/**
 * BatchNorm over the feature (last) dimension of [B, T, C] (or [N, C]). In training, the
 * statistics come from the tokens where `mask` (bool or 0/1, [B, T]) is set; running
 * statistics (momentum, unbiased variance, as torch.nn.BatchNorm1d) serve eval mode.
 */
export class MaskedBatchNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly running_mean: Buffer;
  readonly running_var: Buffer;
  constructor(
    readonly dim: number,
    ctx: Omit<InitContext, 'generator'>,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
  ) {
    super();
    this.weight = new Parameter(constantTensor([dim], 1, ctx));
    this.bias = new Parameter(constantTensor([dim], 0, ctx));
    this.weight.weightDecay = false;
    this.bias.weightDecay = false;
    this.running_mean = new Buffer(constantTensor([dim], 0, ctx));
    this.running_var = new Buffer(constantTensor([dim], 1, ctx));
  }

  forward(x: Tensor, mask: Tensor | null = null): Tensor {
    const c = x.shape[x.ndim - 1];
    if (c !== this.dim) throw new ShapeError('BatchNorm', `last dimension must be ${this.dim}`, [x.shape]);
    const lead = x.shape.slice(0, -1);
    if (!this.training) {
      const scale = mul(rsqrt(add(this.running_var, this.eps)), this.weight);
      return add(mul(sub(x, this.running_mean), scale), this.bias);
    }
    const m =
      mask === null
        ? ones([...lead, 1], { dtype: x.dtype, backend: x.backend })
        : reshape(cast(mask, x.dtype), [...lead, 1]);
    if (mask !== null && (mask.ndim !== lead.length || mask.shape.some((d, i) => d !== lead[i]))) {
      throw new ShapeError('BatchNorm', 'mask must have the shape of the input without its feature dimension', [
        x.shape,
        mask.shape,
      ]);
    }
    const axes = lead.map((_, i) => i);
    const count = sum(m).item();
    if (count === 0) throw new ShapeError('BatchNorm', 'no unmasked tokens to compute statistics from', [x.shape]);
    const countT = full([], count, { dtype: x.dtype, backend: x.backend });
    const mean = sum(mul(x, m), axes).div(countT); // [C]
    const centered = mul(sub(x, mean), m);
    const variance = sum(mul(centered, centered), axes).div(countT); // biased, for normalization
    noGrad(() => {
      const unbiased = count > 1 ? mul(variance, count / (count - 1)) : variance;
      this.running_mean.mul_(1 - this.momentum).add_(mul(mean.detach(), this.momentum));
      this.running_var.mul_(1 - this.momentum).add_(mul(unbiased.detach(), this.momentum));
    });
    const normalized = mul(sub(x, mean), rsqrt(add(variance, this.eps)));
    return add(mul(normalized, this.weight), this.bias);
  }
}
