/** Creating tensors: from data, constants, ranges and random draws (always with an explicit Generator for randomness). */
import type { Backend } from '../../backends/backend.ts';
import type { DataArray, DType } from '../../core/dtype.ts';
import { dtypeOfArray, isFloatDType, newArray } from '../../core/dtype.ts';
import { getDefaultBackend } from '../../backends/select.ts';
import { Storage } from '../memory.ts';
import { Generator } from '../../core/random.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, ShapeError } from '../../core/errors.ts';
import { assertValidShape, numel } from '../shape.ts';
import type { Shape } from '../shape.ts';
import { empty } from './util.ts';

export interface TensorOptions {
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
}

export type NestedArray = number | boolean | readonly NestedArray[];

function resolve(options: TensorOptions | undefined, fallback: DType = 'float32'): { dtype: DType; backend: Backend } {
  return { dtype: options?.dtype ?? fallback, backend: options?.backend ?? getDefaultBackend() };
}

function finish(t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad === true) {
    if (!isFloatDType(t.dtype))
      throw new ArgumentError('tensor', `only floating-point tensors can require gradients, not ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = (cur as readonly NestedArray[])[0]!;
  }
  return shape;
}

function flattenInto(data: NestedArray, shape: readonly number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data))
      throw new ShapeError('tensor', 'ragged nested array (sub-arrays of different depths)', [shape]);
    out.push(typeof data === 'boolean' ? (data ? 1 : 0) : (data as number));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError('tensor', `ragged nested array: expected ${shape[dim]} elements at depth ${dim}`, [shape]);
  }
  for (const item of data as readonly NestedArray[]) flattenInto(item, shape, dim + 1, out);
}

/**
 * A tensor from nested arrays, or from a flat typed/plain array with an explicit shape.
 * The dtype defaults to the typed array's, else float32 (int32 never guessed from numbers).
 */
export function tensor(
  data: NestedArray | DataArray | readonly number[],
  options?: TensorOptions & { shape?: Shape },
): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  let inferred: DType = 'float32';
  if (ArrayBuffer.isView(data)) {
    flat = data;
    inferred = dtypeOfArray(data);
    shape = options?.shape ? [...options.shape] : [data.length];
  } else if (options?.shape !== undefined && Array.isArray(data) && data.every((x) => typeof x === 'number')) {
    flat = data as readonly number[];
    shape = [...options.shape];
  } else {
    shape = inferShape(data as NestedArray);
    const out: number[] = [];
    flattenInto(data as NestedArray, shape, 0, out);
    flat = out;
    if (typeof data === 'boolean' || (Array.isArray(data) && typeof data.flat(Infinity)[0] === 'boolean'))
      inferred = 'bool';
  }
  assertValidShape('tensor', shape);
  if (numel(shape) !== flat.length) {
    throw new ShapeError('tensor', `${flat.length} values do not fill shape [${shape.join(', ')}]`, [shape]);
  }
  const { dtype, backend } = resolve(options, inferred);
  const t = empty(shape, dtype, backend);
  const dst = t.data;
  if (dtype === 'int32') for (let i = 0; i < flat.length; i++) dst[i] = Math.trunc(flat[i]!);
  else if (dtype === 'bool') for (let i = 0; i < flat.length; i++) dst[i] = flat[i]! !== 0 ? 1 : 0;
  else dst.set(flat as ArrayLike<number>);
  return finish(t, options);
}

/** A 0-dimensional tensor holding one value. */
export function scalar(value: number, options?: TensorOptions): Tensor {
  return tensor([value], { ...options, shape: [] });
}

/**
 * Wraps an existing array without copying (it must not be used elsewhere afterwards); a backend
 * whose arrays live in its own memory (wasm) copies it there instead.
 */
export function fromArray(data: DataArray, shape: Shape, options?: Omit<TensorOptions, 'dtype'>): Tensor {
  assertValidShape('fromArray', shape);
  if (numel(shape) !== data.length)
    throw new ShapeError('fromArray', `${data.length} values do not fill the shape`, [shape]);
  const backend = options?.backend ?? getDefaultBackend();
  const dtype = dtypeOfArray(data);
  // a backend with its own memory (WebAssembly: `free`) gets a copy there, once, instead of
  // staging the caller's array into its memory at every kernel call
  let array = data;
  if (backend.free !== undefined) {
    array = backend.alloc(dtype, data.length);
    array.set(data as never);
  }
  // not tracked by any scope: the caller owns this array, so it must never go to the pool
  const t = new Tensor(new Storage(backend, dtype, array), [...shape]);
  return finish(t, options);
}

export function full(shape: Shape, value: number, options?: TensorOptions): Tensor {
  assertValidShape('full', shape);
  const { dtype, backend } = resolve(options);
  const t = empty(shape, dtype, backend);
  backend.fill(t.data, t.size, value);
  return finish(t, options);
}

/** A tensor of `shape` filled with 0 (dtype float32 unless `options` says). */
export function zeros(shape: Shape, options?: TensorOptions): Tensor {
  return full(shape, 0, options);
}

/** A tensor of `shape` filled with 1 (dtype float32 unless `options` says). */
export function ones(shape: Shape, options?: TensorOptions): Tensor {
  return full(shape, 1, options);
}

function likeOptions(t: Tensor, options?: TensorOptions): TensorOptions {
  return {
    dtype: options?.dtype ?? t.dtype,
    backend: options?.backend ?? t.backend,
    requiresGrad: options?.requiresGrad ?? false,
  };
}

export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return zeros(t.shape, likeOptions(t, options));
}

export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return ones(t.shape, likeOptions(t, options));
}

export function fullLike(t: Tensor, value: number, options?: TensorOptions): Tensor {
  return full(t.shape, value, likeOptions(t, options));
}

/** [start, end) with step; with one argument, [0, start). Integers give int32 unless a dtype is given. */
export function arange(start: number, end?: number, step = 1, options?: TensorOptions): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  if (step === 0 || !Number.isFinite(step))
    throw new ArgumentError('arange', `step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const allInt = Number.isInteger(lo) && Number.isInteger(step);
  const { dtype, backend } = resolve(options, allInt ? 'int32' : 'float32');
  const t = empty([n], dtype, backend);
  const d = t.data;
  for (let i = 0; i < n; i++) d[i] = lo + i * step;
  return finish(t, options);
}

export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  const { dtype, backend } = resolve(options);
  const t = empty([steps], dtype, backend);
  const d = t.data;
  for (let i = 0; i < steps; i++) d[i] = steps === 1 ? start : start + ((end - start) * i) / (steps - 1);
  return finish(t, options);
}

