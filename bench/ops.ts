/**
 * Fused / memory-bound kernel throughput: `npm run bench -- ops [--json] [--seconds S]`.
 *
 * For each kernel on transformer-sized float32 inputs: GB/s (bytes the kernel must read and
 * write, once) of the native backend with 1 thread and with llmts's thread count (--threads), against the plain
 * TypeScript loops of the reference backend in the same run, and the ratio. Attention is
 * compute-bound and is reported in GFLOP/s. Then the per-call overhead from TypeScript into
 * a kernel: a no-op addon call, and tiny (n = 1) kernels through the backend wrapper.
 */
import type { Backend } from '../src/backends/backend.ts';
import { loadAddon, loadNativeBackend } from '../src/backends/native/index.ts';
import { referenceBackend } from '../src/backends/reference/index.ts';
import { Generator } from '../src/core/random.ts';
import { flagValue, startBench } from './lib/harness.ts';

interface OpCase {
  name: string;
  /** bytes read + written by one call (or flops, when unit is GFLOP/s) */
  work: number;
  unit: 'GB/s' | 'GFLOP/s';
  run: (b: Backend) => void;
}

const g = new Generator(3);
function normal(n: number, std = 1, mean = 0): Float32Array {
  const a = new Float32Array(n);
  g.fillNormal(a, mean, std);
  return a;
}

