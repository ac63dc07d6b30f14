// The browser tests' cases, run in the page on the browser bundle (window.cases; the Playwright
// tests in ../browser.test.ts call them through page.evaluate and compare with Node).
import * as L from '/bundle/llmts.js';

let backend;

/** Loads the wasm backend (threads: as the page allows) and makes it the default. */
export async function init(options) {
  backend = await L.initWasm(options ?? {});
  await L.wasmInternals(backend).threads.ready();
  return { backend: backend.name, threads: backend.threads, isolated: self.crossOriginIsolated === true };
}

/** ids of each text, the tokenizer read from URLs or from the file input (a user-picked File). */
export async function tokenize({ source, fromFileInput, texts }) {
  const src = fromFileInput ? document.getElementById('file').files[0] : source;
  const tok = await L.loadTokenizerFrom(src);
  return texts.map((t) => Array.from(tok.encode(t).ids));
}

/** A seeded matmul and softmax on the wasm backend, as bits (threads must not change them). */
export function kernels({ seed }) {
  const g = new L.Generator(seed);
  const a = L.randn([300, 257], { generator: g });
  const b = L.randn([257, 190], { generator: g });
  const c = a.matmul(b);
  const s = a.softmax(-1);
  return [Array.from(c.toTypedArray()), Array.from(s.toTypedArray())];
}

/**
 * nanoGPT's shakespeare-char step (bench/shakespeare.ts): the preset model, batch 12 x 64,
 * AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1), clipping at 1; losses and step times.
 */
export function trainChar({ text, steps, seed }) {
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((ch, i) => [ch, i]));
  const data = Int32Array.from(text, (ch) => stoi.get(ch));
  const model = new L.GPT(L.gptPreset('shakespeare-char', { vocabSize: chars.length }), { seed });
  L.nn.flattenParameters(model);
  const params = model.parameters();
  const opt = new L.AdamW(L.optim.groupsForWeightDecay(params, 1e-3, 0.1), { betas: [0.9, 0.99] });
  const g = new L.Generator(seed);
  const B = 12,
    T = 64;
  const losses = [];
  const ms = [];
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
    const x = new Int32Array(B * T),
      y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const at = g.randint(data.length - T - 1);
      x.set(data.subarray(at, at + T), b * T);
      y.set(data.subarray(at + 1, at + T + 1), b * T);
    }
    L.tidy(() => {
      const out = model.forward(L.tensor(x, { shape: [B, T] }), { targets: L.tensor(y, { shape: [B, T] }) });
      out.loss.backward();
      losses.push(out.loss.item());
    });
    const norm = L.optim.gradNorm(params);
    opt.step(L.optim.clipFactor(norm, 1));
    opt.zeroGrad();
    ms.push(performance.now() - t0);
  }
  return { losses, ms };
}

/** Greedy generation from a seeded model, with and without the KV cache. */
export function generateGreedy({ config, seed, prompt, maxNewTokens }) {
  const model = new L.GPT(config, { seed });
  const gen = L.gptForGeneration(model);
  const run = (useCache) =>
    Array.from(L.generate(gen, undefined, [prompt], { maxNewTokens, doSample: false, useCache }).sequences[0].ids);
  return { cached: run(true), uncached: run(false) };
}

/** log p(token | prefix) of each token under an HF checkpoint read from URLs. */
export async function scoreHf({ config, weights, ids }) {
  const model = await L.loadHfModelFrom({ config, weights });
  return L.models.scoreTokens(model, ids).logprobs;
}
