/** Parameter initialization with an explicit Generator (no hidden global RNG). */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import type { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { full, rand, randn } from '../engine/ops/creation.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { copy_ } from '../engine/ops/inplace.ts';

/** Where and how new parameters are created. */
export interface InitContext {
  generator: Generator;
  dtype?: FloatDType;
  backend?: Backend;
}

export function normalTensor(shape: readonly number[], std: number, ctx: InitContext): Tensor {
  return randn(shape, { generator: ctx.generator, std, ...opts(ctx) });
}

export function uniformTensor(shape: readonly number[], bound: number, ctx: InitContext): Tensor {
  return rand(shape, { generator: ctx.generator, low: -bound, high: bound, ...opts(ctx) });
}

export function constantTensor(shape: readonly number[], value: number, ctx: Omit<InitContext, 'generator'>): Tensor {
  return full(shape, value, opts(ctx));
}

function opts(ctx: Omit<InitContext, 'generator'>): { dtype: FloatDType; backend?: Backend } {
  return ctx.backend ? { dtype: ctx.dtype ?? 'float32', backend: ctx.backend } : { dtype: ctx.dtype ?? 'float32' };
}

/** Overwrites a parameter with N(0, std^2) draws. */
export function normal_(p: Tensor, std: number, generator: Generator): void {
  noGrad(() => copy_(p, randn(p.shape, { generator, std, dtype: p.dtype as FloatDType, backend: p.backend })));
}

export function constant_(p: Tensor, value: number): void {
  noGrad(() => p.fill_(value));
}
