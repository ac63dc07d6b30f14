/** Reference elementwise kernels: unary ops and their derivatives, broadcasting binary ops, compare, where. */
import type { BinaryOp, CompareOp, StridedArray, UnaryOp } from '../backend.ts';
import type { DataArray, FloatArray } from '../../core/dtype.ts';
import { erf, gelu, geluGrad, geluTanh, geluTanhGrad, sigmoid } from './math.ts';

export function unaryScalar(op: UnaryOp, x: number, p: number): number {
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'log':
      return Math.log(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'rsqrt':
      return 1 / Math.sqrt(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'gelu':
      return gelu(x);
    case 'gelu_tanh':
      return geluTanh(x);
    case 'silu':
      return x * sigmoid(x);
    case 'abs':
      return Math.abs(x);
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'square':
      return x * x;
    case 'reciprocal':
      return 1 / x;
    case 'pow':
      return Math.pow(x, p);
    case 'scale':
      return x * p;
    case 'add_scalar':
      return x + p;
    case 'sign':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'erf':
      return erf(x);
  }
}

/** d f(x) / dx, given x and y = f(x). */
export function unaryDerivative(op: UnaryOp, x: number, y: number, p: number): number {
  switch (op) {
    case 'neg':
      return -1;
    case 'exp':
      return y;
    case 'log':
      return 1 / x;
    case 'sqrt':
      return 0.5 / y;
    case 'rsqrt':
      return -0.5 * y * y * y;
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
    case 'relu':
      return x > 0 ? 1 : 0;
    case 'gelu':
      return geluGrad(x);
    case 'gelu_tanh':
      return geluTanhGrad(x);
    case 'silu': {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case 'abs':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'sin':
      return Math.cos(x);
    case 'cos':
      return -Math.sin(x);
    case 'square':
      return 2 * x;
    case 'reciprocal':
      return -y * y;
    case 'pow':
      return p === 0 ? 0 : p * Math.pow(x, p - 1);
    case 'scale':
      return p;
    case 'add_scalar':
      return 1;
    case 'sign':
      return 0;
    case 'erf':
      return 1.1283791670955126 * Math.exp(-x * x);
  }
}

export function unary(op: UnaryOp, x: FloatArray, out: FloatArray, n: number, param: number): void {
  for (let i = 0; i < n; i++) out[i] = unaryScalar(op, x[i]!, param);
}

export function unaryGrad(
  op: UnaryOp,
  x: FloatArray,
  y: FloatArray,
  gy: FloatArray,
  gx: FloatArray,
  n: number,
  param: number,
): void {
  for (let i = 0; i < n; i++) gx[i] = gy[i]! * unaryDerivative(op, x[i]!, y[i]!, param);
}

function binaryScalar(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'maximum':
      return a >= b || Number.isNaN(a) ? a : b;
    case 'minimum':
      return a <= b || Number.isNaN(a) ? a : b;
    case 'pow':
      return Math.pow(a, b);
  }
}

function compareScalar(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
  }
}

/**
 * Visits every index of `shape` in row-major order, calling visit(outIndex, offsets...) with
 * the element offsets of each strided operand. The innermost dimension is a plain loop.
 */
function forEachStrided(
  shape: readonly number[],
  operands: readonly StridedArray[],
  visit: (outIndex: number, offsets: Int32Array | number[]) => void,
): void {
  const ndim = shape.length;
  const offsets = operands.map((o) => o.offset);
  let total = 1;
  for (const d of shape) total *= d;
  if (total === 0) return;
  if (ndim === 0) {
    visit(0, offsets);
    return;
  }
  const counter = new Array<number>(ndim).fill(0);
  const inner = shape[ndim - 1]!;
  const innerStrides = operands.map((o) => o.strides[ndim - 1]!);
  const cur = offsets.slice();
  for (let outIndex = 0; outIndex < total;) {
    for (let i = 0; i < inner; i++) {
      visit(outIndex++, cur);
      for (let o = 0; o < cur.length; o++) cur[o]! += innerStrides[o]!;
    }
    // carry into the outer dimensions
    for (let o = 0; o < cur.length; o++) cur[o]! -= inner * innerStrides[o]!;
    let d = ndim - 2;
    for (; d >= 0; d--) {
      counter[d]!++;
      for (let o = 0; o < cur.length; o++) cur[o]! += operands[o]!.strides[d]!;
      if (counter[d]! < shape[d]!) break;
      for (let o = 0; o < cur.length; o++) cur[o]! -= counter[d]! * operands[o]!.strides[d]!;
      counter[d] = 0;
    }
    if (d < 0) break;
  }
}

export function copyStrided(src: StridedArray, shape: readonly number[], out: DataArray): void {
  const data = src.data;
  const isBool = out instanceof Uint8Array;
  const isInt = out instanceof Int32Array;
  forEachStrided(shape, [src], (i, off) => {
    const v = data[off[0]!]!;
    out[i] = isBool ? (v !== 0 ? 1 : 0) : isInt ? Math.trunc(v) : v;
  });
}

export function binary(op: BinaryOp, a: StridedArray, b: StridedArray, shape: readonly number[], out: DataArray): void {
  const ad = a.data;
  const bd = b.data;
  const isInt = out instanceof Int32Array;
  forEachStrided(shape, [a, b], (i, off) => {
    const v = binaryScalar(op, ad[off[0]!]!, bd[off[1]!]!);
    out[i] = isInt ? (op === 'div' ? Math.trunc(v) : v) : v;
  });
}

export function compare(
  op: CompareOp,
  a: StridedArray,
  b: StridedArray,
  shape: readonly number[],
  out: Uint8Array,
): void {
  const ad = a.data;
  const bd = b.data;
  forEachStrided(shape, [a, b], (i, off) => {
    out[i] = compareScalar(op, ad[off[0]!]!, bd[off[1]!]!) ? 1 : 0;
  });
}

export function where(
  cond: StridedArray<Uint8Array>,
  a: StridedArray,
  b: StridedArray,
  shape: readonly number[],
  out: DataArray,
): void {
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  forEachStrided(shape, [cond, a, b], (i, off) => {
    out[i] = cd[off[0]!] !== 0 ? ad[off[1]!]! : bd[off[2]!]!;
  });
}

export function fill(out: DataArray, n: number, value: number): void {
  out.fill(value, 0, n);
}

export function assign(dst: StridedArray, src: StridedArray, shape: readonly number[]): void {
  const out = dst.data;
  const data = src.data;
  const isBool = out instanceof Uint8Array;
  const isInt = out instanceof Int32Array;
  // dst is visited as a second operand so its offsets advance with its own strides
  forEachStrided(shape, [src, dst], (_i, off) => {
    const v = data[off[0]!]!;
    out[off[1]!] = isBool ? (v !== 0 ? 1 : 0) : isInt ? Math.trunc(v) : v;
  });
}
