/**
 * `npm run bench -- generate [--quick] [--shape NAME] [--batch N] [--cache-only] [--new-tokens N]
 *    [--weights fp32,q8_0,q4_0] [--no-peer] [--threads N] [--json]`
 *
 * Decode throughput of greedy generation with and without the KV cache, batch 1 and 8, for
 * the GPT-2-small shape (12 x 768, vocab 50,257, random weights) and the shakespeare-char
 * shape, plus time to first token. Batch-1 decoding is bound by memory bandwidth: each token
 * reads every weight once, so the achieved GB/s is printed beside tokens/s. The peer is the
 * same model in PyTorch (bench/peers/torch_gpt.py) run in the same benchmark, at llmts's thread
 * count and at each count from 1 to the cores.
 *
 * With the KV cache, llmts also decodes with weight-only quantized weights (q8_0, q4_0:
 * docs/quantization.md); GB/s counts the bytes of the weights as stored. The machine's read
 * bandwidth is measured in the same run (a STREAM-like read of a 256 MB buffer, at llmts's
 * thread count, before and after) and each batch-1 figure is printed as a fraction of it.
 * For shakespeare-char batch 1 the per-token overhead is the step time minus the time spent
 * inside kernels (a profiling backend wraps the native one).
 */
import { join } from 'node:path';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { quantizeModel, linearModules } from '../src/models/quantize.ts';
import type { QuantScheme } from '../src/backends/quant.ts';
import { loadAddon } from '../src/backends/native/index.ts';
import { withProfiling } from '../src/backends/profile.ts';
import type { Backend } from '../src/backends/backend.ts';
import { gptForGeneration } from '../src/models/generative.ts';
import { generate } from '../src/generate/index.ts';
import { getDefaultBackend, setDefaultBackend } from '../src/backends/select.ts';
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

type Weights = 'fp32' | QuantScheme;

/** Bytes of weights one decoding step reads: every Linear as stored, the norms, one embedding row. */
function bytesPerStep(model: GPT): number {
  let bytes = 0;
  const inLinears = new Set<unknown>();
  for (const [, l] of linearModules(model)) {
    inLinears.add(l.weight);
    bytes += l.quantized !== null ? l.quantized.wq.byteLength + l.quantized.wd.byteLength : l.weight.size * 4;
  }
  for (const [name, p] of model.namedParameters())
    if (!inLinears.has(p) && !name.includes('wte') && !name.includes('wpe')) bytes += p.size * 4;
  return bytes + 2 * model.config.nEmbd * 4;
}

/** The machine's read bandwidth (GB/s): best of 5 reads of a 256 MB buffer over the pool. */
function readBandwidth(): number | null {
  let addon;
  try {
    addon = loadAddon();
  } catch {
    return null;
  }
  const buf = new Float32Array(64 << 20);
  buf.fill(1);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    addon.streamRead(buf);
    best = Math.min(best, performance.now() - t0);
  }
  return buf.byteLength / (best / 1000) / 1e9;
}

