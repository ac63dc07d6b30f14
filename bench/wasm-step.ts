/**
 * `npm run bench -- wasm-step [--steps N] [--json] [--no-browser] [--no-peer] [--peer-threads A,B]`
 *
 * nanoGPT's shakespeare-char training step (the preset model: 4 layers, 4 heads, 128 wide,
 * batch 12 x 64; AdamW lr 1e-3, betas 0.9/0.99, weight decay 0.1, clipping at 1) timed in the
 * same run on:
 * - llmts native (the C addon) and llmts wasm (the same kernels compiled to WebAssembly SIMD)
 *   in this Node process, at each thread count (1..cores or --peer-threads);
 * - llmts wasm in Debian's chromium (the browser bundle built from the current sources, the
 *   test page's trainChar through playwright-core): one thread on a plain page, more on a
 *   cross-origin isolated page (COOP/COEP, SharedArrayBuffer workers);
 * - the peer: the same model and step written with TensorFlow.js ops on
 *   @tensorflow/tfjs-backend-wasm (bench/peers/tfjs-gpt-step.ts; one thread in Node, so it is
 *   compared at 1 thread). --no-peer skips it.
 * Every run is the same seeded loop on the first 1 MB of tinyshakespeare (or the nlp-corpus
 * text when ../shared is absent); the first steps are warm-up, the figure is the median of the
 * rest. Prints ms/step and wasm / native at each thread count. --json writes
 * bench/results/wasm-step.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../src/backends/backend.ts';
import { tryNativeBackend, tryWasmBackend } from '../src/backends/select.ts';
import { Generator, tensor, tidy } from '../src/engine/index.ts';
import { GPT, gptPreset } from '../src/models/index.ts';
import { flattenParameters } from '../src/nn/index.ts';
import { AdamW, clipFactor, gradNorm, groupsForWeightDecay } from '../src/optim/index.ts';
import { nlpCorpusText } from '../src/data/corpora/nlp-corpus.ts';
import { BENCH_DIR, flagValue, median, startBench } from './lib/harness.ts';
import { tfjsGptStep } from './peers/tfjs-gpt-step.ts';

const WARMUP = 3;
const SEED = 1337;

function corpus(): { text: string; source: string } {
  const path = join(BENCH_DIR, '..', '..', 'shared', 'data', 'tinyshakespeare.txt');
  if (existsSync(path)) return { text: readFileSync(path, 'utf8').slice(0, 1 << 20), source: 'tinyshakespeare' };
  return { text: nlpCorpusText(1 << 20), source: 'nlp-corpus' };
}

function encode(text: string): { data: Int32Array; vocab: number } {
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((ch, i) => [ch, i]));
  return { data: Int32Array.from(text, (ch) => stoi.get(ch)!), vocab: chars.length };
}

/** The loop of test/browser/page/cases.js trainChar, on `backend`: ms and loss per step. */
function stepTimes(text: string, steps: number, backend: Backend): { ms: number[]; losses: number[] } {
  const { data, vocab } = encode(text);
  const model = new GPT(gptPreset('shakespeare-char', { vocabSize: vocab }), { seed: SEED, backend });
  flattenParameters(model);
  const params = model.parameters();
  const opt = new AdamW(groupsForWeightDecay(params, 1e-3, 0.1), { betas: [0.9, 0.99] });
  const g = new Generator(SEED);
  const B = 12,
    T = 64;
  const ms: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const t0 = performance.now();
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
    ms.push(performance.now() - t0);
  }
  return { ms, losses };
}

