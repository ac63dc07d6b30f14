/**
 * In-place ops (fill_, copy_, add_, mul_) for optimizers, gradient buffers and
 * initialization. They record no graph, and refuse to run on a tensor that autograd may
 * still need (a leaf that requires grad, while grad mode is on), as PyTorch does.
 */
import { Tensor } from '../tensor.ts';
import type { TensorLike } from '../tensor.ts';
import { ArgumentError, AutogradError, ShapeError } from '../../core/errors.ts';
import { isGradEnabled } from '../grad-mode.ts';
import { untracked } from '../memory.ts';
import { broadcastShapes, broadcastStrides, shapesEqual } from '../shape.ts';
import { isFloatDType } from '../../core/dtype.ts';
import { empty, sameBackend, strided } from './util.ts';
import { full } from './creation.ts';
import { contiguousCopy } from './movement.ts';

function checkWritable(op: string, t: Tensor): void {
  if (isGradEnabled() && t.requiresGrad) {
    throw new AutogradError(
      `${op}: cannot modify a tensor that requires grad in place while grad mode is on (wrap the update in noGrad())`,
    );
  }
  // an expanded destination would receive several updates per element, in kernel order (fill_ is harmless)
  if (op !== 'fill_' && t.shape.some((d, i) => d > 1 && t.strides[i] === 0)) {
    throw new ArgumentError(
      op,
      'the destination is an expanded view (several elements share memory); clone() it first',
    );
  }
  t.storage.version++;
}

function checkTarget(op: string, t: Tensor, src: Tensor): void {
  const b = broadcastShapes(op, src.shape, t.shape);
  if (!shapesEqual(b, t.shape))
    throw new ShapeError(op, 'the source must broadcast to the destination shape', [t.shape, src.shape]);
}

/**
 * src as it must be read while t is written: a copy when it views t's storage in another
 * layout (x[1:].copy_(x[:-1]) would otherwise read values it already overwrote).
 */
function unaliased(t: Tensor, src: Tensor): Tensor {
  if (src.storage !== t.storage) return src;
  const same =
    src.offset === t.offset && shapesEqual(src.shape, t.shape) && src.strides.every((s, i) => s === t.strides[i]);
  return same ? src : contiguousCopy(src);
}

export function fill_(t: Tensor, value: number): void {
  checkWritable('fill_', t);
  if (t.isContiguous()) {
    const d = t.offset === 0 ? t.data : t.data.subarray(t.offset, t.offset + t.size);
    t.backend.fill(d, t.size, value);
  } else {
    const v = full([], value, { dtype: t.dtype, backend: t.backend });
    t.backend.assign(strided(t), { data: v.data, offset: 0, strides: t.shape.map(() => 0) }, t.shape);
  }
}

export function copy_(t: Tensor, src: Tensor): void {
  checkWritable('copy_', t);
  sameBackend('copy_', t, src);
  checkTarget('copy_', t, src);
  const s = unaliased(t, src);
  t.backend.assign(strided(t), strided(s, broadcastStrides(s.shape, s.strides, t.shape)), t.shape);
}

/** t += alpha * other. */
export function add_(t: Tensor, other: TensorLike, alpha = 1): void {
  checkWritable('add_', t);
  if (typeof other === 'number') {
    const v = full([], other * alpha, { dtype: t.dtype, backend: t.backend });
    binaryInPlace('add', t, v);
    return;
  }
  sameBackend('add_', t, other);
  checkTarget('add_', t, other);
  if (alpha === 1) binaryInPlace('add', t, unaliased(t, other));
  else {
    const scaled = empty(other.shape, t.dtype, t.backend);
    t.backend.copyStrided(strided(other), other.shape, scaled.data);
    t.backend.unary('scale', scaled.data as Float32Array, scaled.data as Float32Array, scaled.size, alpha);
    binaryInPlace('add', t, scaled);
  }
}

export function mul_(t: Tensor, other: TensorLike): void {
  checkWritable('mul_', t);
  const o = typeof other === 'number' ? full([], other, { dtype: t.dtype, backend: t.backend }) : other;
  sameBackend('mul_', t, o);
  checkTarget('mul_', t, o);
  binaryInPlace('mul', t, unaliased(t, o));
}

function binaryInPlace(op: 'add' | 'mul', t: Tensor, other: Tensor): void {
  const bStrides = broadcastStrides(other.shape, other.strides, t.shape);
  if (t.isContiguous()) {
    const out = t.offset === 0 ? t.data : t.data.subarray(t.offset, t.offset + t.size);
    t.backend.binary(op, strided(t), strided(other, bStrides), t.shape, out);
  } else {
    const tmp = empty(t.shape, t.dtype, t.backend);
    t.backend.binary(op, strided(t), strided(other, bStrides), t.shape, tmp.data);
    t.backend.assign(strided(t), strided(tmp), t.shape);
  }
}

/** Adds a gradient into t.grad (allocated outside every memory scope on first use, so it persists). */
export function accumulateGrad(t: Tensor, g: Tensor): void {
  if (t.grad === null) {
    t.grad = untracked(() => {
      const copy = empty(t.shape, t.dtype, t.backend);
      t.backend.copyStrided(strided(g), g.shape, copy.data);
      return copy;
    });
    return;
  }
  if (!shapesEqual(t.grad.shape, t.shape))
    throw new ShapeError('accumulateGrad', '.grad has a different shape than the tensor', [t.grad.shape, t.shape]);
  binaryInPlace('add', t.grad, g);
}

export function assertCanRequireGrad(t: Tensor, flag: boolean): void {
  if (flag && !isFloatDType(t.dtype))
    throw new AutogradError(`only floating-point tensors can require gradients, not ${t.dtype}`);
  if (!t.isLeaf) throw new AutogradError('requiresGrad_ can only change leaf tensors; use detach() first');
}
