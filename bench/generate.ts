/**
 * `npm run bench -- generate [--quick] [--new-tokens N] [--no-peer]`
 *
 * Decode throughput of greedy generation with and without the KV cache, batch 1 and 8, for
 * the GPT-2-small shape (12 x 768, vocab 50,257, random weights) and the shakespeare-char
 * shape, plus time to first token. Batch-1 decoding is bound by memory bandwidth: each token
 * reads every weight once, so the achieved GB/s is printed beside tokens/s. The peer is the
 * same model in PyTorch (bench/peers/torch_gpt.py) run in the same benchmark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { gptForGeneration } from '../src/models/generative.ts';
import { generate } from '../src/generate/index.ts';
import { getDefaultBackend } from '../src/backends/select.ts';
import { Generator } from '../src/core/random.ts';

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

interface Row {
  model: string;
  impl: string;
  batch: number;
  cache: boolean;
  ttftMs: number;
  tokensPerS: number;
  gbPerS: number;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

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
  const script = join(dirname(fileURLToPath(import.meta.url)), 'peers', 'torch_gpt.py');
  if (!existsSync('/usr/bin/python3')) return null;
  const env = { ...process.env };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
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
    threads,
  };
  const r = spawnSync('/usr/bin/python3', [script, JSON.stringify(cfg)], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    console.error(`  (PyTorch peer unavailable: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()})`);
    return null;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ttft_ms: number; tokens_per_s: number };
  return { ttftMs: out.ttft_ms, tokensPerS: out.tokens_per_s };
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const withPeer = !args.includes('--no-peer');
  const newTokens = Number(flag(args, '--new-tokens') ?? (quick ? 8 : 32));
  const prompt = 16;
  const backend = getDefaultBackend();
  const threads = backend.threads;
  console.log(
    `backend ${backend.name}, ${threads} thread(s); prompt ${prompt} tokens, ${newTokens} new tokens, greedy`,
  );
  const rows: Row[] = [];
  for (const shape of quick ? SHAPES.slice(1) : SHAPES) {
    for (const batch of [1, 8]) {
      for (const cache of [true, false]) {
        const n = cache ? newTokens : Math.max(4, Math.floor(newTokens / 4));
        const o = await ours(shape, batch, cache, prompt, n);
        // batch-1 decoding reads every weight once per step: bytes moved per second
        const gb = (o.params * 4 * (o.tokensPerS / batch)) / 1e9;
        rows.push({
          model: shape.name,
          impl: 'llmts',
          batch,
          cache,
          ttftMs: o.ttftMs,
          tokensPerS: o.tokensPerS,
          gbPerS: gb,
        });
        if (withPeer) {
          const p = peer(shape, batch, cache, prompt, n, threads);
          if (p)
            rows.push({
              model: shape.name,
              impl: 'pytorch',
              batch,
              cache,
              ttftMs: p.ttftMs,
              tokensPerS: p.tokensPerS,
              gbPerS: (o.params * 4 * (p.tokensPerS / batch)) / 1e9,
            });
        }
        const mine = rows.filter((r) => r.impl === 'llmts').pop()!;
        const theirs = rows
          .filter((r) => r.impl === 'pytorch' && r.model === shape.name && r.batch === batch && r.cache === cache)
          .pop();
        console.log(
          `${shape.name.padEnd(17)} batch ${String(batch).padStart(2)} ${cache ? 'kv-cache' : 'no-cache'}  ` +
            `llmts ${mine.tokensPerS.toFixed(1).padStart(8)} tok/s (${mine.gbPerS.toFixed(1)} GB/s, first token ${mine.ttftMs.toFixed(0)} ms)` +
            (theirs
              ? `  pytorch ${theirs.tokensPerS.toFixed(1).padStart(8)} tok/s (first ${theirs.ttftMs.toFixed(0)} ms)  ratio ${(mine.tokensPerS / theirs.tokensPerS).toFixed(2)}x`
              : ''),
        );
      }
    }
  }
  if (args.includes('--json')) for (const r of rows) console.log(JSON.stringify(r));
}