/** The same loop in chromium at each thread count (null where chromium or the bundle is missing). */
async function chromiumStepTimes(
  text: string,
  steps: number,
  threadCounts: number[],
): Promise<Map<number, number[]> | string> {
  const { systemProgram } = await import('../test/helpers/requirements.ts');
  const chromium = systemProgram('chromium');
  if (chromium.skip) return chromium.skip;
  const { buildBundle, launch, repoRoot, serveStatic } = await import('../test/browser/harness.ts');
  const bundle = buildBundle();
  const mounts = { '/bundle/': bundle.dir, '/page/': join(repoRoot, 'test', 'browser', 'page') };
  const out = new Map<number, number[]>();
  try {
    for (const threads of threadCounts) {
      const server = await serveStatic(mounts, threads > 1);
      const browser = await launch(chromium.path!);
      try {
        await browser.page.goto(`${server.url}/page/index.html`);
        await browser.page.waitForFunction(() => (globalThis as { casesReady?: boolean }).casesReady === true);
        type Cases = Record<string, (x: unknown) => unknown>;
        const call = <T>(name: string, arg: unknown): Promise<T> =>
          browser.page.evaluate(([n, a]) => (globalThis as unknown as { cases: Cases }).cases[n as string]!(a), [
            name,
            arg,
          ] as const) as Promise<T>;
        const info = await call<{ threads: number }>('init', { threads });
        if (info.threads !== threads) throw new Error(`chromium ran ${info.threads} thread(s), not ${threads}`);
        const r = await call<{ ms: number[] }>('trainChar', { text, steps, seed: SEED });
        out.set(threads, r.ms);
      } finally {
        await browser.close();
        await server.close();
      }
    }
  } finally {
    bundle.remove();
  }
  return out;
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('wasm-step', args);
  const steps = Number(flagValue(args, '--steps') ?? 20) + WARMUP;
  const threadCounts = [...bench.peerThreads].sort((a, b) => a - b);
  const { text, source } = corpus();
  const backends: Backend[] = [];
  for (const b of [tryNativeBackend(), tryWasmBackend()]) {
    if (b instanceof Error) console.log(`(backend unavailable: ${b.message})`);
    else backends.push(b);
  }
  console.log(
    `shakespeare-char training step (${source}, batch 12 x 64), median of ${steps - WARMUP} steps after ${WARMUP}`,
  );
  const result = new Map<string, number>(); // `${impl}/${threads}` -> ms
  try {
    for (const threads of threadCounts) {
      for (const backend of backends) {
        backend.setThreads?.(threads);
        const r = stepTimes(text, steps, backend);
        const ms = median(r.ms.slice(WARMUP));
        result.set(`llmts-${backend.name}/${threads}`, ms);
        bench.record({ impl: `llmts-${backend.name}`, where: 'node', threads, msPerStep: ms });
        console.log(
          `  llmts ${backend.name.padEnd(6)} node      ${threads}t: ${ms.toFixed(1)} ms/step (loss ${r.losses[0]!.toFixed(3)} -> ${r.losses[r.losses.length - 1]!.toFixed(3)})`,
        );
      }
    }
  } finally {
    bench.applyThreads(bench.threads);
  }
  if (bench.withPeer) {
    const tfjs = await tfjsGptStep();
    if (tfjs === null) console.log('(tfjs-backend-wasm not installed: no peer)');
    else {
      bench.peerVersion('@tensorflow/tfjs-backend-wasm', tfjs.version);
      const { data, vocab } = encode(text);
      const r = tfjs.stepTimes(data, vocab, steps, SEED);
      const ms = median(r.ms.slice(WARMUP));
      result.set('tfjs-wasm/1', ms);
      bench.record({ impl: 'tfjs-wasm', where: 'node', threads: 1, msPerStep: ms });
      console.log(
        `  tfjs   wasm   node      1t: ${ms.toFixed(1)} ms/step (loss ${r.losses[0]!.toFixed(3)} -> ${r.losses[r.losses.length - 1]!.toFixed(3)})`,
      );
    }
  }
  if (!args.includes('--no-browser')) {
    const browser = await chromiumStepTimes(text, steps, threadCounts);
    if (typeof browser === 'string') console.log(`(chromium not run: ${browser})`);
    else
      for (const [threads, times] of browser) {
        const ms = median(times.slice(WARMUP));
        result.set(`llmts-wasm-chromium/${threads}`, ms);
        bench.record({ impl: 'llmts-wasm', where: 'chromium', threads, msPerStep: ms });
        console.log(`  llmts wasm   chromium  ${threads}t: ${ms.toFixed(1)} ms/step`);
      }
  }
  for (const t of threadCounts) {
    const native = result.get(`llmts-native/${t}`);
    for (const impl of ['llmts-wasm', 'llmts-wasm-chromium']) {
      const v = result.get(`${impl}/${t}`);
      if (native === undefined || v === undefined) continue;
      const r = Math.round((v / native) * 100) / 100;
      bench.summary[`${impl.replace('llmts-', '')} / native step time at ${t}t`] = r;
      console.log(`${impl.replace('llmts-', '')} / native at ${t}t: ${r.toFixed(2)}x the step time`);
    }
  }
  const ours = result.get('llmts-wasm/1'),
    peer = result.get('tfjs-wasm/1');
  if (ours !== undefined && peer !== undefined) {
    bench.summary['tfjs-wasm / llmts wasm step time at 1t'] = Math.round((peer / ours) * 100) / 100;
    console.log(`tfjs-wasm / llmts wasm at 1t: ${(peer / ours).toFixed(2)}x the step time`);
  }
  bench.finish();
}