function cases(): OpCase[] {
  const out: OpCase[] = [];
  const n = 1 << 21; // 2M elements, 8 MB per array
  const x = normal(n),
    y = new Float32Array(n),
    gy = normal(n),
    gx = new Float32Array(n),
    z = normal(n);
  for (const op of ['gelu', 'exp', 'tanh', 'silu'] as const) {
    out.push({ name: `unary ${op} [2M]`, work: 8 * n, unit: 'GB/s', run: (b) => b.unary(op, x, y, n, 0) });
  }
  out.push({
    name: 'unaryGrad gelu [2M]',
    work: 16 * n,
    unit: 'GB/s',
    run: (b) => b.unaryGrad('gelu', x, y, gy, gx, n, 0),
  });
  const dense = { data: x, offset: 0, strides: [1] };
  const dense2 = { data: z, offset: 0, strides: [1] };
  out.push({
    name: 'binary add [2M] + [2M]',
    work: 12 * n,
    unit: 'GB/s',
    run: (b) => b.binary('add', dense, dense2, [n], y),
  });
  const rows = 4096,
    cols = 512;
  const bias = normal(cols);
  out.push({
    name: 'binary add [4096,512] + [512]',
    work: 8 * rows * cols,
    unit: 'GB/s',
    run: (b) =>
      b.binary(
        'add',
        { data: x, offset: 0, strides: [cols, 1] },
        { data: bias, offset: 0, strides: [0, 1] },
        [rows, cols],
        y,
      ),
  });
  out.push({
    name: 'softmax [4096,512]',
    work: 8 * rows * cols,
    unit: 'GB/s',
    run: (b) => b.softmax(x, rows, cols, y, false),
  });
  out.push({
    name: 'logSoftmax [4096,512]',
    work: 8 * rows * cols,
    unit: 'GB/s',
    run: (b) => b.softmax(x, rows, cols, y, true),
  });
  out.push({
    name: 'softmaxGrad [4096,512]',
    work: 12 * rows * cols,
    unit: 'GB/s',
    run: (b) => b.softmaxGrad(y, gy, rows, cols, gx, false),
  });
  const lr = 2048,
    lc = 768;
  const w = normal(lc, 0.1, 1),
    bb = normal(lc),
    mean = new Float32Array(lr),
    rstd = new Float32Array(lr);
  const gw = new Float32Array(lc),
    gb = new Float32Array(lc);
  out.push({
    name: 'layerNorm [2048,768]',
    work: 8 * lr * lc,
    unit: 'GB/s',
    run: (b) => b.layerNorm(x, w, bb, lr, lc, 1e-5, y, mean, rstd),
  });
  out.push({
    name: 'layerNormGrad [2048,768]',
    work: 12 * lr * lc,
    unit: 'GB/s',
    run: (b) => b.layerNormGrad(x, w, mean, rstd, gy, lr, lc, gx, gw, gb),
  });
  out.push({
    name: 'rmsNorm [2048,768]',
    work: 8 * lr * lc,
    unit: 'GB/s',
    run: (b) => b.rmsNorm(x, w, lr, lc, 1e-5, y, rstd),
  });
  const ceRows = 32,
    classes = 50257;
  const logits = normal(ceRows * classes, 2),
    targets = Int32Array.from({ length: ceRows }, (_, i) => (i * 7919) % classes);
  const losses = new Float32Array(ceRows),
    lse = new Float32Array(ceRows),
    gl = normal(ceRows);
  const ceGrad = new Float32Array(ceRows * classes);
  out.push({
    name: 'crossEntropy [32,50257]',
    work: 4 * ceRows * classes,
    unit: 'GB/s',
    run: (b) => b.crossEntropy(logits, targets, ceRows, classes, -100, 0, losses, lse),
  });
  out.push({
    name: 'crossEntropyGrad [32,50257]',
    work: 8 * ceRows * classes,
    unit: 'GB/s',
    run: (b) => b.crossEntropyGrad(logits, targets, lse, gl, ceRows, classes, -100, 0, ceGrad),
  });
  const pn = 1 << 21;
  const param = normal(pn),
    grad = normal(pn, 0.01),
    m = new Float32Array(pn),
    v = new Float32Array(pn);
  out.push({
    name: 'adamw [2M]',
    work: 28 * pn,
    unit: 'GB/s',
    run: (b) =>
      b.adamw({
        param,
        grad,
        m,
        v,
        lr: 1e-4,
        beta1: 0.9,
        beta2: 0.95,
        eps: 1e-8,
        weightDecay: 0.1,
        step: 10,
        gradScale: 1,
      }),
  });
  out.push({ name: 'sumSquares [2M]', work: 4 * n, unit: 'GB/s', run: (b) => void b.sumSquares(x, n) });
  const colSum = new Float32Array(768);
  out.push({
    name: 'reduce sum [2048,768] -> [768]',
    work: 4 * 2048 * 768,
    unit: 'GB/s',
    run: (b) => b.reduce('sum', x, 1, 2048, 768, colSum),
  });
  const vocab = 50257,
    dim = 768,
    tokens = 2048;
  const table = normal(vocab * dim, 0.02),
    ids = Int32Array.from({ length: tokens }, (_, i) => (i * 104729) % vocab);
  const emb = new Float32Array(tokens * dim),
    gTable = new Float32Array(vocab * dim);
  out.push({
    name: 'indexSelect [50257,768] x 2048',
    work: 8 * tokens * dim,
    unit: 'GB/s',
    run: (b) => b.indexSelect(table, 1, vocab, dim, ids, emb),
  });
  out.push({
    name: 'indexAdd 2048 rows -> [50257,768]',
    work: 12 * tokens * dim,
    unit: 'GB/s',
    run: (b) => b.indexAdd(emb, 1, tokens, dim, ids, vocab, gTable),
  });
  const [B, T, H, D] = [8, 256, 12, 64];
  const perm = { data: x, offset: 0, strides: [T * H * D, D, H * D, 1] };
  out.push({
    name: 'copyStrided [B,T,H,D]->[B,H,T,D]',
    work: 8 * B * T * H * D,
    unit: 'GB/s',
    run: (b) => b.copyStrided(perm, [B, H, T, D], y),
  });
  const tr = { data: x, offset: 0, strides: [1, 1024] };
  out.push({
    name: 'copyStrided 2-d transpose [1024,2048]',
    work: 8 * 1024 * 2048,
    unit: 'GB/s',
    run: (b) => b.copyStrided(tr, [1024, 2048], y),
  });
  // attention: shakespeare-char block (B 12, H 4, T 64, D 32, causal) and a GPT-2-like layer
  for (const [ab, ah, at, ad] of [
    [12, 4, 64, 32],
    [2, 12, 256, 64],
  ] as const) {
    const size = ab * ah * at * ad;
    const q = normal(size),
      k = normal(size),
      vv = normal(size),
      o = new Float32Array(size),
      l = new Float32Array(ab * ah * at);
    const go = normal(size),
      gq = new Float32Array(size),
      gk = new Float32Array(size),
      gv = new Float32Array(size);
    const lay = { sB: ah * at * ad, sH: at * ad, sT: ad };
    const args = {
      q,
      k,
      v: vv,
      out: o,
      lse: l,
      qLayout: lay,
      kLayout: lay,
      vLayout: lay,
      outLayout: lay,
      batch: ab,
      heads: ah,
      kvHeads: ah,
      tq: at,
      tk: at,
      headDim: ad,
      scale: 1 / Math.sqrt(ad),
      causal: true,
      mask: null,
    };
    const flops = 2 * 2 * ab * ah * at * at * ad * 0.5; // two products, half the scores visible
    out.push({
      name: `attention B${ab} H${ah} T${at} D${ad} causal`,
      work: flops,
      unit: 'GFLOP/s',
      run: (b) => b.attention(args),
    });
    out.push({
      name: `attentionGrad B${ab} H${ah} T${at} D${ad} causal`,
      work: 2.5 * flops,
      unit: 'GFLOP/s',
      run: (b) =>
        b.attentionGrad({
          ...args,
          gradOut: go,
          gradQ: gq,
          gradK: gk,
          gradV: gv,
          gradQLayout: lay,
          gradKLayout: lay,
          gradVLayout: lay,
        }),
    });
  }
  return out;
}

