/**
 * Native SGEMM against the reference matmul on every SIMD path: transposed operands, leading
 * dimensions wider than the matrix, batch strides (0 broadcasts), accumulate, k = 0, and sizes
 * on both sides of the micro-kernel tile (MR x NR) and of the cache blocks (KC, MC, NC).
 */
import { describe, it, before } from 'node:test';
import type { MatmulArgs } from '../../src/backends/backend.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import { assertClose, isaPaths, memo, pathBackend, selectPath, normal, rng, pathsSkipReason } from './helpers.ts';

interface Case {
  name: string;
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** extra columns in the stored rows (lda/ldb/ldc > width) */
  pad?: number;
  /** batch broadcast: which operand has batch stride 0 */
  broadcast?: 'a' | 'b';
  accumulate?: boolean;
}

const cases: Case[] = [];
for (const [m, n, k] of [
  [1, 1, 1],
  [3, 5, 7],
  [13, 31, 9],
  [14, 32, 16],
  [15, 33, 17],
  [29, 65, 40],
  [6, 64, 3],
  [64, 1, 64],
  [1, 100, 70],
]) {
  for (const transA of [false, true]) {
    for (const transB of [false, true])
      cases.push({ name: `${m}x${k}x${n}`, batch: 1, m: m!, n: n!, k: k!, transA, transB });
  }
}
cases.push(
  { name: 'padded ld', batch: 1, m: 19, n: 37, k: 23, transA: false, transB: false, pad: 5 },
  { name: 'padded ld, transposed', batch: 1, m: 19, n: 37, k: 23, transA: true, transB: true, pad: 3 },
  { name: 'batched', batch: 3, m: 17, n: 20, k: 11, transA: false, transB: true },
  { name: 'batch broadcast A', batch: 4, m: 9, n: 33, k: 21, transA: false, transB: false, broadcast: 'a' },
  { name: 'batch broadcast B', batch: 4, m: 30, n: 7, k: 12, transA: true, transB: false, broadcast: 'b' },
  { name: 'accumulate', batch: 2, m: 15, n: 47, k: 33, transA: false, transB: false, accumulate: true },
  { name: 'k = 0', batch: 1, m: 5, n: 6, k: 0, transA: false, transB: false },
  { name: 'k = 0 accumulate', batch: 1, m: 5, n: 6, k: 0, transA: false, transB: false, accumulate: true },
  // parallel, several KC / MC / NC blocks, all edges
  { name: 'large, multi-block', batch: 1, m: 301, n: 790, k: 801, transA: false, transB: false },
  { name: 'large, transposed', batch: 1, m: 290, n: 130, k: 900, transA: true, transB: true, pad: 1 },
  { name: 'transformer backward dW', batch: 1, m: 128, n: 384, k: 768, transA: true, transB: false },
  { name: 'batched, parallel', batch: 5, m: 64, n: 64, k: 64, transA: false, transB: true },
);

interface Prepared {
  args: Omit<MatmulArgs, 'c'>;
  c0: Float32Array;
  expected: () => Float32Array;
}

function prepare(c: Case, seed: number): Prepared {
  const g = rng(seed);
  const pad = c.pad ?? 0;
  const aRows = c.transA ? c.k : c.m,
    aCols = c.transA ? c.m : c.k;
  const bRows = c.transB ? c.n : c.k,
    bCols = c.transB ? c.k : c.n;
  const lda = aCols + pad,
    ldb = bCols + pad,
    ldc = c.n + pad;
  const strideA = c.broadcast === 'a' ? 0 : aRows * lda;
  const strideB = c.broadcast === 'b' ? 0 : bRows * ldb;
  const strideC = c.m * ldc;
  const a = normal(g, Math.max(1, (c.broadcast === 'a' ? 1 : c.batch) * aRows * lda));
  const b = normal(g, Math.max(1, (c.broadcast === 'b' ? 1 : c.batch) * bRows * ldb));
  const c0 = normal(g, c.batch * strideC);
  const args = {
    a,
    b,
    batch: c.batch,
    m: c.m,
    n: c.n,
    k: c.k,
    transA: c.transA,
    transB: c.transB,
    lda,
    ldb,
    ldc,
    strideA,
    strideB,
    strideC,
    accumulate: c.accumulate ?? false,
  };
  const expected = memo(() => {
    const out = c0.slice();
    referenceBackend.matmul({ ...args, c: out });
    return out;
  });
  return { args, c0, expected };
}

describe('matmul vs reference', { skip: pathsSkipReason() }, () => {
  const prepared = cases.map((c, i) => prepare(c, 100 + i));
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      cases.forEach((c, i) => {
        const label = `${c.name} transA=${c.transA} transB=${c.transB}`;
        it(label, () => {
          const p = prepared[i]!;
          const out = p.c0.slice();
          pathBackend(isa).matmul({ ...p.args, c: out });
          // float32 products summed over k: error grows with k and the size of the terms
          assertClose(out, p.expected(), { rtol: 1e-5, atolRel: 2e-6 * Math.sqrt(c.k + 1) }, `${isa} ${label}`);
        });
      });
    });
  }
});
