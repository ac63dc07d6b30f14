/**
 * SGEMM throughput: `npm run bench -- matmul [--json] [--rounds N] [--seconds S] [--peer-threads A,B]
 * [--shapes MxKxN,...]`.
 *
 * For each shape (M, K, N) of issue 2, GFLOP/s of every available backend at each thread count
 * from 1 to the cores (and llmts's own count), and of numpy/OpenBLAS at the same counts
 * (OPENBLAS_NUM_THREADS) in the same run (Debian's /usr/bin/python3, with
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from that process's environment so OpenBLAS
 * picks its own kernel). Measurements alternate between llmts and OpenBLAS (1 thread, all
 * cores, then again) for each shape and keep the best of `rounds` trials, so both see the same
 * machine load; after a multi-threaded OpenBLAS call the bench waits until OpenBLAS's
 * busy-waiting threads have gone to sleep. The reference
 * (TypeScript) backend is only timed on shapes up to REFERENCE_MAX_FLOPS.
 * The wasm backend (llmts's kernels compiled to WebAssembly SIMD, wasm/llmts.wasm) is measured
 * beside the WebAssembly peers in the same process loop (bench/peers/wasm-matmul.ts):
 * TensorFlow.js's wasm backend (XNNPACK, SIMD; one thread in Node) and ONNX Runtime Web (MLAS,
 * SIMD; a child process per thread count), printed as a second table with native 1 thread.
 * --json writes bench/results/matmul.json with rows {"backend","threads","m","k","n","gflops"}.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Interface } from 'node:readline';
import type { Backend } from '../src/backends/backend.ts';
import { availableBackends, tryWasmBackend } from '../src/backends/select.ts';
import { Generator } from '../src/core/random.ts';
import { flagValue, peerEnv, PYTHON, pythonAvailable, pythonVersion, startBench } from './lib/harness.ts';
import { ortWebPeer, tfjsWasmPeer } from './peers/wasm-matmul.ts';
import type { WasmPeer } from './peers/wasm-matmul.ts';

const SHAPES: [number, number, number][] = [
  [128, 128, 128],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [768, 128, 384],
  [768, 128, 512],
  [768, 512, 128],
  [4096, 768, 768],
  [4096, 768, 3072],
];
/** The shapes of this run: SHAPES, or --shapes MxKxN,... (e.g. the transformer shapes only). */
let shapes = SHAPES;

function parseShapes(raw: string): [number, number, number][] {
  return raw.split(',').map((s) => {
    const dims = s.split('x').map(Number);
    if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d >= 1 && d <= 16384))
      throw new Error(`--shapes: "${s}" is not MxKxN (integers 1..16384)`);
    return dims as [number, number, number];
  });
}
const REFERENCE_MAX_FLOPS = 1.2e8;
const OPENBLAS_SETTLE_MS = 400;

// a persistent numpy worker: reads "m k n seconds" lines, answers with the best GFLOP/s
const NUMPY_WORKER = `
import sys, time
import numpy as np
cache = {}
for line in sys.stdin:
    m, k, n, secs = line.split()
    m, k, n, secs = int(m), int(k), int(n), float(secs)
    key = (m, k, n)
    if key not in cache:
        rng = np.random.default_rng(0)
        cache.clear()
        cache[key] = (rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32), np.empty((m, n), np.float32))
    a, b, c = cache[key]
    np.matmul(a, b, out=c)
    flops = 2.0 * m * n * k
    # the same scheme as timeBackend: batches of about a quarter of the budget, best batch
    t = time.perf_counter()
    np.matmul(a, b, out=c)
    once = max(time.perf_counter() - t, 1e-7)
    reps, best, spent = max(1, int(secs / once / 4)), 0.0, 0.0
    while spent < secs:
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        dt = time.perf_counter() - t
        spent += dt
        best = max(best, flops * reps / dt / 1e9)
    print(best, flush=True)
`;

class NumpyWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];

  constructor(threads: number) {
    this.proc = spawn(PYTHON, ['-c', NUMPY_WORKER], { env: peerEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] });
    this.lines = createInterface({ input: this.proc.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`numpy: ${d.toString()}`));
  }

  gflops(m: number, k: number, n: number, seconds: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const v = Number(line);
        if (Number.isFinite(v)) resolve(v);
        else reject(new Error(`numpy worker: ${line}`));
      });
      this.proc.stdin.write(`${m} ${k} ${n} ${seconds}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}

interface Operands {
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
}

/** Seeded operands in the backend's own arrays (the wasm backend's live in its linear memory). */
function operands(backend: Backend, m: number, k: number, n: number): Operands {
  const g = new Generator(1);
  const a = backend.alloc('float32', m * k) as Float32Array,
    b = backend.alloc('float32', k * n) as Float32Array;
  g.fillNormal(a);
  g.fillNormal(b);
  return { a, b, c: backend.alloc('float32', m * n) as Float32Array };
}

/** best GFLOP/s over repeated timed batches lasting `seconds` in total */
function timeBackend(backend: Backend, ops: Operands, m: number, k: number, n: number, seconds: number): number {
  const args = {
    ...ops,
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
  const flops = 2 * m * n * k;
  backend.matmul(args);
  let t0 = performance.now();
  backend.matmul(args);
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const reps = Math.max(1, Math.floor(seconds / once / 4));
  let best = 0;
  let spent = 0;
  do {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) backend.matmul(args);
    const dt = (performance.now() - t0) / 1000;
    spent += dt;
    best = Math.max(best, (flops * reps) / dt / 1e9);
  } while (spent < seconds);
  return best;
}

interface Row {
  backend: string;
  threads: number;
  m: number;
  k: number;
  n: number;
  gflops: number;
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('matmul', args);
  const rounds = Number(flagValue(args, '--rounds') ?? 3) || 3;
  const seconds = Number(flagValue(args, '--seconds') ?? 0.25) || 0.25;
  const shapesFlag = flagValue(args, '--shapes');
  if (shapesFlag !== undefined) shapes = parseShapes(shapesFlag);
  const cores = bench.machine.cores;
  // llmts and OpenBLAS at the same counts: llmts's own, and every count from 1 to the cores
  const threadCounts = [...bench.peerThreads].sort((a, b) => a - b);
  const backends = availableBackends();
  const wasm = tryWasmBackend();
  if (!(wasm instanceof Error) && !backends.includes(wasm)) backends.push(wasm);
  else if (wasm instanceof Error) console.log(`(wasm backend unavailable: ${wasm.message})`);
  // the WebAssembly peers, in this process: compared with the wasm backend
  const wasmPeers: WasmPeer[] = [];
  if (bench.withPeer && !(wasm instanceof Error)) {
    for (const make of [tfjsWasmPeer, () => ortWebPeer(threadCounts)]) {
      const p = await make();
      if (p === null) continue;
      wasmPeers.push(p);
      bench.peerVersion(p.name, p.version);
    }
  }
  const haveNumpy = bench.withPeer && pythonAvailable('numpy');
  if (haveNumpy) bench.peerVersion('numpy', pythonVersion('numpy'));
  const workers = new Map<number, NumpyWorker>();
  if (haveNumpy) for (const t of threadCounts) workers.set(t, new NumpyWorker(t));
  // let the workers import numpy and warm up before anything is timed
  for (const w of workers.values()) await w.gflops(64, 64, 64, 0.05);
  console.log(`matmul GFLOP/s, best of ${rounds} alternating trials of ${seconds}s; ${cores} cores`);
  if (!haveNumpy) console.log(`(numpy not available at ${PYTHON}: no OpenBLAS comparison)`);
  const rows: Row[] = [];
  const emit = (row: Row): void => {
    rows.push(row);
    bench.record({ ...row });
  };
  try {
    for (const [m, k, n] of shapes) {
      const ops = new Map(backends.map((b) => [b, operands(b, m, k, n)] as const));
      const best = new Map<string, number>(); // `${backend}/${threads}` -> GFLOP/s
      const keep = (key: string, g: number): void => void best.set(key, Math.max(best.get(key) ?? 0, g));
      for (let r = 0; r < rounds; r++) {
        for (const threads of threadCounts) {
          for (const backend of backends) {
            if (backend.name === 'reference' && (threads > 1 || 2 * m * n * k > REFERENCE_MAX_FLOPS || r > 0)) continue;
            backend.setThreads?.(threads);
            keep(
              `${backend.name}/${threads}`,
              timeBackend(backend, ops.get(backend)!, m, k, n, backend.name === 'reference' ? 0.05 : seconds),
            );
          }
          for (const p of wasmPeers) {
            if (!p.threadCounts.includes(threads)) continue;
            const g = await p.gflops(m, k, n, seconds, threads);
            if (Number.isFinite(g)) keep(`${p.name}/${threads}`, g);
          }
          const w = workers.get(threads);
          if (w) {
            keep(`numpy-openblas/${threads}`, await w.gflops(m, k, n, seconds));
            // OpenBLAS's own threads busy-wait for a while after a call: let them go to sleep
            // before timing anything else
            if (threads > 1) await sleep(OPENBLAS_SETTLE_MS);
          }
        }
      }
      for (const [key, gflops] of best) {
        const [backend, threads] = key.split('/') as [string, string];
        emit({ backend, threads: Number(threads), m, k, n, gflops: Math.round(gflops * 10) / 10 });
      }
    }
  } finally {
    for (const w of workers.values()) w.close();
    for (const p of wasmPeers) await p.close();
    bench.applyThreads(bench.threads);
  }
  printTable(rows, threadCounts);
  if (!(wasm instanceof Error)) printWasmTable(rows, threadCounts, wasmPeers);
  summarize(bench.summary, rows, bench.threads, threadCounts);
  summarizeWasm(bench.summary, rows, threadCounts, wasmPeers);
  bench.finish();
}

/** Headline ratios: native vs OpenBLAS at llmts's thread count, and vs OpenBLAS's best count. */
function summarize(
  summary: Record<string, number | string | null>,
  rows: Row[],
  threads: number,
  counts: number[],
): void {
  for (const [m, k, n] of shapes) {
    const at = (backend: string, t: number): number | undefined =>
      rows.find((r) => r.backend === backend && r.threads === t && r.m === m && r.k === k && r.n === n)?.gflops;
    const ours = at('native', threads);
    const like = at('numpy-openblas', threads);
    const blas = counts.map((t) => [t, at('numpy-openblas', t)] as const).filter((x) => x[1] !== undefined);
    const best = blas.reduce<readonly [number, number | undefined] | undefined>(
      (b, x) => (b === undefined || x[1]! > b[1]! ? x : b),
      undefined,
    );
    if (ours === undefined || like === undefined || best === undefined) continue;
    summary[`(${m},${k},${n}) native/openblas at ${threads}t`] = Math.round((ours / like) * 100) / 100;
    summary[`(${m},${k},${n}) native ${threads}t / openblas best (${best[0]}t)`] =
      Math.round((ours / best[1]!) * 100) / 100;
  }
}

function printTable(rows: Row[], threadCounts: number[]): void {
  const get = (backend: string, threads: number, m: number, k: number, n: number): number | undefined =>
    rows.find((r) => r.backend === backend && r.threads === threads && r.m === m && r.k === k && r.n === n)?.gflops;
  const fmt = (v: number | undefined, w = 8): string => (v === undefined ? '-' : v.toFixed(1)).padStart(w);
  const ratio = (a: number | undefined, b: number | undefined): string =>
    (a === undefined || b === undefined ? '-' : (a / b).toFixed(2)).padStart(7);
  const tMax = threadCounts[threadCounts.length - 1]!;
  const header = ['shape (M,K,N)'.padEnd(18), 'ref t1'.padStart(8)];
  for (const t of threadCounts)
    header.push(`native t${t}`.padStart(10), `openblas t${t}`.padStart(12), 'ratio'.padStart(7));
  if (tMax > 1) header.push(`scale t${tMax}/t1`.padStart(12));
  console.log(header.join(' '));
  for (const [m, k, n] of shapes) {
    const line = [`(${m},${k},${n})`.padEnd(18), fmt(get('reference', 1, m, k, n))];
    for (const t of threadCounts) {
      const nat = get('native', t, m, k, n),
        blas = get('numpy-openblas', t, m, k, n);
      line.push(fmt(nat, 10), fmt(blas, 12), ratio(nat, blas));
    }
    if (tMax > 1) line.push(ratio(get('native', tMax, m, k, n), get('native', 1, m, k, n)).padStart(12));
    console.log(line.join(' '));
  }
  console.log('ratio = native / OpenBLAS at the same thread count; scale = native all cores / native 1 thread');
}

/** The WebAssembly rows: llmts's wasm backend beside the WASM peers, per thread count. */
function printWasmTable(rows: Row[], threadCounts: number[], peers: WasmPeer[]): void {
  const get = (backend: string, threads: number, m: number, k: number, n: number): number | undefined =>
    rows.find((r) => r.backend === backend && r.threads === threads && r.m === m && r.k === k && r.n === n)?.gflops;
  const fmt = (v: number | undefined, w: number): string => (v === undefined ? '-' : v.toFixed(1)).padStart(w);
  console.log('');
  console.log('WebAssembly SIMD (128-bit), in Node: llmts wasm beside the WASM peers; GFLOP/s');
  const header = ['shape (M,K,N)'.padEnd(18)];
  for (const t of threadCounts) {
    header.push(`wasm t${t}`.padStart(9));
    for (const p of peers) if (p.threadCounts.includes(t)) header.push(`${p.name} t${t}`.padStart(p.name.length + 4));
    header.push(`vs best`.padStart(8));
  }
  header.push(`native t1`.padStart(10));
  console.log(header.join(' '));
  for (const [m, k, n] of shapes) {
    const line = [`(${m},${k},${n})`.padEnd(18)];
    for (const t of threadCounts) {
      const ours = get('wasm', t, m, k, n);
      line.push(fmt(ours, 9));
      let best: number | undefined;
      for (const p of peers) {
        if (!p.threadCounts.includes(t)) continue;
        const v = get(p.name, t, m, k, n);
        line.push(fmt(v, p.name.length + 4));
        if (v !== undefined && (best === undefined || v > best)) best = v;
      }
      line.push((ours === undefined || best === undefined ? '-' : (ours / best).toFixed(2)).padStart(8));
    }
    line.push(fmt(get('native', 1, m, k, n), 10));
    console.log(line.join(' '));
  }
  console.log(
    'vs best = llmts wasm / the faster WASM peer at the same thread count (tfjs-wasm runs one thread in Node: ' +
      'its threaded build needs a browser; onnxruntime-web runs at each count in its own process)',
  );
}

function summarizeWasm(
  summary: Record<string, number | string | null>,
  rows: Row[],
  threadCounts: number[],
  peers: WasmPeer[],
): void {
  for (const [m, k, n] of shapes) {
    const at = (backend: string, t: number): number | undefined =>
      rows.find((r) => r.backend === backend && r.threads === t && r.m === m && r.k === k && r.n === n)?.gflops;
    for (const t of threadCounts) {
      const ours = at('wasm', t);
      const peer = peers
        .map((p) => [p.name, at(p.name, t)] as const)
        .filter((x): x is readonly [string, number] => x[1] !== undefined)
        .sort((a, b) => b[1] - a[1])[0];
      if (ours === undefined || peer === undefined) continue;
      summary[`(${m},${k},${n}) wasm/${peer[0]} at ${t}t`] = Math.round((ours / peer[1]) * 100) / 100;
    }
  }
}
