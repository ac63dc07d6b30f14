/**
 * Reductions over any set of axes, with keepdim: sum, mean, max, min, var, logsumexp,
 * argmax/argmin. The kernel reduces the middle axis of [outer, r, inner]; reduced axes that
 * are adjacent merge into one r, otherwise they are permuted to the end first.
 */
import type { ArgReduceOp, ReduceOp } from '../../backends/backend.ts';
import type { DType } from '../../core/dtype.ts';
import { isFloatDType } from '../../core/dtype.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { normalizeAxes, normalizeAxis, numel, shapesEqual } from '../shape.ts';
import type { Shape } from '../shape.ts';
import { dense, empty } from './util.ts';
import { contiguous, expand, permute, reshape } from './movement.ts';
import { add, div, eq, exp, log, mul, sub, where } from './elementwise.ts';
import { cast } from './movement.ts';

type Axes = number | readonly number[] | undefined;

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function outShape(shape: Shape, axes: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, axes) : shape.filter((_, i) => !axes.includes(i));
}

/** Runs a reduce kernel over `axes` of x; returns a tensor of the keepdim shape. */
function reduceKernel(op: ReduceOp, x: Tensor, axes: readonly number[], dtype: DType): Tensor {
  const shape = keptShape(x.shape, axes);
  const out = empty(shape, dtype, x.backend);
  if (axes.length === 0) {
    x.backend.copyStrided({ data: x.data, offset: x.offset, strides: x.strides }, x.shape, out.data);
    return out;
  }
  let src = x;
  let outer: number;
  let r: number;
  let inner: number;
  const adjacent = axes[axes.length - 1]! - axes[0]! === axes.length - 1;
  if (adjacent) {
    src = contiguous(x);
    outer = numel(x.shape.slice(0, axes[0]!));
    r = numel(axes.map((a) => x.shape[a]!));
    inner = numel(x.shape.slice(axes[axes.length - 1]! + 1));
  } else {
    const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    src = contiguous(permute(x, [...rest, ...axes]));
    outer = numel(rest.map((a) => x.shape[a]!));
    r = numel(axes.map((a) => x.shape[a]!));
    inner = 1;
  }
  if (src.dtype !== dtype) src = cast(src, dtype);
  x.backend.reduce(op, dense(src), outer, r, inner, out.data);
  return out;
}

/** Sums g over the dims that broadcasting expanded, back to `shape`. */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new ShapeError('sumToShape', 'target has more dimensions than the gradient', [g.shape, shape]);
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? sum(g, axes, true) : g;
  return reshape(summed, shape);
}

export function sum(x: Tensor, axesIn?: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('sum', axesIn, x.ndim);
  const dtype: DType = x.dtype === 'bool' ? 'int32' : x.dtype;
  const kept = reduceKernel('sum', x, axes, dtype);
  const out = keepdim ? kept : reshape(kept, outShape(x.shape, axes, false));
  if (needsGrad(x)) {
    const shapeKept = keptShape(x.shape, axes);
    attach(out, 'sum', [x], (g) => [expand(reshape(g, shapeKept), x.shape)]);
  }
  return out;
}

export function mean(x: Tensor, axesIn?: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('mean', axesIn, x.ndim);
  if (!isFloatDType(x.dtype)) throw new ArgumentError('mean', `needs a floating-point tensor, got ${x.dtype}`);
  const count = numel(axes.map((a) => x.shape[a]!));
  return mul(sum(x, axes, keepdim), 1 / count);
}

function extreme(op: 'max' | 'min', x: Tensor, axesIn: Axes, keepdim: boolean): Tensor {
  const axes = normalizeAxes(op, axesIn, x.ndim);
  for (const a of axes) if (x.shape[a] === 0) throw new ArgumentError(op, `cannot reduce over an empty dimension ${a}`);
  const kept = reduceKernel(op, x, axes, x.dtype);
  const out = keepdim ? kept : reshape(kept, outShape(x.shape, axes, false));
  if (needsGrad(x)) {
    attach(out, op, [x], (g) => {
      // the gradient goes to the extreme elements, split evenly among ties (torch.amax semantics)
      const winners = cast(eq(x, kept), x.dtype);
      const count = sum(winners, axes, true);
      const gk = reshape(g, kept.shape);
      return [mul(winners, div(gk, count))];
    });
  }
  return out;
}

export const max = (x: Tensor, axes?: Axes, keepdim = false): Tensor => extreme('max', x, axes, keepdim);
export const min = (x: Tensor, axes?: Axes, keepdim = false): Tensor => extreme('min', x, axes, keepdim);

/** Variance with Bessel's correction by default (correction = 1), as torch.var. */
export function variance(x: Tensor, axesIn?: Axes, keepdim = false, correction = 1): Tensor {
  const axes = normalizeAxes('var', axesIn, x.ndim);
  const count = numel(axes.map((a) => x.shape[a]!));
  const centered = sub(x, mean(x, axes, true));
  return mul(sum(mul(centered, centered), axes, keepdim), 1 / Math.max(count - correction, 0));
}

/** log(sum(exp(x))) over axes, stable (subtracts the max, which is treated as a constant). */
export function logsumexp(x: Tensor, axesIn: Axes, keepdim = false): Tensor {
  const axes = normalizeAxes('logsumexp', axesIn, x.ndim);
  const m = reduceKernel('max', x, axes, x.dtype); // keepdim shape, no graph
  // rows of all -inf: use 0 as the shift so the result is -inf rather than NaN
  const finite = where(eq(m, -Infinity), 0, where(eq(m, Infinity), 0, m));
  const shifted = exp(sub(x, finite));
  const out = add(log(sum(shifted, axes, true)), finite);
  return keepdim ? out : reshape(out, outShape(x.shape, axes, false));
}

function argExtreme(op: ArgReduceOp, x: Tensor, axis: number, keepdim: boolean): Tensor {
  const a = normalizeAxis(op, axis, x.ndim);
  if (x.shape[a] === 0) throw new ArgumentError(op, `cannot reduce over an empty dimension ${a}`);
  const src = contiguous(x);
  const shape = keptShape(x.shape, [a]);
  const out = empty(shape, 'int32', x.backend);
  x.backend.argReduce(
    op,
    dense(src),
    numel(x.shape.slice(0, a)),
    x.shape[a]!,
    numel(x.shape.slice(a + 1)),
    out.data as Int32Array,
  );
  return keepdim ? out : reshape(out, outShape(x.shape, [a], false));
}

export const argmax = (x: Tensor, axis: number, keepdim = false): Tensor => argExtreme('argmax', x, axis, keepdim);
export const argmin = (x: Tensor, axis: number, keepdim = false): Tensor => argExtreme('argmin', x, axis, keepdim);
