/**
 * Elementwise ops: unary math and activations, binary arithmetic with NumPy broadcasting,
 * comparisons, where/maskedFill, clamp. Scalars (plain numbers) are accepted wherever a
 * tensor operand is; float tensor (op) scalar runs as one fused unary kernel.
 */
import type { BinaryOp, CompareOp, UnaryOp } from '../../backends/backend.ts';
import type { DType } from '../../core/dtype.ts';
import { isFloatDType, promoteTypes } from '../../core/dtype.ts';
import { Tensor } from '../tensor.ts';
import type { TensorLike } from '../tensor.ts';
import { ArgumentError, DTypeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { broadcastShapes, broadcastStrides } from '../shape.ts';
import { assertFloat, dense, denseFloat, empty, sameBackend, strided } from './util.ts';
import { cast, contiguous } from './movement.ts';
import { sumToShape } from './reduce.ts';
import { scalar } from './creation.ts';

// ---- unary ----

function unaryOp(op: UnaryOp, x: Tensor, param = 0): Tensor {
  assertFloat(op, x);
  const xc = contiguous(x);
  const out = empty(x.shape, x.dtype, x.backend);
  x.backend.unary(op, denseFloat(xc), denseFloat(out), out.size, param);
  if (needsGrad(x)) {
    attach(out, op, [x], (g) => {
      const gc = contiguous(g);
      const gx = empty(x.shape, x.dtype, x.backend);
      x.backend.unaryGrad(op, denseFloat(xc), denseFloat(out), denseFloat(gc), denseFloat(gx), gx.size, param);
      return [gx];
    });
  }
  return out;
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const silu = (x: Tensor): Tensor => unaryOp('silu', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sin = (x: Tensor): Tensor => unaryOp('sin', x);
export const cos = (x: Tensor): Tensor => unaryOp('cos', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
export const erf = (x: Tensor): Tensor => unaryOp('erf', x);
export const sign = (x: Tensor): Tensor => unaryOp('sign', x);

/** GELU: exact (erf) by default, or the tanh approximation GPT-2 uses ("gelu_new"). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return unaryOp(approximate === 'tanh' ? 'gelu_tanh' : 'gelu', x);
}

// ---- binary ----

/**
 * A number operand takes the tensor's dtype, except (torch's promotion for Python scalars) a
 * non-integer with an int32/bool tensor is float32 and an integer with a bool tensor is int32,
 * so `ids.lt(0.5)` or `ids.add(0.5)` do not silently truncate the scalar to 0.
 */
function toTensor(v: TensorLike, like: Tensor): Tensor {
  if (typeof v !== 'number') return v;
  let dtype: DType = like.dtype;
  if (!isFloatDType(dtype)) dtype = !Number.isInteger(v) ? 'float32' : dtype === 'bool' ? 'int32' : dtype;
  return scalar(v, { dtype, backend: like.backend });
}

function binaryOp(op: BinaryOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  if (typeof aIn === 'number' && typeof bIn === 'number')
    throw new ArgumentError(op, 'needs at least one tensor operand');
  // float tensor with a scalar: one fused unary kernel
  if (typeof bIn === 'number' && isFloatDType((aIn as Tensor).dtype)) {
    const a = aIn as Tensor;
    switch (op) {
      case 'add':
        return unaryOp('add_scalar', a, bIn);
      case 'sub':
        return unaryOp('add_scalar', a, -bIn);
      case 'mul':
        return unaryOp('scale', a, bIn);
      case 'div':
        return unaryOp('scale', a, 1 / bIn);
      case 'pow':
        return unaryOp('pow', a, bIn);
      default:
        break;
    }
  }
  if (typeof aIn === 'number' && isFloatDType((bIn as Tensor).dtype)) {
    const b = bIn as Tensor;
    if (op === 'add') return unaryOp('add_scalar', b, aIn);
    if (op === 'mul') return unaryOp('scale', b, aIn);
  }
  const ref = typeof aIn === 'number' ? (bIn as Tensor) : aIn;
  let a = toTensor(aIn, ref);
  let b = toTensor(bIn, ref);
  const backend = sameBackend(op, a, b);
  let dtype: DType = promoteTypes(a.dtype, b.dtype);
  if (dtype === 'bool') dtype = 'int32';
  if ((op === 'div' || op === 'pow') && !isFloatDType(dtype)) dtype = 'float32'; // true division, as PyTorch
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, dtype, backend);
  backend.binary(
    op,
    strided(a, broadcastStrides(a.shape, a.strides, shape)),
    strided(b, broadcastStrides(b.shape, b.strides, shape)),
    shape,
    out.data,
  );
  if (needsGrad(a, b)) {
    const A = a;
    const B = b;
    attach(out, op, [A, B], (g) => {
      const ga = A.requiresGrad ? binaryGradA(op, g, A, B, out) : null;
      const gb = B.requiresGrad ? binaryGradB(op, g, A, B, out) : null;
      return [ga === null ? null : sumToShape(ga, A.shape), gb === null ? null : sumToShape(gb, B.shape)];
    });
  }
  return out;
}

function binaryGradA(op: BinaryOp, g: Tensor, a: Tensor, b: Tensor, out: Tensor): Tensor {
  switch (op) {
    case 'add':
    case 'sub':
      return g;
    case 'mul':
      return mul(g, b);
    case 'div':
      return div(g, b);
    // 0 where b == 0, as torch (else 0^0 would give 0 * inf = NaN)
    case 'pow':
      return mul(g, where(eq(b, 0), 0, mul(b, pow(a, sub(b, 1)))));
    case 'maximum':
      return mul(g, tieWeights(a, b, out, 'gt'));
    case 'minimum':
      return mul(g, tieWeights(a, b, out, 'lt'));
  }
}

function binaryGradB(op: BinaryOp, g: Tensor, a: Tensor, b: Tensor, out: Tensor): Tensor {
  switch (op) {
    case 'add':
      return g;
    case 'sub':
      return neg(g);
    case 'mul':
      return mul(g, a);
    case 'div':
      return neg(div(mul(g, out), b));
    case 'pow': {
      // a^b log a, but 0 where a == 0 and b >= 0, as torch (else 0 * -inf = NaN)
      const t = mul(out, log(a));
      return mul(g, where(eq(a, 0), where(ge(b, 0), 0, t), t));
    }
    case 'maximum':
      return mul(g, tieWeights(b, a, out, 'gt'));
    case 'minimum':
      return mul(g, tieWeights(b, a, out, 'lt'));
  }
}

/** 1 where x strictly wins, 0.5 on ties (PyTorch splits the gradient of max/min ties evenly). */
function tieWeights(x: Tensor, other: Tensor, like: Tensor, cmp: 'gt' | 'lt'): Tensor {
  const wins = cast(compareOp(cmp, x, other), like.dtype);
  const ties = cast(compareOp('eq', x, other), like.dtype);
  return add(wins, mul(ties, 0.5));
}

export const add = (a: TensorLike, b: TensorLike): Tensor => binaryOp('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binaryOp('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binaryOp('mul', a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryOp('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binaryOp('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryOp('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryOp('minimum', a, b);

// ---- comparisons (bool results, no gradient) ----

function compareOp(op: CompareOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  if (typeof aIn === 'number' && typeof bIn === 'number')
    throw new ArgumentError(op, 'needs at least one tensor operand');
  const ref = typeof aIn === 'number' ? (bIn as Tensor) : aIn;
  const a = toTensor(aIn, ref);
  const b = toTensor(bIn, ref);
  const backend = sameBackend(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, 'bool', backend);
  backend.compare(
    op,
    strided(a, broadcastStrides(a.shape, a.strides, shape)),
    strided(b, broadcastStrides(b.shape, b.strides, shape)),
    shape,
    out.data as Uint8Array,
  );
  return out;
}

export const eq = (a: TensorLike, b: TensorLike): Tensor => compareOp('eq', a, b);
export const ne = (a: TensorLike, b: TensorLike): Tensor => compareOp('ne', a, b);
export const lt = (a: TensorLike, b: TensorLike): Tensor => compareOp('lt', a, b);
export const le = (a: TensorLike, b: TensorLike): Tensor => compareOp('le', a, b);
export const gt = (a: TensorLike, b: TensorLike): Tensor => compareOp('gt', a, b);
export const ge = (a: TensorLike, b: TensorLike): Tensor => compareOp('ge', a, b);

/** cond ? a : b with broadcasting; cond must be bool. */
export function where(cond: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  if (cond.dtype !== 'bool') throw new DTypeError('where', `condition must be bool, got ${cond.dtype}`, [cond.dtype]);
  const ref = typeof aIn !== 'number' ? aIn : typeof bIn !== 'number' ? bIn : null;
  const like = ref ?? scalar(0, { backend: cond.backend });
  let a = toTensor(aIn, like);
  let b = toTensor(bIn, like);
  const dtype = promoteTypes(a.dtype, b.dtype);
  if (a.dtype !== dtype) a = cast(a, dtype);
  if (b.dtype !== dtype) b = cast(b, dtype);
  const backend = sameBackend('where', cond, a, b);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const out = empty(shape, dtype, backend);
  backend.where(
    strided(cond, broadcastStrides(cond.shape, cond.strides, shape)) as {
      data: Uint8Array;
      offset: number;
      strides: number[];
    },
    strided(a, broadcastStrides(a.shape, a.strides, shape)),
    strided(b, broadcastStrides(b.shape, b.strides, shape)),
    shape,
    out.data,
  );
  if (needsGrad(a, b)) {
    const A = a;
    const B = b;
    attach(out, 'where', [A, B], (g) => [
      A.requiresGrad ? sumToShape(where(cond, g, 0), A.shape) : null,
      B.requiresGrad ? sumToShape(where(cond, 0, g), B.shape) : null,
    ]);
  }
  return out;
}

/** x with `value` wherever mask (bool, broadcast to x) is true. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (mask.dtype !== 'bool') throw new DTypeError('maskedFill', `mask must be bool, got ${mask.dtype}`, [mask.dtype]);
  const out = where(mask, scalar(value, { dtype: x.dtype, backend: x.backend }), x);
  return out;
}

/** Clamps to [min, max] (either may be null); the gradient passes where min <= x <= max. */
export function clamp(x: Tensor, min: number | null, max: number | null): Tensor {
  assertFloat('clamp', x);
  let out = x;
  if (min !== null) out = where(lt(x, min), scalar(min, { dtype: x.dtype, backend: x.backend }), out);
  // compares the min-clamped value, so min > max gives max everywhere (torch's min(max(x, min), max))
  if (max !== null) out = where(gt(out, max), scalar(max, { dtype: x.dtype, backend: x.backend }), out);
  return out;
}

/** dense() re-exported for ops that need raw access. */
export { dense };