export function eye(n: number, options?: TensorOptions): Tensor {
  const t = zeros([n, n], options);
  const d = t.data;
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return t;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function generatorOf(options?: RandomOptions): Generator {
  if (options?.generator === undefined) {
    throw new ArgumentError(
      'random tensor',
      'pass options.generator (a seeded Generator): llmts has no hidden global random state',
    );
  }
  return options.generator;
}

/** N(mean, std^2) samples. */
export function randn(shape: Shape, options?: RandomOptions & { mean?: number; std?: number }): Tensor {
  assertValidShape('randn', shape);
  const g = generatorOf(options);
  const { dtype, backend } = resolve(options);
  if (!isFloatDType(dtype)) throw new ArgumentError('randn', `dtype must be float32 or float64, got ${dtype}`);
  const t = empty(shape, dtype, backend);
  g.fillNormal(t.data as Float32Array | Float64Array, options?.mean ?? 0, options?.std ?? 1);
  return finish(t, options);
}

/** U[low, high) samples. */
export function rand(shape: Shape, options?: RandomOptions & { low?: number; high?: number }): Tensor {
  assertValidShape('rand', shape);
  const g = generatorOf(options);
  const { dtype, backend } = resolve(options);
  if (!isFloatDType(dtype)) throw new ArgumentError('rand', `dtype must be float32 or float64, got ${dtype}`);
  const t = empty(shape, dtype, backend);
  g.fillUniform(t.data as Float32Array | Float64Array, options?.low ?? 0, options?.high ?? 1);
  return finish(t, options);
}

/** Uniform integers in [low, high), int32. */
export function randint(low: number, high: number, shape: Shape, options?: RandomOptions): Tensor {
  const g = generatorOf(options);
  if (!(high > low)) throw new ArgumentError('randint', `high (${high}) must exceed low (${low})`);
  const { backend } = resolve(options);
  const t = empty(shape, 'int32', backend);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + g.randint(high - low);
  return t;
}

/** A plain-array copy helper used by tests and printing. */
export function typedArrayFrom(dtype: DType, values: ArrayLike<number>): DataArray {
  const a = newArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) a[i] = values[i]!;
  return a;
}
