/**
 * Tensor: a view (shape, strides, offset) of a Storage, plus autograd bookkeeping.
 *
 * Views (reshape of contiguous data, permute, transpose, slice, expand) share storage and
 * copy nothing; `contiguous()` materializes. The methods here are conveniences over the
 * functional ops in ./ops, where validation, kernels and backward rules live.
 */
import type { Backend } from '../backends/backend.ts';
import type { DataArray, DType } from '../core/dtype.ts';
import type { GradNode } from './autograd/node.ts';
import type { Storage } from './memory.ts';
import type { Shape } from './shape.ts';
import { contiguousStrides, isContiguous, numel } from './shape.ts';
import * as ops from './ops/index.ts';
import { backward } from './autograd/backward.ts';
import { formatTensor } from './format.ts';

export type Scalar = number;
export type TensorLike = Tensor | number;

export class Tensor {
  /** Rebound only by flattenParameters (src/nn/module.ts), which moves parameters into one buffer. */
  storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  offset: number;
  /** Whether gradients flow to this tensor (leaves accumulate them in .grad). */
  requiresGrad: boolean;
  /** Accumulated gradient (leaves, or non-leaves after retainGrad()). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, for backward; null for leaves. */
  gradFn: GradNode | null = null;
  /** Keep the gradient of a non-leaf tensor in .grad during backward. */
  retainsGrad = false;
  /** Optional name (parameters carry their state-dict path). */
  name: string | undefined;

  constructor(storage: Storage, shape: Shape, strides?: Shape, offset = 0, requiresGrad = false) {
    this.storage = storage;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    this.requiresGrad = requiresGrad;
  }

  get dtype(): DType {
    return this.storage.dtype;
  }

  get backend(): Backend {
    return this.storage.backend;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }

  /** The whole storage array (the tensor starts at `offset` and follows `strides`). */
  get data(): DataArray {
    return this.storage.data;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Dimension size, accepting negative axes. */
  dim(axis: number): number {
    const a = axis < 0 ? axis + this.ndim : axis;
    const d = this.shape[a];
    if (d === undefined) throw new RangeError(`dim(${axis}) out of range for a tensor of rank ${this.ndim}`);
    return d;
  }

  // ---- reading values ----

  /** The elements in row-major order as a new array of the tensor's dtype. */
  toTypedArray(): DataArray {
    return ops.contiguousCopy(this).data.slice(0, this.size) as DataArray;
  }

  /** The elements in row-major order. */
  toArray(): number[] {
    return Array.from(this.toTypedArray());
  }

  /** Nested arrays, like torch's tolist(). */
  tolist(): unknown {
    const flat = this.toArray();
    const build = (dim: number, start: number): unknown => {
      if (dim === this.ndim) return flat[start];
      const n = this.shape[dim]!;
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: n }, (_, i) => build(dim + 1, start + i * step));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    return ops.item(this);
  }

  toString(): string {
    return formatTensor(this);
  }

  // ---- autograd ----

  backward(gradient?: Tensor): void {
    backward(this, gradient);
  }

  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's data with no autograd history. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, false);
  }

  requiresGrad_(flag = true): this {
    ops.assertCanRequireGrad(this, flag);
    this.requiresGrad = flag;
    return this;
  }

  zeroGrad(): void {
    if (this.grad !== null) ops.fill_(this.grad, 0);
  }

  // ---- conveniences over ops (see ./ops for the semantics) ----

  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return ops.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return ops.gelu(this, approximate);
  }
  silu(): Tensor {
    return ops.silu(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  square(): Tensor {
    return ops.square(this);
  }
  sin(): Tensor {
    return ops.sin(this);
  }
  cos(): Tensor {
    return ops.cos(this);
  }
  clamp(min: number | null, max: number | null): Tensor {
    return ops.clamp(this, min, max);
  }

  eq(other: TensorLike): Tensor {
    return ops.eq(this, other);
  }
  ne(other: TensorLike): Tensor {
    return ops.ne(this, other);
  }
  lt(other: TensorLike): Tensor {
    return ops.lt(this, other);
  }
  le(other: TensorLike): Tensor {
    return ops.le(this, other);
  }
  gt(other: TensorLike): Tensor {
    return ops.gt(this, other);
  }
  ge(other: TensorLike): Tensor {
    return ops.ge(this, other);
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }

  sum(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.sum(this, axes, keepdim);
  }
  mean(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.mean(this, axes, keepdim);
  }
  max(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.max(this, axes, keepdim);
  }
  min(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.min(this, axes, keepdim);
  }
  var(axes?: number | readonly number[], keepdim = false, correction = 1): Tensor {
    return ops.variance(this, axes, keepdim, correction);
  }
  logsumexp(axes: number | readonly number[], keepdim = false): Tensor {
    return ops.logsumexp(this, axes, keepdim);
  }
  argmax(axis: number, keepdim = false): Tensor {
    return ops.argmax(this, axis, keepdim);
  }
  argmin(axis: number, keepdim = false): Tensor {
    return ops.argmin(this, axis, keepdim);
  }

  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }

  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flattenShapeArgs(shape));
  }
  view(...shape: number[] | [readonly number[]]): Tensor {
    return ops.view(this, flattenShapeArgs(shape));
  }
  permute(...axes: number[] | [readonly number[]]): Tensor {
    return ops.permute(this, flattenShapeArgs(axes));
  }
  transpose(a = -2, b = -1): Tensor {
    return ops.transpose(this, a, b);
  }
  get T(): Tensor {
    return ops.transpose(this, -2, -1);
  }
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flattenShapeArgs(shape));
  }
  narrow(axis: number, start: number, length: number): Tensor {
    return ops.narrow(this, axis, start, length);
  }
  slice(axis: number, start: number, end?: number, step = 1): Tensor {
    return ops.slice(this, axis, start, end, step);
  }
  select(axis: number, index: number): Tensor {
    return ops.select(this, axis, index);
  }
  squeeze(axis?: number): Tensor {
    return ops.squeeze(this, axis);
  }
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return ops.flatten(this, startAxis, endAxis);
  }
  split(sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
    return ops.split(this, sizeOrSections, axis);
  }
  chunk(chunks: number, axis = 0): Tensor[] {
    return ops.chunk(this, chunks, axis);
  }
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  clone(): Tensor {
    return ops.clone(this);
  }
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  gather(axis: number, index: Tensor): Tensor {
    return ops.gather(this, axis, index);
  }
  indexSelect(axis: number, index: Tensor): Tensor {
    return ops.indexSelect(this, axis, index);
  }

  // in-place (no autograd; for optimizers, gradient buffers and initialization)
  fill_(value: number): this {
    ops.fill_(this, value);
    return this;
  }
  copy_(src: Tensor): this {
    ops.copy_(this, src);
    return this;
  }
  add_(other: TensorLike, alpha = 1): this {
    ops.add_(this, other, alpha);
    return this;
  }
  mul_(other: TensorLike): this {
    ops.mul_(this, other);
    return this;
  }
}

function flattenShapeArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}
