/** Basic layers: Linear (weight [out, in], as torch.nn.Linear), Embedding, Dropout, and the activation table. */
import type { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { linear } from '../engine/ops/matmul.ts';
import { quantizedLinear } from '../engine/ops/quantized.ts';
import { isGradEnabled } from '../engine/grad-mode.ts';
import type { QuantizedMatrix } from '../backends/quant.ts';
import { embedding } from '../engine/ops/indexing.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { gelu, relu, silu, tanh, sigmoid } from '../engine/ops/elementwise.ts';
import { ConfigError } from '../core/errors.ts';
import { Module } from './module.ts';
import { Parameter } from './parameter.ts';
import type { InitContext } from './init.ts';
import { normalTensor, uniformTensor, constantTensor } from './init.ts';

export interface LinearOptions {
  bias?: boolean;
  /** Standard deviation of a normal init; default: PyTorch's U(-1/sqrt(in), 1/sqrt(in)). */
  std?: number;
}

export class Linear extends Module {
  /** [out, in]; assignable so a model can tie it to an embedding matrix. */
  weight: Parameter;
  readonly bias: Parameter | null;
  /**
   * Weight-only quantized copy of `weight` (q8_0 / q4_0; see src/models/quantize.ts), used by
   * forward when no gradient is needed. `weight` then holds its dequantized values, so the
   * float path (training, gradients) computes the same function up to activation rounding.
   */
  quantized: QuantizedMatrix | null = null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    ctx: InitContext,
    options: LinearOptions = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(Math.max(inFeatures, 1));
    this.weight = new Parameter(
      options.std !== undefined
        ? normalTensor([outFeatures, inFeatures], options.std, ctx)
        : uniformTensor([outFeatures, inFeatures], bound, ctx),
    );
    const withBias = options.bias ?? true;
    this.bias = withBias
      ? new Parameter(
          options.std !== undefined ? constantTensor([outFeatures], 0, ctx) : uniformTensor([outFeatures], bound, ctx),
        )
      : null;
    if (this.bias) this.bias.weightDecay = false;
  }

  forward(x: Tensor): Tensor {
    if (this.quantized !== null && !(isGradEnabled() && (x.requiresGrad || this.weight.requiresGrad)))
      return quantizedLinear(x, this.quantized, this.bias);
    return linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  readonly weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    ctx: InitContext,
    std = 1,
  ) {
    super();
    this.weight = new Parameter(normalTensor([numEmbeddings, embeddingDim], std, ctx));
    this.weight.weightDecay = false;
  }

  forward(ids: Tensor): Tensor {
    return embedding(this.weight, ids);
  }
}

export class Dropout extends Module {
  constructor(
    readonly p: number,
    private readonly generator: Generator,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.generator, this.training);
  }
}

export type ActivationName = 'relu' | 'gelu' | 'gelu_tanh' | 'silu' | 'tanh' | 'sigmoid' | 'none';

export const ACTIVATIONS: readonly ActivationName[] = ['relu', 'gelu', 'gelu_tanh', 'silu', 'tanh', 'sigmoid', 'none'];

/** The activation function for a name; 'none' is the identity (a deep net then collapses to one linear map). */
export function activation(name: ActivationName | string): (x: Tensor) => Tensor {
  switch (name) {
    case 'relu':
      return relu;
    case 'gelu':
      return (x) => gelu(x, 'none');
    case 'gelu_tanh':
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return (x) => gelu(x, 'tanh');
    case 'silu':
    case 'swish':
      return silu;
    case 'tanh':
      return tanh;
    case 'sigmoid':
      return sigmoid;
    case 'none':
    case 'identity':
    case 'linear':
      return (x) => x;
    default:
      throw new ConfigError('activation', `unknown activation "${name}" (expected one of ${ACTIVATIONS.join(', ')})`);
  }
}
