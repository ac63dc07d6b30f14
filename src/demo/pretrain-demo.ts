/**
 * The main job (`npm start` = `llmts demo`): the whole pretraining path on real English
 * text that an npm package ships (nlp-corpus, ~9 MB of sentences, read from node_modules):
 *   1. train a byte-level BPE tokenizer on the corpus;
 *   2. tokenize it into a token-shard dataset (train/val);
 *   3. pretrain a small GPT for a fixed number of steps (the same work, model and samples
 *      from the same seed on every machine; it prints an ETA from the rate so far);
 *   4. report validation loss, perplexity and bits per byte;
 *   5. print samples (greedy, top-k, top-p) from a few prompts.
 * Everything goes to one run directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.ts';
import { trainBpeFromIterator } from '../tokenizers/index.ts';
import { prepareDataset } from '../data/prepare.ts';
import { readNlpCorpus } from '../data/corpora/nlp-corpus.ts';
import { fromTokenizer } from '../data/tokenize/tokenizer-like.ts';
import { defaultPretrainConfig, pretrain } from '../train/pretrain.ts';
import type { SizeOverrides } from '../models/registry.ts';
import { GPT } from '../models/gpt.ts';
import { gptForGeneration } from '../models/generative.ts';
import { generate } from '../generate/index.ts';
import type { GenerateOptions } from '../generate/index.ts';

export type DemoSize = 'tiny' | 'small' | 'medium';

/**
 * Model shapes and fixed training lengths for the demo; vocab is the tokenizer's size. `small`
 * is `npm start`: sized to finish in under 5 minutes on 2 cores at a validation perplexity
 * under 100 on nlp-corpus (docs in README, figure in the issue's note). `tiny` is for tests.
 */
export const DEMO_SIZES: Record<DemoSize, { model: SizeOverrides; vocab: number; batch: number; steps: number }> = {
  tiny: { model: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, dropout: 0 }, vocab: 1024, batch: 16, steps: 300 },
  small: {
    model: { nLayer: 4, nHead: 4, nEmbd: 128, blockSize: 128, dropout: 0 },
    vocab: 2048,
    batch: 16,
    steps: 1500,
  },
  medium: {
    model: { nLayer: 6, nHead: 6, nEmbd: 192, blockSize: 128, dropout: 0 },
    vocab: 4096,
    batch: 16,
    steps: 3000,
  },
};

export interface DemoOptions {
  runDir: string;
  size: DemoSize;
  seed: number;
  /** Training steps (default: the size's). */
  steps?: number;
  /** Use at most this many corpus sentences (tests, quick looks). */
  maxSentences?: number;
  log?: (line: string) => void;
}

export interface DemoResult {
  runDir: string;
  valLoss: number;
  perplexity: number;
  bitsPerByte: number | null;
  steps: number;
  samples: { strategy: string; prompt: string; text: string }[];
}

