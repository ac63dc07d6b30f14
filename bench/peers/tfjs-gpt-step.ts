/**
 * The peer of `bench -- wasm-step`: nanoGPT's shakespeare-char training step written with
 * TensorFlow.js ops on its wasm backend (@tensorflow/tfjs-backend-wasm: XNNPACK, SIMD; one
 * thread in Node). The same model and step as llmts's: 4 layers, 4 heads, 128 wide, block 64,
 * batch 12, no biases, LayerNorm weights only, GELU (tanh form), causal self-attention, tied
 * token embedding and head, cross-entropy over the vocabulary; AdamW (lr 1e-3, betas 0.9/0.99,
 * decoupled weight decay 0.1 on the matrices) after clipping the global gradient norm at 1.
 * Gradients by tf.variableGrads. The token embedding is a one-hot matmul (tf.gather's gradient
 * needs a kernel the wasm backend lacks). Returns the milliseconds and loss of each step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Variable = import('@tensorflow/tfjs-core').Variable;

export interface TfjsStep {
  version: string;
  /** Milliseconds and loss of each step. */
  stepTimes(data: Int32Array, vocab: number, steps: number, seed: number): { ms: number[]; losses: number[] };
}

/**
 * Registers tfjs's gradient functions (the union package @tensorflow/tfjs imports them; the core
 * package alone does not). Its dist/register_all_gradients.js is ES modules without file
 * extensions, which Node cannot load, so esbuild bundles it into a temporary file first; the
 * registry and engine are process globals, so the core package sees them.
 */
async function registerGradients(): Promise<void> {
  const esbuild = await import('esbuild');
  const require = createRequire(import.meta.url);
  const entry = join(
    dirname(require.resolve('@tensorflow/tfjs-core/package.json')),
    'dist',
    'register_all_gradients.js',
  );
  const dir = mkdtempSync(join(tmpdir(), 'llmts-tfjs-'));
  try {
    const out = join(dir, 'gradients.mjs');
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: out,
      logLevel: 'error',
    });
    await import(pathToFileURL(out).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tfjs on its wasm backend, or null where the packages are not installed. */
export async function tfjsGptStep(): Promise<TfjsStep | null> {
  let tf: Tf;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await registerGradients();
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) return null;
    await tf.ready();
  } catch {
    return null;
  }
  return { version: tf.version_core, stepTimes: (d, v, s, seed) => run(tf, d, v, s, seed) };
}

function run(tf: Tf, data: Int32Array, vocab: number, steps: number, seed: number): { ms: number[]; losses: number[] } {
  const L = 4,
    H = 4,
    C = 128,
    T = 64,
    B = 12,
    D = C / H;
  const lr = 1e-3,
    wd = 0.1,
    beta1 = 0.9,
    beta2 = 0.99;
  let s = seed;
  const init = (shape: number[], std = 0.02): Variable =>
    tf.variable(tf.randomNormal(shape, 0, std, 'float32', s++), true);
  const ones = (n: number): Variable => tf.variable(tf.ones([n]), true);
  const wte = init([vocab, C]);
  const wpe = init([T, C]);
  const blocks = Array.from({ length: L }, () => ({
    ln1: ones(C),
    attn: init([C, 3 * C]),
    proj: init([C, C], 0.02 / Math.sqrt(2 * L)),
    ln2: ones(C),
    fc: init([C, 4 * C]),
    fcProj: init([4 * C, C], 0.02 / Math.sqrt(2 * L)),
  }));
  const lnf = ones(C);
  const matrices = [wte, wpe, ...blocks.flatMap((b) => [b.attn, b.proj, b.fc, b.fcProj])];
  const all = [...matrices, lnf, ...blocks.flatMap((b) => [b.ln1, b.ln2])];
  const opt = tf.train.adam(lr, beta1, beta2, 1e-8);
  // additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([T, T]), -1, 0)), -1e9));

  const layerNorm = (x: Tensor, w: Tensor): Tensor => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), w);
  };
  const gelu = (x: Tensor): Tensor =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI)))),
    );
  const forward = (x: Tensor, y: Tensor): Tensor => {
    // token embedding as one-hot x wte: the gradient of tf.gather needs UnsortedSegmentSum, which
    // the wasm backend lacks; positions 0..T-1 take all of wpe
    let h = tf.add(tf.reshape(tf.matMul(tf.oneHot(tf.reshape(x, [B * T]), vocab), wte), [B, T, C]), wpe) as Tensor;
    for (const blk of blocks) {
      const a = tf.reshape(layerNorm(h, blk.ln1), [B * T, C]);
      const qkv = tf.reshape(tf.matMul(a, blk.attn), [B, T, 3, H, D]);
      const [q, k, v] = tf.split(tf.transpose(qkv, [2, 0, 3, 1, 4]), 3, 0).map((t) => tf.reshape(t, [B * H, T, D]));
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q!, k!, false, true), 1 / Math.sqrt(D)), mask));
      const yAtt = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v!), [B, H, T, D]), [0, 2, 1, 3]), [B * T, C]);
      h = tf.add(h, tf.reshape(tf.matMul(yAtt, blk.proj), [B, T, C]));
      const m = tf.reshape(layerNorm(h, blk.ln2), [B * T, C]);
      h = tf.add(h, tf.reshape(tf.matMul(gelu(tf.matMul(m, blk.fc)), blk.fcProj), [B, T, C]));
    }
    const logits = tf.matMul(tf.reshape(layerNorm(h, lnf), [B * T, C]), wte, false, true); // [B*T, V]
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(tf.reshape(y, [B * T]), vocab)), -1)));
  };

  let r = seed >>> 0 || 1;
  const randint = (n: number): number => {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    return r % n;
  };
  const ms: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
    const xb = new Int32Array(B * T),
      yb = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const at = randint(data.length - T - 1);
      xb.set(data.subarray(at, at + T), b * T);
      yb.set(data.subarray(at + 1, at + T + 1), b * T);
    }
    tf.tidy(() => {
      const x = tf.tensor2d(xb, [B, T], 'int32');
      const y = tf.tensor2d(yb, [B, T], 'int32');
      const { value, grads } = tf.variableGrads(() => forward(x, y) as import('@tensorflow/tfjs-core').Scalar, all);
      // clip the global norm at 1, then decoupled weight decay on the matrices, then Adam
      const norm = Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
      const scale = Math.min(1, 1 / (norm + 1e-6));
      const clipped = Object.entries(grads).map(([name, g]) => ({ name, tensor: scale < 1 ? tf.mul(g, scale) : g }));
      for (const p of matrices) p.assign(tf.mul(p, 1 - lr * wd));
      opt.applyGradients(clipped);
      losses.push(value.dataSync()[0]!);
    });
    ms.push(performance.now() - t0);
  }
  for (const v of all) v.dispose();
  mask.dispose();
  opt.dispose();
  return { ms, losses };
}
