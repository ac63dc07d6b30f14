/** Shared helpers for the engine tests: seeded float64 leaves, closeness checks, gradcheck asserts, backends. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backends/backend.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import { availableBackends } from '../../src/backends/select.ts';
import type { DType, Tensor } from '../../src/engine/index.ts';
import { gradcheck, tensor } from '../../src/engine/index.ts';
import type { Generator } from '../../src/engine/index.ts';
import type { GradcheckOptions } from '../../src/engine/index.ts';
import { requireNative } from '../helpers/requirements.ts';

export const ref = referenceBackend;

export const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'engine');

/** A tensor as the oracle scripts write it (row-major data; int32 also holds torch's int64 ids). */
export interface EncodedTensor {
  shape: number[];
  dtype: DType;
  data: number[];
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(fixturesDir, name), 'utf8')) as T;
}

/** Every backend this machine can run (the native one once it is built). */
export function backends(): Backend[] {
  const all = availableBackends();
  requireNative(all.some((b) => b.name === 'native')); // a dev machine without it tests the reference only; CI fails
  return all;
}

export interface LeafOptions {
  low?: number;
  high?: number;
  /** Push samples at least this far from zero (for kinks and denominators). */
  awayFromZero?: number;
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
}

/** A seeded leaf tensor (float64 on the reference backend unless told otherwise). */
export function leaf(g: Generator, shape: readonly number[], options: LeafOptions = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const low = options.low ?? -1;
  const high = options.high ?? 1;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = g.uniform(low, high);
    if (options.awayFromZero !== undefined) v = (v < 0 ? -1 : 1) * (Math.abs(v) + options.awayFromZero);
    values[i] = v;
  }
  return tensor(Array.from(values), {
    shape,
    dtype: options.dtype ?? 'float64',
    backend: options.backend ?? ref,
    requiresGrad: options.requiresGrad ?? true,
  });
}

/** A leaf with the given values. */
export function f64(
  values: readonly number[],
  shape: readonly number[] = [values.length],
  requiresGrad = true,
): Tensor {
  return tensor(values, { shape, dtype: 'float64', backend: ref, requiresGrad });
}

export function ints(
  values: readonly number[],
  shape: readonly number[] = [values.length],
  backend: Backend = ref,
): Tensor {
  return tensor(values, { shape, dtype: 'int32', backend });
}

export function bools(
  values: readonly (0 | 1 | boolean)[],
  shape: readonly number[] = [values.length],
  backend: Backend = ref,
): Tensor {
  return tensor(
    values.map((v) => (v ? 1 : 0)),
    { shape, dtype: 'bool', backend },
  );
}

/** Asserts that the finite-difference check passes, printing the worst element otherwise. */
export function assertGradcheck(
  name: string,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): void {
  const r = gradcheck(fn, inputs, { atol: 1e-7, rtol: 1e-6, ...options });
  assert.ok(r.ok, `${name}: gradcheck failed, max abs error ${r.maxAbsError} at ${r.worst}`);
}

/**
 * Element-wise closeness with a tolerance relative to the tensor's magnitude:
 * |actual[i] - expected[i]| <= atol + rtol * max(|expected[i]|, scale), scale = max_j |expected[j]|.
 * float32 rounding in sums and products is proportional to the magnitudes summed, so an
 * element that cancels to near zero is judged against the tensor's scale, not its own.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rtol = 1e-5,
  atol = 1e-7,
): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${what}[${i}]: expected NaN, got ${a}`);
      continue;
    }
    if (!Number.isFinite(e)) {
      assert.equal(a, e, `${what}[${i}]`);
      continue;
    }
    const tol = atol + rtol * Math.max(Math.abs(e), scale);
    assert.ok(
      Math.abs(a - e) <= tol,
      `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > tol ${tol})`,
    );
  }
}
