/**
 * The native thread pool: results that do not depend on the thread count (the kernels split
 * work at fixed boundaries), workers that sleep when idle (their CPU time, read from
 * /proc/self/task/TID/stat, does not grow), setThreads, the LLMTS_NATIVE_ISA override in a
 * fresh process, and the backend's dtype routing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import { assertEqualArrays, nat, normal, rng, skipReason } from './helpers.ts';
import { ArgumentError } from '../../src/core/errors.ts';

/** user + system CPU ticks of one thread of this process */
function cpuTicks(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
}

/** runs fn with 1 thread, then with 2, returning both results */
function oneAndTwo<T>(fn: () => T): [T, T] {
  const N = nat().backend;
  N.setThreads!(1);
  const a = fn();
  N.setThreads!(2);
  const b = fn();
  return [a, b];
}

describe('native thread pool', { skip: skipReason() }, () => {
  before(() => nat().addon.setIsa(nat().addon.bestIsa()));
  after(() => nat().backend.setThreads!(availableParallelism()));

  it('defaults to os.availableParallelism() threads and follows setThreads', () => {
    const N = nat().backend;
    N.setThreads!(availableParallelism());
    assert.equal(N.threads, availableParallelism());
    N.setThreads!(3);
    assert.equal(N.threads, 3);
    assert.equal(nat().addon.workerTids().length, 2);
    N.setThreads!(1);
    assert.equal(N.threads, 1);
    assert.equal(nat().addon.workerTids().length, 0);
  });

  it('gives bit-identical results with 1 and 2 threads', () => {
    const N = nat().backend;
    const g = rng(5);
    const m = 300,
      k = 500,
      n = 200;
    const a = normal(g, m * k),
      b = normal(g, k * n);
    const [c1, c2] = oneAndTwo(() => {
      const c = new Float32Array(m * n);
      N.matmul({
        a,
        b,
        c,
        batch: 1,
        m,
        n,
        k,
        transA: false,
        transB: true,
        lda: k,
        ldb: k,
        ldc: n,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate: false,
      });
      return c;
    });
    assertEqualArrays(c2, c1, 'matmul');
    const x = normal(g, 4096 * 96);
    const [s1, s2] = oneAndTwo(() => N.sumSquares(x, x.length));
    assert.equal(s2, s1, 'sumSquares');
    const [r1, r2] = oneAndTwo(() => {
      const out = new Float32Array(96);
      N.reduce('sum', x, 1, 4096, 96, out);
      return out;
    });
    assertEqualArrays(r2, r1, 'column sum');
    const [t1, t2] = oneAndTwo(() => {
      const out = new Float32Array(1);
      N.reduce('sum', x, 1, x.length, 1, out);
      return out;
    });
    assertEqualArrays(t2, t1, 'long row sum');
    const rows = 1000,
      cols = 96;
    const w = normal(g, cols),
      gy = normal(g, rows * cols);
    const mean = new Float32Array(rows),
      rstd = new Float32Array(rows),
      y = new Float32Array(rows * cols);
    ref.layerNorm(x.subarray(0, rows * cols), w, null, rows, cols, 1e-5, y, mean, rstd);
    const [l1, l2] = oneAndTwo(() => {
      const gx = new Float32Array(rows * cols),
        gw = new Float32Array(cols),
        gb = new Float32Array(cols);
      N.layerNormGrad(x.subarray(0, rows * cols), w, mean, rstd, gy, rows, cols, gx, gw, gb);
      return [gx, gw, gb];
    });
    for (let i = 0; i < 3; i++) assertEqualArrays(l2[i]!, l1[i]!, `layerNormGrad output ${i}`);
    const B = 4,
      H = 4,
      T = 64,
      D = 32;
    const q = normal(g, B * H * T * D),
      kk = normal(g, B * H * T * D),
      v = normal(g, B * H * T * D),
      go = normal(g, B * H * T * D);
    const lay = { sB: H * T * D, sH: T * D, sT: D };
    const [f1, f2] = oneAndTwo(() => {
      const out = new Float32Array(B * H * T * D),
        lse = new Float32Array(B * H * T);
      const args = {
        q,
        k: kk,
        v,
        out,
        lse,
        qLayout: lay,
        kLayout: lay,
        vLayout: lay,
        outLayout: lay,
        batch: B,
        heads: H,
        kvHeads: H,
        tq: T,
        tk: T,
        headDim: D,
        scale: 0.2,
        causal: true,
        mask: null,
      };
      N.attention(args);
      const gq = new Float32Array(q.length),
        gk = new Float32Array(q.length),
        gv = new Float32Array(q.length);
      N.attentionGrad({
        ...args,
        gradOut: go,
        gradQ: gq,
        gradK: gk,
        gradV: gv,
        gradQLayout: lay,
        gradKLayout: lay,
        gradVLayout: lay,
      });
      return [out, lse, gq, gk, gv];
    });
    for (let i = 0; i < 5; i++) assertEqualArrays(f2[i]!, f1[i]!, `attention output ${i}`);
  });

  it('leaves no thread busy when idle', async () => {
    const N = nat().backend;
    N.setThreads!(2);
    const tids = nat().addon.workerTids();
    assert.equal(tids.length, 1);
    // work on both threads, then let the workers' short spin run out
    const m = 256,
      a = normal(rng(9), m * m),
      c = new Float32Array(m * m);
    for (let i = 0; i < 20; i++) {
      N.matmul({
        a,
        b: a,
        c,
        batch: 1,
        m,
        n: m,
        k: m,
        transA: false,
        transB: false,
        lda: m,
        ldb: m,
        ldc: m,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate: false,
      });
    }
    await sleep(50);
    const before = tids.map(cpuTicks);
    await sleep(250);
    const afterTicks = tids.map(cpuTicks);
    // a spinning worker would burn ~25 ticks (10 ms each) in 250 ms; allow one for scheduling noise
    tids.forEach((tid, i) =>
      assert.ok(afterTicks[i]! - before[i]! <= 1, `worker ${tid} used ${afterTicks[i]! - before[i]!} ticks while idle`),
    );
  });

  it('LLMTS_NATIVE_ISA forces a lower SIMD path in a fresh process', () => {
    const script = `
      import { loadAddon } from './src/backends/native/index.ts';
      process.stdout.write(loadAddon().isa());
    `;
    for (const isa of ['scalar', 'avx2']) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: new URL('../..', import.meta.url).pathname,
        env: { ...process.env, LLMTS_NATIVE_ISA: isa },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const best = nat().addon.bestIsa();
      const expected = isa === 'avx2' && best === 'scalar' ? 'scalar' : isa;
      assert.equal(r.stdout, expected);
    }
  });

  it('routes float64 to the reference kernels and reports what runs natively', () => {
    const N = nat().backend;
    assert.equal(N.supports('matmul', 'float32'), true);
    assert.equal(N.supports('matmul', 'float64'), false);
    assert.equal(N.supports('gather', 'float32'), false);
    const a = Float64Array.from({ length: 6 }, (_, i) => i + 0.5),
      b = Float64Array.from({ length: 6 }, (_, i) => 1 - i / 3);
    const want = new Float64Array(4),
      got = new Float64Array(4);
    const args = {
      a,
      b,
      batch: 1,
      m: 2,
      n: 2,
      k: 3,
      transA: false,
      transB: false,
      lda: 3,
      ldb: 2,
      ldc: 2,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: false,
    };
    ref.matmul({ ...args, c: want });
    N.matmul({ ...args, c: got });
    assertEqualArrays(got, want, 'float64 matmul');
  });

  it('rejects arrays too small for the described access instead of touching memory', () => {
    const N = nat().backend;
    const a = new Float32Array(10),
      c = new Float32Array(4);
    assert.throws(
      () =>
        N.matmul({
          a,
          b: a,
          c,
          batch: 1,
          m: 4,
          n: 4,
          k: 4,
          transA: false,
          transB: false,
          lda: 4,
          ldb: 4,
          ldc: 4,
          strideA: 0,
          strideB: 0,
          strideC: 0,
          accumulate: false,
        }),
      (e: unknown) => e instanceof ArgumentError && /^native\.sgemm: a \(argument 0\) has 40 bytes/.test(e.message),
    );
    assert.throws(
      () => N.unary('exp', a, c, 10, 0),
      (e: unknown) => e instanceof ArgumentError && /^native\.unary: y \(argument 1\) has 16 bytes/.test(e.message),
    );
  });
});