/** best rate (work per second / 1e9) over timed batches lasting `seconds` */
function rate(run: () => void, work: number, seconds: number): number {
  run();
  let t0 = performance.now();
  run();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const reps = Math.max(1, Math.floor(seconds / once / 4));
  let best = 0;
  let spent = 0;
  do {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) run();
    const dt = (performance.now() - t0) / 1000;
    spent += dt;
    best = Math.max(best, (work * reps) / dt / 1e9);
  } while (spent < seconds);
  return best;
}

/** nanoseconds per call of fn, best of 5 batches */
function perCall(fn: () => void, calls = 200000): number {
  for (let i = 0; i < 1000; i++) fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    best = Math.min(best, ((performance.now() - t0) * 1e6) / calls);
  }
  return best;
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('ops', args);
  const seconds = Number(flagValue(args, '--seconds') ?? 0.3) || 0.3;
  let native: Backend;
  try {
    native = loadNativeBackend();
  } catch (err) {
    console.log(`native backend unavailable: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const threads = bench.threads;
  {
    console.log(
      `kernel throughput, native (${loadAddon().isa()}) vs reference TypeScript loops; best over ${seconds}s`,
    );
    console.log(
      `${'kernel'.padEnd(40)} ${'unit'.padEnd(8)} ${'ref'.padStart(8)} ${'native t1'.padStart(10)} ${`native t${threads}`.padStart(10)} ${'t1/ref'.padStart(8)}`,
    );
  }
  for (const c of cases()) {
    const ref = rate(() => c.run(referenceBackend), c.work, Math.min(seconds, 0.15));
    native.setThreads!(1);
    const t1 = rate(() => c.run(native), c.work, seconds);
    native.setThreads!(threads);
    const tn = threads > 1 ? rate(() => c.run(native), c.work, seconds) : t1;
    bench.record({
      kernel: c.name,
      unit: c.unit,
      reference: r2(ref),
      native1: r2(t1),
      nativeN: r2(tn),
      threads: threads,
    });
    {
      console.log(
        `${c.name.padEnd(40)} ${c.unit.padEnd(8)} ${ref.toFixed(2).padStart(8)} ${t1.toFixed(2).padStart(10)} ${tn.toFixed(2).padStart(10)} ${(t1 / ref).toFixed(1).padStart(7)}x`,
      );
    }
  }
  // per-call overhead
  const addon = loadAddon();
  const a = new Float32Array(16),
    b = new Float32Array(16);
  native.setThreads!(threads);
  const overhead = {
    noop: perCall(() => addon.noop(a, b)),
    unary1: perCall(() => native.unary('neg', a, b, 1, 0)),
    unary1Reference: perCall(() => referenceBackend.unary('neg', a, b, 1, 0)),
    matmul1: perCall(() =>
      native.matmul({
        a,
        b: a,
        c: b,
        batch: 1,
        m: 1,
        n: 1,
        k: 1,
        transA: false,
        transB: false,
        lda: 1,
        ldb: 1,
        ldc: 1,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate: false,
      }),
    ),
    binary1: perCall(() =>
      native.binary('add', { data: a, offset: 0, strides: [1] }, { data: b, offset: 0, strides: [1] }, [1], b),
    ),
  };
  for (const [call, ns] of Object.entries(overhead))
    bench.record({ kernel: `per-call ${call}`, unit: 'ns', ns: Math.round(ns) });
  bench.summary['noop ns'] = Math.round(overhead.noop);
  {
    console.log('\nper-call overhead (ns per call, TypeScript -> C and back)');
    console.log(`  addon no-op with two typed arrays      ${overhead.noop.toFixed(0).padStart(6)}`);
    console.log(
      `  backend.unary('neg', n = 1)            ${overhead.unary1.toFixed(0).padStart(6)}   (reference TS loop: ${overhead.unary1Reference.toFixed(0)})`,
    );
    console.log(`  backend.binary('add', [1])             ${overhead.binary1.toFixed(0).padStart(6)}`);
    console.log(`  backend.matmul 1x1x1                   ${overhead.matmul1.toFixed(0).padStart(6)}`);
  }
  bench.finish();
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
