/** A normalization chosen by name, so models can swap LayerNorm / RMSNorm / BatchNorm / none (notes section 11). */
import type { Tensor } from '../engine/tensor.ts';
import { ConfigError } from '../core/errors.ts';
import { Module } from './module.ts';
import { LayerNorm, MaskedBatchNorm, RMSNorm } from './norms.ts';
import type { InitContext } from './init.ts';

export type NormName = 'layernorm' | 'rmsnorm' | 'batchnorm' | 'none';
export const NORMS: readonly NormName[] = ['layernorm', 'rmsnorm', 'batchnorm', 'none'];

/** "No normalization": passes x through. */
export class Identity extends Module {
  forward(x: Tensor, _tokenMask: Tensor | null = null): Tensor {
    return x;
  }
}

export type NormLayer = LayerNorm | RMSNorm | MaskedBatchNorm | Identity;

/** The norm layer for a name; its parameters sit directly on it (ln_1.weight, as checkpoints name them). */
export function createNorm(
  kind: NormName,
  dim: number,
  eps: number,
  ctx: Omit<InitContext, 'generator'>,
  options: { bias?: boolean } = {},
): NormLayer {
  switch (kind) {
    case 'layernorm':
      return new LayerNorm(dim, ctx, eps, options);
    case 'rmsnorm':
      return new RMSNorm(dim, ctx, eps);
    case 'batchnorm':
      return new MaskedBatchNorm(dim, ctx, eps);
    case 'none':
      return new Identity();
    default:
      throw new ConfigError('norm', `unknown normalization "${String(kind)}" (expected ${NORMS.join(', ')})`);
  }
}
