/**
 * `npm run bench -- wasm-step [--steps N] [--json] [--no-browser] [--peer-threads A,B]`
 *
 * nanoGPT's shakespeare-char training step (the preset model: 4 layers, 4 heads, 128 wide,
 * batch 12 x 64; AdamW lr 1e-3, betas 0.9/0.99, weight decay 0.1, clipping at 1) timed in the
 * same run on:
 * - llmts native (the C addon) and llmts wasm (the same kernels compiled to WebAssembly SIMD)
 *   in this Node process, at each thread count (1..cores or --peer-threads);
 * - llmts wasm in Debian's chromium (the browser bundle built from the current sources, the
 *   test page's trainChar through playwright-core): one thread on a plain page, more on a
 *   cross-origin isolated page (COOP/COEP, SharedArrayBuffer workers).
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

const WARMUP = 3;
const SEED = 1337;

function corpus(): { text: string; source: string } {
  const path = join(BENCH_DIR, '..', '..', 'shared', 'data', 'tinyshakespeare.txt');
  if (existsSync(path)) return { text: readFileSync(path, 'utf8').slice(0, 1 << 20), source: 'tinyshakespeare' };
  return { text: nlpCorpusText(1 << 20), source: 'nlp-corpus' };
}

/** The loop of test/browser/page/cases.js trainChar, on `backend`: ms per step. */
function stepTimes(text: string, steps: number, backend: Backend): number[] {
  const chars = [...new Set(text)].sort();
  const stoi = new Map(chars.map((ch, i) => [ch, i]));
  const data = Int32Array.from(text, (ch) => stoi.get(ch)!);
  const model = new GPT(gptPreset('shakespeare-char', { vocabSize: chars.length }), { seed: SEED, backend });
  flattenParameters(model);
  const params = model.parameters();
  const opt = new AdamW(groupsForWeightDecay(params, 1e-3, 0.1), { betas: [0.9, 0.99] });
  const g = new Generator(SEED);
  const B = 12,
    T = 64;
  const ms: number[] = [];
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
      out.loss!.item();
    });
    opt.step(clipFactor(gradNorm(params), 1));
    opt.zeroGrad();
    ms.push(performance.now() - t0);
  }
  return ms;
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
        const ms = median(stepTimes(text, steps, backend).slice(WARMUP));
        result.set(`llmts-${backend.name}/${threads}`, ms);
        bench.record({ impl: `llmts-${backend.name}`, where: 'node', threads, msPerStep: ms });
        console.log(`  llmts ${backend.name.padEnd(6)} node      ${threads}t: ${ms.toFixed(1)} ms/step`);
      }
    }
  } finally {
    bench.applyThreads(bench.threads);
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
  bench.finish();
}
