/**
 * The WebAssembly SGEMM peers of `bench -- matmul`, run in Node beside llmts's wasm backend:
 * TensorFlow.js's wasm backend (@tensorflow/tfjs-backend-wasm: XNNPACK compiled with SIMD) and
 * ONNX Runtime Web (onnxruntime-web: ORT's MLAS compiled with SIMD, a one-node MatMul model).
 * Each answers `gflops(m, k, n, seconds)`: the best of timed batches, as bench/matmul.ts times
 * llmts (results read back every call, so nothing is deferred).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export interface WasmPeer {
  readonly name: string;
  readonly version: string;
  /** Thread counts this peer can run at in Node. */
  readonly threadCounts: readonly number[];
  gflops(m: number, k: number, n: number, seconds: number, threads: number): Promise<number>;
  close(): Promise<void>;
}

/** Times `run` in batches of about a quarter of the budget; best batch wins. */
export async function timeAsync(run: () => Promise<void> | void, flops: number, seconds: number): Promise<number> {
  await run();
  let t0 = performance.now();
  await run();
  const once = Math.max((performance.now() - t0) / 1000, 1e-7);
  const reps = Math.max(1, Math.floor(seconds / once / 4));
  let best = 0;
  let spent = 0;
  do {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    const dt = (performance.now() - t0) / 1000;
    spent += dt;
    best = Math.max(best, (flops * reps) / dt / 1e9);
  } while (spent < seconds);
  return best;
}

export function normals(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

type Tf = typeof import('@tensorflow/tfjs-core');

/** TensorFlow.js on its wasm backend (SIMD; its threaded build needs a browser's workers, so 1 thread in Node). */
export async function tfjsWasmPeer(): Promise<WasmPeer | null> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs-core');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return null;
    await tf.ready();
  } catch {
    return null;
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return {
    name: 'tfjs-wasm',
    version: `${tf.version_core}${simd === true ? ' simd' : ''}`,
    threadCounts: [1],
    async gflops(m, k, n, seconds) {
      const a = tf.tensor2d(normals(m * k, 1), [m, k]);
      const b = tf.tensor2d(normals(k * n, 2), [k, n]);
      try {
        return await timeAsync(
          () => {
            const c = tf.matMul(a, b);
            c.dataSync();
            c.dispose();
          },
          2 * m * n * k,
          seconds,
        );
      } finally {
        a.dispose();
        b.dispose();
      }
    },
    close: async () => undefined,
  };
}

/** A one-node ONNX model C = MatMul(A [m,k], B [k,n]), encoded with a few fields of onnx.proto. */
export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const root = protobuf.Root.fromJSON({
    nested: {
      onnx: {
        nested: {
          ModelProto: {
            fields: {
              ir_version: { type: 'int64', id: 1 },
              opset_import: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
              graph: { type: 'GraphProto', id: 7 },
            },
          },
          OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
          GraphProto: {
            fields: {
              node: { rule: 'repeated', type: 'NodeProto', id: 1 },
              name: { type: 'string', id: 2 },
              input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
              output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
            },
          },
          NodeProto: {
            fields: {
              input: { rule: 'repeated', type: 'string', id: 1 },
              output: { rule: 'repeated', type: 'string', id: 2 },
              op_type: { type: 'string', id: 4 },
            },
          },
          ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
          TypeProto: {
            fields: { tensor_type: { type: 'Tensor', id: 1 } },
            nested: {
              Tensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
            },
          },
          TensorShapeProto: {
            fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } },
            nested: { Dimension: { fields: { dim_value: { type: 'int64', id: 1 } } } },
          },
        },
      },
    },
  });
  const Model = root.lookupType('onnx.ModelProto');
  const vi = (name: string, dims: number[]): object => ({
    name,
    type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
  });
  return Model.encode(
    Model.fromObject({
      ir_version: 8,
      opset_import: [{ domain: '', version: 17 }],
      graph: {
        name: 'matmul',
        node: [{ input: ['A', 'B'], output: ['C'], op_type: 'MatMul' }],
        input: [vi('A', [m, k]), vi('B', [k, n])],
        output: [vi('C', [m, n])],
      },
    }),
  ).finish();
}

/**
 * ONNX Runtime Web's wasm execution provider. Its module reads numThreads once, when it
 * initializes (Emscripten pthreads on worker_threads in Node, as on a cross-origin isolated
 * page), so each thread count runs in its own child process (bench/peers/ort-web-worker.ts),
 * started on first use and kept for the run: "m k n seconds" lines in, GFLOP/s lines out.
 */
export async function ortWebPeer(threadCounts: readonly number[]): Promise<WasmPeer | null> {
  let version: string;
  try {
    const ort = await import('onnxruntime-web');
    version = ort.env.versions.web ?? 'unknown';
  } catch {
    return null;
  }
  const workers = new Map<number, LineWorker>();
  return {
    name: 'onnxruntime-web',
    version: `${version} simd`,
    threadCounts,
    async gflops(m, k, n, seconds, threads) {
      let w = workers.get(threads);
      if (w === undefined) {
        w = new LineWorker(join(dirname(fileURLToPath(import.meta.url)), 'ort-web-worker.ts'), threads);
        workers.set(threads, w);
      }
      return Number(await w.ask(`${m} ${k} ${n} ${seconds}`));
    },
    close: async () => {
      for (const w of workers.values()) w.close();
    },
  };
}

/** A child Node process (through tsx) that answers one line per request line. */
class LineWorker {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: { resolve(line: string): void; reject(err: Error): void }[] = [];
  private stderr = '';

  constructor(script: string, threads: number) {
    this.proc = spawn(process.execPath, ['--import', 'tsx', script, String(threads)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.resolve(line));
    this.proc.stderr.on('data', (d: Buffer) => void (this.stderr += d.toString()));
    this.proc.on('exit', (code) => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`${script} exited (${code}): ${this.stderr.trim()}`));
    });
  }

  ask(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.proc.stdin.write(`${line}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}
