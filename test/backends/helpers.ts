/**
 * Shared pieces of the backend conformance suite: loading the native backend (or a skip
 * reason), the kernel paths to cover (every native ISA this CPU runs, and the wasm backend when
 * it is built), seeded inputs, strided views and tolerance checks.
 */
import assert from 'node:assert/strict';
import type { Backend, StridedArray } from '../../src/backends/backend.ts';
import type { NativeAddon } from '../../src/backends/native/index.ts';
import { loadAddon, loadNativeBackend } from '../../src/backends/native/index.ts';
import { loadWasmBackend, wasmInternals } from '../../src/backends/wasm/index.ts';
import { Generator } from '../../src/core/random.ts';
import { requireNative } from '../helpers/requirements.ts';

export interface Native {
  backend: Backend;
  addon: NativeAddon;
}

let loaded: Native | string | undefined;

/** The native backend, or why it cannot run (the suites skip with that message). */
export function native(): Native | string {
  if (loaded === undefined) {
    try {
      loaded = { backend: loadNativeBackend(), addon: loadAddon() };
    } catch (err) {
      loaded = `native backend unavailable, skipping (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return loaded;
}

/** The suites' skip option: the reason on a developer's machine without the addon; throws where LLMTS_REQUIRE_NATIVE=1. */
export function skipReason(): string | false {
  const n = native();
  return requireNative(typeof n !== 'string');
}

export function nat(): Native {
  const n = native();
  if (typeof n === 'string') throw new Error(n);
  return n;
}

let wasmLoaded: Backend | string | undefined;

/** The wasm backend, or why it cannot run. */
export function wasm(): Backend | string {
  if (wasmLoaded === undefined) {
    try {
      wasmLoaded = loadWasmBackend();
    } catch (err) {
      wasmLoaded = `wasm backend unavailable (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return wasmLoaded;
}

/** Every kernel path this machine can run: the native SIMD paths, best first, then 'wasm'. */
export function isaPaths(): string[] {
  const n = native();
  const best = typeof n === 'string' ? undefined : n.addon.bestIsa();
  const all = best === 'neon' ? ['neon', 'scalar'] : ['avx512', 'avx2', 'scalar'];
  const paths = best === undefined ? [] : all.slice(all.indexOf(best));
  if (typeof wasm() !== 'string') paths.push('wasm');
  return paths;
}

/** The suites skip only when no path at all can run. */
export function pathsSkipReason(): string | false {
  if (isaPaths().length > 0) return false;
  return `${String(native())}; ${String(wasm())}`;
}

/** Makes `path` the one pathBackend(path) runs (native: the addon's ISA; wasm: waits for its worker threads). */
export async function selectPath(path: string): Promise<void> {
  if (path === 'wasm') {
    await wasmInternals(pathBackend(path)).threads.ready();
    return;
  }
  nat().addon.setIsa(path);
}

export function pathBackend(path: string): Backend {
  if (path !== 'wasm') return nat().backend;
  const w = wasm();
  if (typeof w === 'string') throw new Error(w);
  return w;
}

export function rng(seed: number): Generator {
  return new Generator(seed);
}

export function normal(g: Generator, n: number, std = 1, mean = 0): Float32Array {
  const a = new Float32Array(n);
  g.fillNormal(a, mean, std);
  return a;
}

export function uniform(g: Generator, n: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  g.fillUniform(a, lo, hi);
  return a;
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** Strides that broadcast a dense tensor of `from` (right-aligned) to `to`. */
export function broadcastStrides(from: readonly number[], to: readonly number[]): number[] {
  const cs = contiguousStrides(from);
  const out: number[] = [];
  for (let d = 0; d < to.length; d++) {
    const fd = d - (to.length - from.length);
    out.push(fd < 0 || from[fd] === 1 ? 0 : cs[fd]!);
  }
  return out;
}

export function view<A extends StridedArray['data']>(data: A, offset: number, strides: number[]): StridedArray<A> {
  return { data, offset, strides };
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export interface Tolerance {
  /** relative to each expected element */
  rtol: number;
  /** absolute, as a fraction of the largest finite |expected| */
  atolRel?: number;
  /** absolute floor */
  atol?: number;
}

/**
 * Elementwise: NaN where the reference has NaN, the same infinities, and otherwise
 * |actual - expected| <= atol + atolRel * max|expected| + rtol * |expected|.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (Number.isFinite(e) && Math.abs(e) > scale) scale = Math.abs(e);
  }
  const atol = (tol.atol ?? 1e-37) + (tol.atolRel ?? 0) * scale;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (Number.isNaN(e)) assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`);
      else assert.equal(a, e, `${label}[${i}]: expected ${e}, got ${a}`);
      continue;
    }
    const err = Math.abs(a - e);
    if (!(err <= atol + tol.rtol * Math.abs(e))) {
      assert.fail(
        `${label}[${i}]: got ${a}, expected ${e} (|diff| ${err.toExponential(3)} > ${(atol + tol.rtol * Math.abs(e)).toExponential(3)}` +
          ` = atol ${atol.toExponential(2)} + rtol ${tol.rtol} * |expected|)`,
      );
    }
  }
}

export function assertEqualArrays(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Object.is(a, e) || a === e)) assert.fail(`${label}[${i}]: got ${a}, expected ${e}`);
  }
}

/** Caches reference results across the ISA passes (the reference is the slow side). */
export function memo<T>(fn: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = fn();
      done = true;
    }
    return v as T;
  };
}
