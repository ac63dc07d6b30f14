/**
 * `npm run bench -- generate [--quick] [--new-tokens N] [--no-peer] [--threads N] [--json]`
 *
 * Decode throughput of greedy generation with and without the KV cache, batch 1 and 8, for
 * the GPT-2-small shape (12 x 768, vocab 50,257, random weights) and the shakespeare-char
 * shape, plus time to first token. Batch-1 decoding is bound by memory bandwidth: each token
 * reads every weight once, so the achieved GB/s is printed beside tokens/s. The peer is the
 * same model in PyTorch (bench/peers/torch_gpt.py) run in the same benchmark, at llmts's thread
 * count and at each count from 1 to the cores.
 */
import { join } from 'node:path';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { gptForGeneration } from '../src/models/generative.ts';
import { generate } from '../src/generate/index.ts';
import { getDefaultBackend } from '../src/backends/select.ts';
import { Generator } from '../src/core/random.ts';
import {
  BENCH_DIR,
  flagValue,
  peerAtThreads,
  pythonVersion,
  ratio,
  runPythonPeer,
  startBench,
  versus,
} from './lib/harness.ts';

interface Shape {
  name: string;
  vocab: number;
  block: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

const SHAPES: Shape[] = [
  { name: 'gpt2-small', vocab: 50257, block: 1024, nLayer: 12, nHead: 12, nEmbd: 768 },
  { name: 'shakespeare-char', vocab: 65, block: 256, nLayer: 4, nHead: 4, nEmbd: 128 },
];

async function ours(
  shape: Shape,
  batch: number,
  cache: boolean,
  prompt: number,
  newTokens: number,
): Promise<{ ttftMs: number; tokensPerS: number; params: number }> {
  const model = new GPT(
    gptPreset('gpt2', {
      vocabSize: shape.vocab,
      blockSize: shape.block,
      nLayer: shape.nLayer,
      nHead: shape.nHead,
      nEmbd: shape.nEmbd,
      dropout: 0,
      attnDropout: 0,
    }),
    { seed: 0 },
  );
  const gm = gptForGeneration(model);
  const g = new Generator(1);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: prompt }, () => g.randint(shape.vocab)));
  // time to first token: a one-token generation
  let t0 = performance.now();
  await generate(gm, undefined, prompts, { maxNewTokens: 1, doSample: false, useCache: cache });
  const ttftMs = performance.now() - t0;
  t0 = performance.now();
  const r = await generate(gm, undefined, prompts, { maxNewTokens: newTokens, doSample: false, useCache: cache });
  const total = (performance.now() - t0) / 1000;
  const produced = r.sequences.reduce((n, s) => n + s.ids.length, 0);
  const decodeSeconds = Math.max(1e-9, total - ttftMs / 1000);
  return { ttftMs, tokensPerS: (produced - batch) / decodeSeconds, params: model.numParameters() };
}

function peer(
  shape: Shape,
  batch: number,
  cache: boolean,
  prompt: number,
  newTokens: number,
  threads: number,
): { ttftMs: number; tokensPerS: number } | null {
  const cfg = {
    bench: 'generate',
    vocab: shape.vocab,
    block: shape.block,
    n_layer: shape.nLayer,
    n_head: shape.nHead,
    n_embd: shape.nEmbd,
    batch,
    prompt,
    new_tokens: newTokens,
    cache,
  };
  const out = runPythonPeer<{ ttft_ms: number; tokens_per_s: number }>(
    join(BENCH_DIR, 'peers', 'torch_gpt.py'),
    cfg,
    threads,
    { timeoutMs: 600_000 },
  );
  return out === null ? null : { ttftMs: out.ttft_ms, tokensPerS: out.tokens_per_s };
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('generate', args);
  const quick = args.includes('--quick');
  const newTokens = Number(flagValue(args, '--new-tokens') ?? (quick ? 8 : 32));
  const prompt = 16;
  const backend = getDefaultBackend();
  if (bench.withPeer) bench.peerVersion('torch', pythonVersion('torch'));
  console.log(
    `backend ${backend.name}, ${bench.threads} thread(s); prompt ${prompt} tokens, ${newTokens} new tokens, greedy`,
  );
  for (const shape of quick ? SHAPES.slice(1) : SHAPES) {
    for (const batch of [1, 8]) {
      for (const cache of [true, false]) {
        const n = cache ? newTokens : Math.max(4, Math.floor(newTokens / 4));
        const o = await ours(shape, batch, cache, prompt, n);
        // batch-1 decoding reads every weight once per step: bytes moved per second
        const gbPerS = (tps: number): number => Math.round(((o.params * 4 * (tps / batch)) / 1e9) * 10) / 10;
        const label = `${shape.name} batch ${batch} ${cache ? 'kv-cache' : 'no-cache'}`;
        bench.record({
          case: label,
          impl: `llmts-${backend.name}`,
          threads: bench.threads,
          ttftMs: Math.round(o.ttftMs * 10) / 10,
          tokensPerS: Math.round(o.tokensPerS * 10) / 10,
          gbPerS: gbPerS(o.tokensPerS),
        });
        const p = await peerAtThreads(
          bench,
          (t) => peer(shape, batch, cache, prompt, n, t),
          (r) => r.tokensPerS,
          'higher',
        );
        for (const pt of p.all)
          bench.record({
            case: label,
            impl: 'pytorch',
            threads: pt.threads,
            ttftMs: Math.round(pt.result.ttftMs * 10) / 10,
            tokensPerS: Math.round(pt.result.tokensPerS * 10) / 10,
            gbPerS: gbPerS(pt.result.tokensPerS),
            best: pt === p.best,
          });
        console.log(
          `${shape.name.padEnd(17)} batch ${String(batch).padStart(2)} ${cache ? 'kv-cache' : 'no-cache'}  ` +
            `llmts ${o.tokensPerS.toFixed(1).padStart(8)} tok/s (${gbPerS(o.tokensPerS)} GB/s, first token ${o.ttftMs.toFixed(0)} ms)` +
            versus(p, o.tokensPerS, (r) => r.tokensPerS, 'PyTorch', 'higher'),
        );
        for (const pt of p.all)
          console.log(
            `${''.padEnd(17)} pytorch ${pt.threads}t ${pt.result.tokensPerS.toFixed(1).padStart(8)} tok/s (first token ${pt.result.ttftMs.toFixed(0)} ms)${pt === p.best && p.all.length > 1 ? '  (best)' : ''}`,
          );
        if (p.atLlmts)
          bench.summary[`${label} vs PyTorch at ${p.atLlmts.threads}t`] = ratio(
            o.tokensPerS,
            p.atLlmts.result.tokensPerS,
          );
        if (p.best)
          bench.summary[`${label} vs PyTorch best (${p.best.threads}t)`] = ratio(
            o.tokensPerS,
            p.best.result.tokensPerS,
          );
      }
    }
  }
  bench.finish();
}