/** "1m05s" */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export async function runPretrainDemo(o: DemoOptions): Promise<DemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const size = DEMO_SIZES[o.size];
  const steps = o.steps ?? size.steps;
  if (!Number.isInteger(steps) || steps < 1)
    throw new ArgumentError('demo', `steps must be a positive integer, got ${steps}`);
  mkdirSync(o.runDir, { recursive: true });
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)}s`;

  log(`[1/5] corpus: nlp-corpus (node_modules)`);
  const sentences = readNlpCorpus(o.maxSentences);
  const bytes = sentences.reduce((n, s) => n + Buffer.byteLength(s, 'utf8') + 1, 0);
  const dataDir = join(o.runDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const corpusFile = join(dataDir, 'corpus.txt');
  writeFileSync(corpusFile, `${sentences.join('\n')}\n`);
  log(`      ${sentences.length.toLocaleString('en')} sentences, ${(bytes / 1e6).toFixed(2)} MB`);

  log(`[2/5] tokenizer: byte-level BPE, ${size.vocab} tokens`);
  const tokenizer = trainBpeFromIterator(sentences, {
    vocabSize: size.vocab,
    specialTokens: ['<|endoftext|>'],
    byteLevel: true,
    showProgress: false,
  });
  const tokPath = join(o.runDir, 'tokenizer.json');
  tokenizer.save(tokPath);
  log(`      trained in ${elapsed()}; vocabulary ${tokenizer.vocabSize}`);

  log(`[3/5] dataset: one document per sentence, <|endoftext|> between documents, 2% validation`);
  const shards = join(dataDir, 'shards');
  const prep = await prepareDataset({
    inputs: [corpusFile],
    out: shards,
    tokenizer: fromTokenizer(tokenizer),
    tokenizerFile: tokPath,
    tokenizerName: 'demo-bpe',
    textMode: 'line',
    valFraction: 0.02,
    quiet: true,
  });
  const trainTokens = prep.meta.splits['train']?.tokens ?? 0;
  log(
    `      ${trainTokens.toLocaleString('en')} training tokens (${(bytes / Math.max(1, trainTokens + (prep.meta.splits['val']?.tokens ?? 0))).toFixed(2)} bytes/token) at ${elapsed()}`,
  );

  log(
    `[4/5] pretraining a ${size.model.nLayer}-layer, ${size.model.nEmbd}-wide GPT for ${steps} steps of ${size.batch} x ${size.model.blockSize} tokens`,
  );
  const trainStart = performance.now();
  const every = Math.max(1, Math.round(steps / 10));
  const config = defaultPretrainConfig({
    data: shards,
    runDir: o.runDir,
    preset: 'gpt2',
    overrides: { ...size.model },
    batchSize: size.batch,
    steps,
    lr: 2e-3,
    minLr: 2e-4,
    warmupSteps: Math.min(100, Math.floor(steps / 10)),
    decaySteps: steps,
    weightDecay: 0.1,
    beta2: 0.99,
    evalEvery: Math.max(10, Math.floor(steps / 5)),
    evalBatches: 10,
    checkpointEvery: Math.max(10, Math.floor(steps / 3)),
    seed: o.seed,
    onStep: (rec) => {
      const done = Number(rec['step']) + 1;
      if (done % every !== 0 || done === steps) return;
      const spent = (performance.now() - trainStart) / 1000;
      log(
        `      step ${done}/${steps}  loss ${Number(rec['loss']).toFixed(3)}  ${(done / spent).toFixed(1)} steps/s  ETA ${duration(((steps - done) * spent) / done)}`,
      );
    },
  });
  const r = await pretrain(config);
  const e = r.result.lastEval ?? {};
  const valLoss = e['loss'] ?? NaN;
  const bpb = e['bits_per_byte'] ?? null;
  log(
    `      ${r.result.steps} steps, ${r.result.msPerStep.toFixed(1)} ms/step, ${Math.round(r.result.tokensPerSecond).toLocaleString('en')} tokens/s`,
  );
  log(
    `      validation loss ${valLoss.toFixed(4)} nats/token, perplexity ${Math.exp(valLoss).toFixed(2)}${bpb !== null ? `, ${bpb.toFixed(3)} bits/byte` : ''}`,
  );

  log(`[5/5] samples`);
  const model = r.model as GPT;
  const gm = gptForGeneration(model);
  const codec = {
    decode: (ids: readonly number[]) => tokenizer.decode(ids),
    encode: (t: string) => tokenizer.encodeIds(t),
  };
  const prompts = ['The meaning of life is', 'Once upon a time', 'In the morning, the city'];
  const strategies: { name: string; options: GenerateOptions }[] = [
    { name: 'greedy', options: { doSample: false } },
    { name: 'top-k 40, T 0.8', options: { doSample: true, topK: 40, temperature: 0.8 } },
    { name: 'top-p 0.9, T 0.8', options: { doSample: true, topP: 0.9, topK: 0, temperature: 0.8 } },
  ];
  const samples: DemoResult['samples'] = [];
  for (const s of strategies) {
    const out = await generate(gm, codec, prompts, {
      ...s.options,
      maxNewTokens: 32,
      seed: o.seed,
      eosTokenId: tokenizer.eosId ?? 0,
      repetitionPenalty: 1.0,
    });
    log(`  -- ${s.name}`);
    for (const seq of out.sequences) {
      const prompt = prompts[seq.promptIndex]!;
      samples.push({ strategy: s.name, prompt, text: seq.text ?? '' });
      log(`  ${JSON.stringify(prompt + (seq.text ?? ''))}`);
    }
  }
  writeFileSync(join(o.runDir, 'samples.json'), JSON.stringify(samples, null, 2));
  log(`run directory: ${o.runDir}`);
  log(`  metrics.jsonl (per step), loss.svg (curve), checkpoint-last/best.safetensors, tokenizer.json, samples.json`);
  log(`  try: npx llmts sample --model ${o.runDir} --prompt "Once upon a time" --do-sample --top-p 0.9`);
  log(`total time ${elapsed()}`);
  return { runDir: o.runDir, valLoss, perplexity: Math.exp(valLoss), bitsPerByte: bpb, steps: r.result.steps, samples };
}