async function ours(
  shape: Shape,
  batch: number,
  cache: boolean,
  prompt: number,
  newTokens: number,
  weights: Weights = 'fp32',
  backend?: Backend,
): Promise<{ ttftMs: number; tokensPerS: number; params: number; bytes: number }> {
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
    backend === undefined ? { seed: 0 } : { seed: 0, backend },
  );
  if (weights !== 'fp32') quantizeModel(model, weights);
  const gm = gptForGeneration(model);
  const g = new Generator(1);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: prompt }, () => g.randint(shape.vocab)));
  // warm-up (first touch of the activations and cache), then one timed run: time to first
  // token from the stopping callback, which runs after every token
  await generate(gm, undefined, prompts, { maxNewTokens: 2, doSample: false, useCache: cache });
  let first = 0;
  const t0 = performance.now();
  const r = await generate(gm, undefined, prompts, {
    maxNewTokens: newTokens,
    doSample: false,
    useCache: cache,
    stoppingCallback: () => {
      if (first === 0) first = performance.now();
      return false;
    },
  });
  const end = performance.now();
  const ttftMs = first - t0;
  const produced = r.sequences.reduce((n, s) => n + s.ids.length, 0);
  const decodeSeconds = Math.max(1e-9, (end - first) / 1000);
  return {
    ttftMs,
    tokensPerS: (produced - batch) / decodeSeconds,
    params: model.numParameters(),
    bytes: bytesPerStep(model),
  };
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
  const weightsList = (flagValue(args, '--weights') ?? 'fp32,q8_0,q4_0').split(',') as Weights[];
  const readGb = readBandwidth();
  if (readGb !== null) {
    bench.summary['read bandwidth GB/s (before)'] = Math.round(readGb * 10) / 10;
    console.log(`read bandwidth (STREAM-like, 256 MB, ${bench.threads} thread(s)): ${readGb.toFixed(1)} GB/s`);
  }
  const prompt = 16;
  const backend = getDefaultBackend();
  if (bench.withPeer) bench.peerVersion('torch', pythonVersion('torch'));
  console.log(
    `backend ${backend.name}, ${bench.threads} thread(s); prompt ${prompt} tokens, ${newTokens} new tokens, greedy`,
  );
  const onlyShape = flagValue(args, '--shape');
  const onlyBatch = flagValue(args, '--batch');
  const shapes = SHAPES.filter((s) => (onlyShape === undefined ? !quick || s === SHAPES[1] : s.name === onlyShape));
  for (const shape of shapes) {
    for (const batch of onlyBatch === undefined ? [1, 8] : [Number(onlyBatch)]) {
      for (const cache of args.includes('--cache-only') ? [true] : [true, false]) {
        const n = cache ? newTokens : Math.max(4, Math.floor(newTokens / 4));
        const o = await ours(shape, batch, cache, prompt, n);
        const base = `${shape.name} batch ${batch} ${cache ? 'kv-cache' : 'no-cache'}`;
        if (batch === 1 && cache && readGb !== null) {
          const frac = (o.bytes * o.tokensPerS) / 1e9 / readGb;
          bench.summary[`${base} fp32 fraction of read bandwidth`] = Math.round(frac * 100) / 100;
        }
        for (const w of cache ? weightsList.filter((x) => x !== 'fp32') : []) {
          const q = await ours(shape, batch, cache, prompt, n, w);
          const gb = (q.bytes * (q.tokensPerS / batch)) / 1e9;
          bench.record({
            case: `${base} ${w}`,
            impl: `llmts-${backend.name}`,
            threads: bench.threads,
            ttftMs: Math.round(q.ttftMs * 10) / 10,
            tokensPerS: Math.round(q.tokensPerS * 10) / 10,
            gbPerS: Math.round(gb * 10) / 10,
          });
          bench.summary[`${base} ${w} vs llmts fp32`] = ratio(q.tokensPerS, o.tokensPerS);
          console.log(
            `${shape.name.padEnd(17)} batch ${String(batch).padStart(2)} kv-cache  llmts ${w} ${q.tokensPerS.toFixed(1).padStart(8)} tok/s` +
              ` (${gb.toFixed(1)} GB/s${batch === 1 && readGb !== null ? `, ${((100 * gb) / readGb).toFixed(0)}% of read bandwidth` : ''}; ${(q.tokensPerS / o.tokensPerS).toFixed(2)}x llmts fp32)`,
          );
        }
        // batch-1 decoding reads every weight once per step: bytes moved per second
        const gbPerS = (tps: number): number => Math.round(((o.bytes * (tps / batch)) / 1e9) * 10) / 10;
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
  // per-token overhead of small-model decoding: step time minus the time inside kernels
  {
    const shape = SHAPES[1]!;
    const prof = withProfiling(backend);
    setDefaultBackend(prof); // the session's inputs are created on the default backend
    const o = await ours(shape, 1, true, prompt, Math.max(newTokens, 64), 'fp32', prof);
    prof.reset();
    const o2 = await ours(shape, 1, true, prompt, Math.max(newTokens, 64), 'fp32', prof);
    setDefaultBackend(backend);
    const kernelMs = [...prof.stats.values()].reduce((a, s) => a + s.ms, 0);
    const steps = Math.max(newTokens, 64) + 1; // forward calls: the one-token warm-up, the prefill, the decode steps
    const stepUs = 1e6 / o2.tokensPerS;
    const kernelUs = (kernelMs * 1000) / steps;
    bench.summary['shakespeare-char batch 1 step us'] = Math.round(stepUs);
    bench.summary['shakespeare-char batch 1 kernel us per step'] = Math.round(kernelUs);
    bench.summary['shakespeare-char batch 1 overhead us per step'] = Math.round(stepUs - kernelUs);
    console.log(
      `shakespeare-char batch 1 kv-cache: ${stepUs.toFixed(0)} us per token, ${kernelUs.toFixed(0)} us in kernels, ` +
        `${(stepUs - kernelUs).toFixed(0)} us overhead (profiled run ${o.tokensPerS.toFixed(0)} tok/s)`,
    );
  }
  const readAfter = readBandwidth();
  if (readAfter !== null) {
    bench.summary['read bandwidth GB/s (after)'] = Math.round(readAfter * 10) / 10;
    console.log(`read bandwidth after: ${readAfter.toFixed(1)} GB/s`);
  }
  bench.finish();
}
