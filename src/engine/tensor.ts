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

  /** Whether the elements lie in row-major order with no gaps (views by reshape need no copy). */
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

  /** A printable summary: dtype, shape and the (abbreviated) values. */
  toString(): string {
    return formatTensor(this);
  }

  // ---- autograd ----

  /** Backpropagates from this tensor: fills `.grad` of every leaf that requires gradients (`gradient` defaults to 1 for a one-element tensor). */
  backward(gradient?: Tensor): void {
    backward(this, gradient);
  }

  /** Keeps `.grad` on this non-leaf tensor after backward (leaves keep theirs anyway). */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's data with no autograd history. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, false);
  }

  /** Marks this (leaf, floating-point) tensor as needing gradients, in place. */
  requiresGrad_(flag = true): this {
    ops.assertCanRequireGrad(this, flag);
    this.requiresGrad = flag;
    return this;
  }

  /** Sets `.grad` to zeros in place (when there is one). */
  zeroGrad(): void {
    if (this.grad !== null) ops.fill_(this.grad, 0);
  }

  // ---- conveniences over ops (see ./ops for the semantics) ----

  /** this + other, broadcasting. */
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  /** this - other, broadcasting. */
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  /** this * other, elementwise, broadcasting. */
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  /** this / other, elementwise, broadcasting. */
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  /** this ** exponent, elementwise, broadcasting. */
  pow(exponent: TensorLike): Tensor {
    return ops.pow(this, exponent);
  }
  /** The elementwise larger of this and other, broadcasting. */
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  /** The elementwise smaller of this and other, broadcasting. */
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  /** -this, elementwise. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** e ** this, elementwise. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** Natural logarithm, elementwise. */
  log(): Tensor {
    return ops.log(this);
  }
  /** Square root, elementwise. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** 1 / sqrt(this), elementwise. */
  rsqrt(): Tensor {
    return ops.rsqrt(this);
  }
  /** Hyperbolic tangent, elementwise. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** 1 / (1 + e ** -this), elementwise. */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** max(this, 0), elementwise. */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** GELU, elementwise: exact (erf) or the tanh approximation (GPT-2's). */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return ops.gelu(this, approximate);
  }
  /** this * sigmoid(this) (SwiGLU's gate), elementwise. */
  silu(): Tensor {
    return ops.silu(this);
  }
  /** Absolute value, elementwise. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** this * this, elementwise. */
  square(): Tensor {
    return ops.square(this);
  }
  /** Sine, elementwise. */
  sin(): Tensor {
    return ops.sin(this);
  }
  /** Cosine, elementwise. */
  cos(): Tensor {
    return ops.cos(this);
  }
  /** Each element limited to [min, max] (null: no bound on that side). */
  clamp(min: number | null, max: number | null): Tensor {
    return ops.clamp(this, min, max);
  }

  /** this == other as a bool tensor, broadcasting. */
  eq(other: TensorLike): Tensor {
    return ops.eq(this, other);
  }
  /** this != other as a bool tensor, broadcasting. */
  ne(other: TensorLike): Tensor {
    return ops.ne(this, other);
  }
  /** this < other as a bool tensor, broadcasting. */
  lt(other: TensorLike): Tensor {
    return ops.lt(this, other);
  }
  /** this <= other as a bool tensor, broadcasting. */
  le(other: TensorLike): Tensor {
    return ops.le(this, other);
  }
  /** this > other as a bool tensor, broadcasting. */
  gt(other: TensorLike): Tensor {
    return ops.gt(this, other);
  }
  /** this >= other as a bool tensor, broadcasting. */
  ge(other: TensorLike): Tensor {
    return ops.ge(this, other);
  }
  /** A copy with `value` where the bool `mask` (broadcast to this shape) is true. */
  maskedFill(mask: Tensor, value: number): Tensor {
    return ops.maskedFill(this, mask, value);
  }

  /** Sum over `axes` (all when omitted); `keepdim` keeps them as size 1. */
  sum(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.sum(this, axes, keepdim);
  }
  /** Mean over `axes` (all when omitted); `keepdim` keeps them as size 1. */
  mean(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.mean(this, axes, keepdim);
  }
  /** Maximum over `axes` (all when omitted); `keepdim` keeps them as size 1. */
  max(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.max(this, axes, keepdim);
  }
  /** Minimum over `axes` (all when omitted); `keepdim` keeps them as size 1. */
  min(axes?: number | readonly number[], keepdim = false): Tensor {
    return ops.min(this, axes, keepdim);
  }
  /** Variance over `axes` (all when omitted), dividing by N - `correction` (1: unbiased, as torch). */
  var(axes?: number | readonly number[], keepdim = false, correction = 1): Tensor {
    return ops.variance(this, axes, keepdim, correction);
  }
  /** log(sum(exp(this))) over `axes`, computed stably. */
  logsumexp(axes: number | readonly number[], keepdim = false): Tensor {
    return ops.logsumexp(this, axes, keepdim);
  }
  /** Index of the largest element along `axis` (int32; the first on ties). */
  argmax(axis: number, keepdim = false): Tensor {
    return ops.argmax(this, axis, keepdim);
  }
  /** Index of the smallest element along `axis` (int32; the first on ties). */
  argmin(axis: number, keepdim = false): Tensor {
    return ops.argmin(this, axis, keepdim);
  }

  /** Matrix product, batched and broadcast over leading axes: [..., m, k] x [..., k, n] -> [..., m, n]. */
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  /** exp(this) normalised to sum 1 along `axis`. */
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  /** log(softmax(this)) along `axis`, computed stably. */
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }

  /** The same elements in a new shape (one -1 is inferred); a view when the layout allows, else a copy. */
  reshape(...shape: number[] | [readonly number[]]): Tensor {
    return ops.reshape(this, flattenShapeArgs(shape));
  }
  /** The same storage in a new shape (one -1 is inferred); throws when the layout needs a copy. */
  view(...shape: number[] | [readonly number[]]): Tensor {
    return ops.view(this, flattenShapeArgs(shape));
  }
  /** A view with the axes reordered. */
  permute(...axes: number[] | [readonly number[]]): Tensor {
    return ops.permute(this, flattenShapeArgs(axes));
  }
  /** A view with axes `a` and `b` swapped (default: the last two). */
  transpose(a = -2, b = -1): Tensor {
    return ops.transpose(this, a, b);
  }
  get T(): Tensor {
    return ops.transpose(this, -2, -1);
  }
  /** A view broadcasting size-1 axes to `shape` (-1 keeps an axis) without copying. */
  expand(...shape: number[] | [readonly number[]]): Tensor {
    return ops.expand(this, flattenShapeArgs(shape));
  }
  /** A view of `length` elements along `axis` from `start`. */
  narrow(axis: number, start: number, length: number): Tensor {
    return ops.narrow(this, axis, start, length);
  }
  /** A view of elements start, start + step, ... before `end` along `axis` (Python-style negatives). */
  slice(axis: number, start: number, end?: number, step = 1): Tensor {
    return ops.slice(this, axis, start, end, step);
  }
  /** A view at one index along `axis`, which is removed. */
  select(axis: number, index: number): Tensor {
    return ops.select(this, axis, index);
  }
  /** A view without size-1 axes (only `axis` when given). */
  squeeze(axis?: number): Tensor {
    return ops.squeeze(this, axis);
  }
  /** A view with a new size-1 axis at `axis`. */
  unsqueeze(axis: number): Tensor {
    return ops.unsqueeze(this, axis);
  }
  /** The axes from `startAxis` to `endAxis` merged into one. */
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return ops.flatten(this, startAxis, endAxis);
  }
  /** Views of consecutive pieces along `axis`: of one size each (the last may be shorter), or of the listed sizes. */
  split(sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
    return ops.split(this, sizeOrSections, axis);
  }
  /** `chunks` views of (nearly) equal size along `axis`. */
  chunk(chunks: number, axis = 0): Tensor[] {
    return ops.chunk(this, chunks, axis);
  }
  /** This tensor when it is contiguous, else a row-major copy. */
  contiguous(): Tensor {
    return ops.contiguous(this);
  }
  /** A copy with its own storage (gradients flow back to this tensor). */
  clone(): Tensor {
    return ops.clone(this);
  }
  /** A copy converted to `dtype` (this tensor itself when it already has it). */
  to(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  /** out[i][j] = this[index[i][j]][j] for axis 0 (and so on): picks along `axis` by an int32 index of the output's shape. */
  gather(axis: number, index: Tensor): Tensor {
    return ops.gather(this, axis, index);
  }
  /** The slices at the int32 indices of the 1-D `index` along `axis` (embedding lookup for axis 0). */
  indexSelect(axis: number, index: Tensor): Tensor {
    return ops.indexSelect(this, axis, index);
  }

  // in-place (no autograd; for optimizers, gradient buffers and initialization)
  /** Sets every element to `value`, in place (no autograd). */
  fill_(value: number): this {
    ops.fill_(this, value);
    return this;
  }
  /** Copies `src` (broadcast to this shape) into this tensor, in place (no autograd). */
  copy_(src: Tensor): this {
    ops.copy_(this, src);
    return this;
  }
  /** this += alpha * other, in place (no autograd; optimizers, gradient buffers). */
  add_(other: TensorLike, alpha = 1): this {
    ops.add_(this, other, alpha);
    return this;
  }
  /** this *= other, in place (no autograd). */
  mul_(other: TensorLike): this {
    ops.mul_(this, other);
    return this;
  }
}

function flattenShapeArgs(args: number[] | [readonly number[]]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return [...(args[0] as readonly number[])];
  return args as number[];
}
