/**
 * ONNX Runtime Web at one thread count (argv[2]), for bench/peers/wasm-matmul.ts: reads
 * "m k n seconds" lines, answers each with the best GFLOP/s of a one-node MatMul model on the
 * wasm execution provider (timed as bench/matmul.ts times llmts: batches, best batch).
 */
import { createInterface } from 'node:readline';
import * as ort from 'onnxruntime-web';
import { matmulModel, normals, timeAsync } from './wasm-matmul.ts';

const threads = Number(process.argv[2] ?? 1);
ort.env.wasm.numThreads = threads;
ort.env.wasm.simd = true;

for await (const line of createInterface({ input: process.stdin })) {
  const [m, k, n, seconds] = line.split(' ').map(Number) as [number, number, number, number];
  const session = await ort.InferenceSession.create(matmulModel(m, k, n), { executionProviders: ['wasm'] });
  const A = new ort.Tensor('float32', normals(m * k, 1), [m, k]);
  const B = new ort.Tensor('float32', normals(k * n, 2), [k, n]);
  const g = await timeAsync(
    async () => {
      const out = await session.run({ A, B });
      out['C']?.dispose();
    },
    2 * m * n * k,
    seconds,
  );
  await session.release();
  process.stdout.write(`${g}\n`);
}
// Emscripten's pthread pool keeps the process alive: leave when the bench closes stdin
process.exit(0);
