/**
 * The Train page's Web Worker: a character-level GPT trained on the wasm backend of llmts's
 * browser build, off the page's thread. Reports every step's loss and rate, the train/val loss
 * every evalEvery steps, a sample every sampleEvery steps; pauses and resumes between steps;
 * saves the weights as safetensors; and answers attention maps of a text on the current weights.
 */
/// <reference lib="webworker" />
import type { L } from './llmts.ts';
import type { FromWorker, StartMessage, ToWorker } from './train-protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

type GPTModel = InstanceType<L['GPT']>;

interface Run {
  lib: L;
  model: GPTModel;
  chars: string[];
  stoi: Map<string, number>;
  train: Int32Array;
  val: Int32Array;
  opt: InstanceType<L['AdamW']>;
  params: ReturnType<GPTModel['parameters']>;
  rng: InstanceType<L['Generator']>;
  cfg: StartMessage;
  step: number;
}

let run: Run | null = null;
let paused = false;
let looping = false;
let stopped = false;

const post = (m: FromWorker, transfer: Transferable[] = []): void => self.postMessage(m, transfer);

async function start(cfg: StartMessage): Promise<void> {
  const lib = (await import(/* @vite-ignore */ cfg.bundle)) as L;
  const backend = await lib.initWasm();
  const chars = [...new Set(cfg.text)].sort();
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const data = Int32Array.from(cfg.text, (c) => stoi.get(c)!);
  const cut = Math.floor(data.length * 0.9);
  const config = lib.gptPreset('shakespeare-char', { vocabSize: chars.length, ...cfg.size });
  const model = new lib.GPT(config, { seed: cfg.seed });
  lib.nn.flattenParameters(model);
  const params = model.parameters();
  const opt = new lib.AdamW(lib.optim.groupsForWeightDecay(params, cfg.lr, 0.1), { betas: [0.9, 0.99] });
  run = {
    lib,
    model,
    chars,
    stoi,
    train: data.subarray(0, cut),
    val: data.subarray(cut),
    opt,
    params,
    rng: new lib.Generator(cfg.seed),
    cfg,
    step: 0,
  };
  const threads = (backend as { threads?: number }).threads ?? 1;
  post({
    type: 'ready',
    vocabSize: chars.length,
    parameters: params.reduce((n, p) => n + p.size, 0),
    trainChars: cut,
    valChars: data.length - cut,
    threads,
  });
}

/** A batch [B, T] of inputs and next-character targets from `data`. */
function batch(r: Run, data: Int32Array): { x: Int32Array; y: Int32Array; B: number; T: number } {
  const B = r.cfg.batchSize;
  const T = r.cfg.size.blockSize;
  const x = new Int32Array(B * T);
  const y = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const at = r.rng.randint(data.length - T - 1);
    x.set(data.subarray(at, at + T), b * T);
    y.set(data.subarray(at + 1, at + T + 1), b * T);
  }
  return { x, y, B, T };
}

function trainStep(r: Run): number {
  const { lib, model } = r;
  const { x, y, B, T } = batch(r, r.train);
  let loss = NaN;
  lib.tidy(() => {
    const out = model.forward(lib.tensor(x, { shape: [B, T] }), { targets: lib.tensor(y, { shape: [B, T] }) });
    out.loss!.backward();
    loss = out.loss!.item();
  });
  r.opt.step(lib.optim.clipFactor(lib.optim.gradNorm(r.params), 1));
  r.opt.zeroGrad();
  return loss;
}

/** Mean loss over a few batches of `data`, without gradients. */
function evaluate(r: Run, data: Int32Array, batches = 4): number {
  const { lib, model } = r;
  let sum = 0;
  lib.noGrad(() => {
    for (let i = 0; i < batches; i++) {
      const { x, y, B, T } = batch(r, data);
      lib.tidy(() => {
        const out = model.forward(lib.tensor(x, { shape: [B, T] }), { targets: lib.tensor(y, { shape: [B, T] }) });
        sum += out.loss!.item();
      });
    }
  });
  return sum / batches;
}

/**
 * `length` characters sampled from a newline (temperature 0.8, top-k 40). The model sees at most
 * its context: past that the text is continued from its last half-context, window by window.
 */
