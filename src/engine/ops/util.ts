/** Helpers shared by the ops: allocation, dense/strided views for kernels, validation. */
import type { Backend, StridedArray } from '../../backends/backend.ts';
import type { DataArray, DType, FloatArray } from '../../core/dtype.ts';
import { isFloatDType } from '../../core/dtype.ts';
import { allocStorage } from '../memory.ts';
import { Tensor } from '../tensor.ts';
import { BackendError, DTypeError } from '../../core/errors.ts';
import { contiguousStrides, numel } from '../shape.ts';
import type { Shape } from '../shape.ts';

/** A new tensor whose contents the caller will overwrite completely. */
export function empty(shape: Shape, dtype: DType, backend: Backend): Tensor {
  return new Tensor(allocStorage(backend, dtype, numel(shape), false), [...shape]);
}

/** A new zero-filled tensor. */
export function zerosOn(shape: Shape, dtype: DType, backend: Backend): Tensor {
  return new Tensor(allocStorage(backend, dtype, numel(shape), true), [...shape]);
}

/** The typed array a dense kernel reads: the tensor's elements from its first one (must be contiguous). */
export function dense(t: Tensor): DataArray {
  const data = t.data;
  if (t.offset === 0) return data;
  return data.subarray(t.offset, t.offset + t.size);
}

export function denseFloat(t: Tensor): FloatArray {
  return dense(t) as FloatArray;
}

export function strided(t: Tensor, strides: readonly number[] = t.strides): StridedArray {
  return { data: t.data, offset: t.offset, strides };
}

export function contiguousStridesOf(t: Tensor): number[] {
  return contiguousStrides(t.shape);
}

export function sameBackend(op: string, ...tensors: readonly Tensor[]): Backend {
  const b = tensors[0]!.backend;
  for (const t of tensors) {
    if (t.backend !== b) {
      throw new BackendError(
        `${op}: tensors live on different backends (${b.name} and ${t.backend.name}); move one with .to() or create them on one backend`,
      );
    }
  }
  return b;
}

export function assertFloat(op: string, ...tensors: readonly Tensor[]): void {
  for (const t of tensors) {
    if (!isFloatDType(t.dtype))
      throw new DTypeError(
        op,
        'expects floating-point tensors',
        tensors.map((x) => x.dtype),
      );
  }
}

export function assertDType(op: string, t: Tensor, dtypes: readonly DType[], what = 'input'): void {
  if (!dtypes.includes(t.dtype))
    throw new DTypeError(op, `${what} must be ${dtypes.join(' or ')}, got ${t.dtype}`, [t.dtype]);
}

export function assertSameDType(op: string, ...tensors: readonly Tensor[]): void {
  const d = tensors[0]!.dtype;
  for (const t of tensors) {
    if (t.dtype !== d)
      throw new DTypeError(
        op,
        'expects tensors of one dtype',
        tensors.map((x) => x.dtype),
      );
  }
}
