/** The tensor engine: Tensor, ops, autograd, memory scopes, random numbers. */
export { Tensor } from './tensor.ts';
export type { TensorLike } from './tensor.ts';
export type { DType, FloatDType, DataArray, FloatArray } from '../core/dtype.ts';
export { isFloatDType, promoteTypes } from '../core/dtype.ts';
export type { Shape } from './shape.ts';
export { numel, broadcastShapes } from './shape.ts';
export * as ops from './ops/index.ts';
export * from './ops/index.ts';
export { noGrad, withGrad, isGradEnabled } from './grad-mode.ts';
export { tidy, keep, untracked, memoryStats, resetPools, Storage } from './memory.ts';
export type { MemoryStats } from './memory.ts';
export { Generator } from '../core/random.ts';
export type { GeneratorState } from '../core/random.ts';
export type { GradNode } from './autograd/node.ts';
export { gradcheck } from './autograd/gradcheck.ts';
export type { GradcheckOptions, GradcheckResult } from './autograd/gradcheck.ts';
