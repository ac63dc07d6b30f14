/**
 * The wasm backend's memory and threads: arrays in linear memory (aligned, zeroed, valid after
 * the memory grows, reused after free), the clear error when a tensor outgrows the 4 GiB a
 * wasm32 memory can address, arrays from outside the memory (staged, aliasing kept), the entry
 * points' length checks, and results that do not depend on the thread count. The kernels
 * themselves are checked against the reference by the conformance suites (the 'wasm' path).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/backends/backend.ts';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import { wasmInternals } from '../../src/backends/wasm/index.ts';
import { ArgumentError, BackendError } from '../../src/core/errors.ts';
import { tensor, tidy } from '../../src/engine/index.ts';
import { memoryStats, resetPools } from '../../src/engine/memory.ts';
import { composeBackend } from '../../src/backends/compose.ts';
import { assertClose, assertEqualArrays, normal, rng, wasm } from './helpers.ts';

const w = wasm();
const skip = typeof w === 'string' ? w : false;

function backend(): Backend {
  if (typeof w === 'string') throw new Error(w);
  return w;
}

function matmulArgs(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number) {
  return {
    a,
    b,
    c,
    batch: 1,
    m,
    n,
    k,
    transA: false,
    transB: false,
    lda: k,
    ldb: n,
    ldc: n,
    strideA: 0,
    strideB: 0,
    strideC: 0,
    accumulate: false,
  };
}

describe('wasm backend memory', { skip }, () => {
  it('allocates zeroed, 64-byte aligned arrays of each dtype inside its memory', () => {
    const B = backend();
    const { runtime } = wasmInternals(B);
    for (const [dtype, length] of [
      ['float32', 1],
      ['float32', 100_003],
      ['float64', 4097],
      ['int32', 5000],
      ['bool', 70_001],
    ] as const) {
      const a = B.alloc(dtype, length);
      assert.equal(a.length, length);
      assert.ok(runtime.owns(a), `${dtype}[${length}] is in the linear memory`);
      assert.equal(a.byteOffset % 64, 0);
      assert.ok(a.every((v) => v === 0));
      a.fill(7 as never);
      B.free?.(a);
      const again = B.alloc(dtype, length); // the freed block comes back: zeroed again
      assert.ok(again.every((v) => v === 0));
      B.free?.(again);
    }
  });

  it('grows the memory in place: arrays made before keep their contents and stay usable', () => {
    const B = backend();
    const { runtime } = wasmInternals(B);
    const g = rng(1);
    const a = B.alloc('float32', 64 * 64) as Float32Array;
    a.set(normal(g, 64 * 64));
    const before = a.slice();
    const bytes0 = runtime.memoryBytes();
    const big = B.alloc('float32', Math.ceil((bytes0 * 1.5) / 4)); // forces memory.grow
    assert.ok(runtime.memoryBytes() > bytes0, 'the memory grew');
    assertEqualArrays(a, before, 'contents after growth');
    const c = B.alloc('float32', 64 * 64) as Float32Array;
    B.matmul(matmulArgs(a, a, c, 64, 64, 64));
    const expected = new Float32Array(64 * 64);
    ref.matmul(matmulArgs(before, before, expected, 64, 64, 64));
    assertClose(c, expected, { rtol: 1e-5, atolRel: 2e-5 }, 'matmul on an array made before the growth');
    B.free?.(big);
  });

  it('a tensor larger than the memory can ever hold is a BackendError naming its size', () => {
    const B = backend();
    assert.throws(
      () => B.alloc('float32', 2 ** 31),
      (err: unknown) =>
        err instanceof BackendError &&
        /wasm memory: cannot allocate 8192\.0 MiB for a float32 tensor of 2147483648 elements/.test(err.message) &&
        /at most 4096\.0 MiB/.test(err.message),
    );
    assert.throws(
      () =>
        tensor(new Float32Array(1), { shape: [1], backend: B })
          .expand([2 ** 20, 2 ** 12])
          .contiguous(),
      BackendError,
    );
  });

  it("the engine's pool returns the arrays it drops to the heap at once", () => {
    const B = backend();
    const { runtime } = wasmInternals(B);
    resetPools(1 << 20); // 1 MiB of pool: larger arrays go back to the heap at once
    try {
      const used0 = runtime.heapUsed();
      for (let i = 0; i < 5; i++)
        tidy(() => {
          tensor(new Float32Array(1 << 20), { shape: [1 << 20], backend: B }).mul(2);
        });
      assert.ok(runtime.heapUsed() - used0 < 8 << 20, 'freed arrays do not accumulate');
      assert.equal(memoryStats().pooledBytes, 0);
    } finally {
      resetPools(4 * 1024 * 1024 * 1024);
    }
  });
});

describe('wasm backend calls', { skip }, () => {
  it('runs kernels on arrays from outside its memory, writing results back, aliasing kept', () => {
    const B = backend();
    const g = rng(2);
    const a = normal(g, 30 * 20),
      b = normal(g, 20 * 25);
    const c = new Float32Array(30 * 25);
    B.matmul(matmulArgs(a, b, c, 30, 20, 25));
    const expected = new Float32Array(30 * 25);
    ref.matmul(matmulArgs(a, b, expected, 30, 20, 25));
    assertClose(c, expected, { rtol: 1e-5, atolRel: 1e-5 }, 'staged matmul');
    // in place: out is x (one array), and two views of one buffer
    const x = normal(g, 1000);
    const y = x.slice();
    B.unary('exp', x, x, 1000, 0);
    ref.unary('exp', y, y, 1000, 0);
    assertClose(x, y, { rtol: 2e-6 }, 'in-place exp');
    const buf = normal(g, 2000);
    const lo = buf.subarray(0, 1000),
      hi = buf.subarray(1000);
    const want = lo.slice();
    B.copyStrided({ data: lo, offset: 0, strides: [1] }, [1000], hi);
    assertEqualArrays(hi, want, 'copy between two views of one buffer');
  });

  it('an array too short for the call is an ArgumentError, not a write past it', () => {
    const B = backend();
    const a = B.alloc('float32', 16) as Float32Array;
    const b = B.alloc('float32', 16) as Float32Array;
    const c = B.alloc('float32', 8) as Float32Array;
    assert.throws(
      () => B.matmul(matmulArgs(a, b, c, 4, 4, 4)),
      (err: unknown) => err instanceof ArgumentError && /matmul C has 8 elements, the call needs 16/.test(err.message),
    );
  });

  it('matmul, softmax and attention give the same bits on 1 and 2 threads', async () => {
    const B = backend();
    const { threads } = wasmInternals(B);
    const x = normal(rng(3), 257 * 300),
      y = normal(rng(4), 300 * 190);
    const run = (): Float32Array[] => {
      const c = B.alloc('float32', 257 * 190) as Float32Array;
      B.matmul(matmulArgs(x, y, c, 257, 300, 190));
      const s = B.alloc('float32', 257 * 300) as Float32Array;
      B.softmax(x, 257, 300, s, false);
      return [c.slice(), s.slice()];
    };
    const before1 = threads.count;
    try {
      threads.set(1);
      const one = run();
      threads.set(2);
      await threads.ready();
      const two = run();
      one.forEach((r, i) => assertEqualArrays(two[i]!, r, `result ${i}`));
    } finally {
      threads.set(before1);
    }
  });
});

describe('engine pool under memory pressure', () => {
  it('empties the pool of a backend with its own bounded memory when an allocation fails, then retries', () => {
    // a backend whose memory holds 3 MiB, with free (as the wasm backend)
    let used = 0;
    const sizes = new Map<object, number>();
    const bounded = composeBackend({
      name: 'bounded',
      threads: 1,
      alloc: (dtype, length) => {
        const bytes = length * (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);
        if (used + bytes > 3 << 20) throw new BackendError(`bounded: ${bytes} bytes do not fit`);
        used += bytes;
        const a = ref.alloc(dtype, length);
        sizes.set(a, bytes);
        return a;
      },
      free: (a) => {
        used -= sizes.get(a) ?? 0;
        sizes.delete(a);
      },
    });
    resetPools();
    try {
      // two 1 MiB arrays end up in the pool; a 2 MiB one then needs their memory
      tidy(() => {
        tensor(new Float32Array(1 << 18), { shape: [1 << 18], backend: bounded }).mul(2);
      });
      assert.equal(memoryStats().pooledBytes, 2 << 20);
      tidy(() => {
        tensor(new Float32Array(1 << 19), { shape: [1 << 19], backend: bounded });
      });
      assert.equal(used, 2 << 20, 'the pool was emptied into the backend, the new array allocated');
    } finally {
      resetPools(4 * 1024 * 1024 * 1024);
    }
  });
});