function sample(r: Run, length = 160): string {
  const { lib, model } = r;
  const T = r.cfg.size.blockSize;
  const gen = lib.gptForGeneration(model);
  const ids = [r.stoi.get('\n') ?? 0];
  let out = '';
  while (out.length < length) {
    const context = ids.slice(-Math.max(1, T >> 1));
    const n = Math.min(length - out.length, T - context.length);
    const next = lib.generation.generate(gen, undefined, [context], {
      maxNewTokens: n,
      doSample: true,
      temperature: 0.8,
      topK: 40,
      seed: r.step * 1000 + out.length,
    }).sequences[0]!.ids;
    if (next.length === 0) break;
    ids.push(...next);
    out += next.map((id) => r.chars[id] ?? '').join('');
  }
  return out;
}

async function loop(): Promise<void> {
  if (looping || run === null) return;
  looping = true;
  const r = run;
  try {
    while (!paused && !stopped && r.step < r.cfg.steps) {
      const t0 = performance.now();
      const loss = trainStep(r);
      const ms = performance.now() - t0;
      r.step++;
      const tokens = r.cfg.batchSize * r.cfg.size.blockSize;
      post({ type: 'step', step: r.step, loss, ms, tokensPerSecond: (tokens / ms) * 1000 });
      if (r.cfg.evalEvery > 0 && (r.step % r.cfg.evalEvery === 0 || r.step === r.cfg.steps))
        post({ type: 'eval', step: r.step, train: evaluate(r, r.train), val: evaluate(r, r.val) });
      if (r.cfg.sampleEvery > 0 && (r.step % r.cfg.sampleEvery === 0 || r.step === r.cfg.steps))
        post({ type: 'sample', step: r.step, text: sample(r) });
      // let pause/stop/save messages in between steps
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (r.step >= r.cfg.steps || stopped) post({ type: 'done', step: r.step });
    else post({ type: 'paused', step: r.step });
  } finally {
    looping = false;
  }
}

function save(r: Run): void {
  const tensors: Record<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, t] of r.model.stateDict())
    tensors[name] = { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.toTypedArray() as ArrayLike<number>) };
  const metadata = {
    format: 'llmts-playground',
    config: JSON.stringify(r.model.config),
    vocab: JSON.stringify(r.chars),
    step: String(r.step),
  };
  const chunks = r.lib.serializeSafetensors(tensors, metadata);
  post({ type: 'saved', chunks, name: `shakespeare-char-step${r.step}.safetensors` });
}

function attention(r: Run, text: string): void {
  const { lib, model } = r;
  const T = r.cfg.size.blockSize;
  const ids = Array.from(text, (c) => r.stoi.get(c))
    .filter((i): i is number => i !== undefined)
    .slice(-T);
  if (ids.length === 0) throw new Error('none of the characters is in the model’s vocabulary');
  const maps: Float32Array[][] = [];
  const blocks = model.transformer.h;
  lib.noGrad(() =>
    lib.tidy(() => {
      model.forward(lib.tensor(Int32Array.from(ids), { shape: [1, ids.length] }), {
        captureAttention: true,
        logits: 'none',
      });
      for (const block of blocks) {
        const probs = block.attn.lastAttention!; // [1, H, T, T]
        const all = probs.toTypedArray() as Float32Array;
        const H = probs.shape[1]!;
        const n = ids.length * ids.length;
        maps.push(Array.from({ length: H }, (_, h) => all.slice(h * n, (h + 1) * n)));
        block.attn.lastAttention = null;
      }
    }),
  );
  post({
    type: 'attention',
    tokens: ids.map((i) => r.chars[i] ?? ''),
    nLayer: blocks.length,
    nHead: model.config.nHead,
    maps,
    step: r.step,
  });
}

self.onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  void (async () => {
    try {
      switch (m.type) {
        case 'start':
          await start(m);
          paused = false;
          await loop();
          break;
        case 'pause':
          paused = true;
          break;
        case 'resume':
          paused = false;
          await loop();
          break;
        case 'stop':
          stopped = true;
          break;
        case 'save':
          if (run !== null) save(run);
          break;
        case 'attention':
          if (run !== null) attention(run, m.text);
          break;
      }
    } catch (err) {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
};
