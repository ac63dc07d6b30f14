/**
 * One-row products (batch-1 decoding) take the native backend's streaming path; each output
 * must equal, bit for bit, the same row computed inside a larger product, so KV-cache decoding
 * reproduces recomputing the prefix exactly. Also checked against the reference kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends } from '../../src/backends/select.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import { Generator } from '../../src/core/random.ts';
import { requireNative } from '../helpers/requirements.ts';

const native = availableBackends().find((b) => b.name === 'native');

function rand(n: number, g: Generator): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = g.uniform(-1, 1);
  return a;
}

const cases: [number, number, boolean, boolean, boolean][] = [
  // k, n, transA, transB, accumulate
  [768, 2304, false, true, false], // x·Wᵀ (Linear), K within one block
  [3072, 768, false, true, true], // K over several blocks, accumulating
  [130, 61, false, false, false], // plain B, column tail
  [33, 19, true, true, false], // transposed A, tails everywhere
  [1000, 50, true, false, true],
];

for (const [k, n, transA, transB, accumulate] of cases) {
  test(
    `native one-row product equals its row in a 5-row product (k ${k}, n ${n}, ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}${accumulate ? ', accumulate' : ''})`,
    { skip: requireNative(native !== undefined) },
    () => {
      const g = new Generator(k * 7 + n);
      const m = 5;
      const a = rand(m * k, g);
      const b = rand(k * n, g);
      const c0 = rand(m * n, g);
      const full = Float32Array.from(c0);
      native!.matmul({
        a,
        b,
        c: full,
        batch: 1,
        m,
        n,
        k,
        transA,
        transB,
        lda: transA ? m : k,
        ldb: transB ? k : n,
        ldc: n,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate,
      });
      for (const row of [0, 3]) {
        // the same row alone: op(A) row `row` (for transA: column `row` of the stored k x m matrix)
        const one = Float32Array.from(c0.subarray(row * n, row * n + n));
        const aRow = transA ? a.subarray(row) : a.subarray(row * k);
        native!.matmul({
          a: aRow,
          b,
          c: one,
          batch: 1,
          m: 1,
          n,
          k,
          transA,
          transB,
          lda: transA ? m : k,
          ldb: transB ? k : n,
          ldc: n,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate,
        });
        assert.deepEqual(one, full.subarray(row * n, row * n + n), `row ${row} differs from the packed product`);
        const ref = Float32Array.from(c0.subarray(row * n, row * n + n));
        referenceBackend.matmul({
          a: aRow,
          b,
          c: ref,
          batch: 1,
          m: 1,
          n,
          k,
          transA,
          transB,
          lda: transA ? m : k,
          ldb: transB ? k : n,
          ldc: n,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate,
        });
        const scale = Math.max(...Array.from(ref, Math.abs));
        for (let j = 0; j < n; j++)
          assert.ok(
            Math.abs(one[j]! - ref[j]!) <= 2e-6 * scale * Math.sqrt(k),
            `column ${j}: ${one[j]} vs reference ${ref[j]}`,
          );
      }
    },
  );
}
