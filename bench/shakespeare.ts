/**
 * `npm run bench -- shakespeare [--data PATH] [--iters N] [--json] [--no-peer] [--threads N] [--peer-threads A,B]
 *  [--backend native|wasm|reference]`
 *
 * nanoGPT's config/train_shakespeare_char.py with its README's CPU overrides, in llmts and,
 * in the same run, in PyTorch (bench/peers/torch_gpt.py, nanoGPT's model and loop):
 * character level, 90/10 split, block 64, batch 12, 4 layers, 4 heads, 128 wide, no bias,
 * dropout 0, AdamW lr 1e-3 (beta2 0.99, weight decay 0.1), warmup 100, cosine to 1e-4 at 2000,
 * grad clip 1.0, 2000 iterations, evaluations of 20 batches. --iters shortens the run with the
 * schedule unchanged. Prints ms/iter (median), tokens/s, peak RSS, the validation loss at
 * 500/1000/2000 and the throughput ratio to PyTorch, at llmts's thread count and at PyTorch's best. --profile adds a 60-step profiled run that
 * splits a step's time into matmul, attention, norms, elementwise, optimizer and the
 * TypeScript between kernels.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDataset } from '../src/data/prepare.ts';
import { defaultPretrainConfig, pretrain } from '../src/train/pretrain.ts';
import { getDefaultBackend, setDefaultBackend } from '../src/backends/select.ts';
import { groupTimes, withProfiling } from '../src/backends/profile.ts';
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

const flag = flagValue;

export async function main(args: string[]): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const data = resolve(flag(args, '--data') ?? join(here, '..', '..', 'shared', 'data', 'tinyshakespeare.txt'));
  if (!existsSync(data)) throw new Error(`no corpus at ${data}; pass --data PATH to tinyshakespeare.txt`);
  const iters = Number(flag(args, '--iters') ?? 2000);
  // --backend wasm: the same run on the WebAssembly backend (as LLMTS_BACKEND=wasm)
  const backendFlag = flag(args, '--backend');
  if (backendFlag !== undefined) {
    if (!['reference', 'native', 'wasm'].includes(backendFlag))
      throw new Error(`--backend must be native, wasm or reference, got "${backendFlag}"`);
    setDefaultBackend(backendFlag as 'reference' | 'native' | 'wasm');
  }
  const bench = startBench(backendFlag === 'wasm' ? 'shakespeare-wasm' : 'shakespeare', args);
  const evalAt = [500, 1000, 2000].filter((i) => i <= iters);
  if (!evalAt.includes(iters)) evalAt.push(iters);
  const backend = getDefaultBackend();
  backend.setThreads?.(bench.threads); // the wasm backend is not among those startBench sets
  const work = mkdtempSync(join(tmpdir(), 'llmts-shakespeare-'));
  try {
    await prepareDataset({ inputs: [data], out: join(work, 'data'), char: true, quiet: true });
    const evals: Record<string, number> = {};
    const config = defaultPretrainConfig({
      data: join(work, 'data'),
      runDir: join(work, 'run'),
      steps: iters,
      decaySteps: 2000,
      evalEvery: 250,
      evalBatches: 20,
      checkpointEvery: 0,
      seed: 1337,
    });
    console.log(`llmts (${backend.name}, ${backend.threads} threads): ${iters} iterations of nanoGPT shakespeare-char`);
    const r = await pretrain({
      ...config,
      onStep: () => undefined,
    });
    // the eval records: validation loss at the requested iterations
    const { MetricsLog } = await import('../src/train/metrics.ts');
    for (const rec of new MetricsLog(join(work, 'run', 'metrics.jsonl')).read()) {
      if (rec['kind'] === 'eval' && typeof rec['step'] === 'number' && evalAt.includes(rec['step']))
        evals[String(rec['step'])] = rec['loss'] as number;
    }
    const rssMb = process.resourceUsage().maxRSS / 1024;
    const ours = {
      iters: r.result.steps,
      val_loss: evals[String(iters)] ?? null,
      train_loss: r.result.finalTrainLoss,
      ms_per_iter: r.result.msPerStep,
      tokens_per_s: (12 * 64) / (r.result.msPerStep / 1000),
      peak_rss_mb: rssMb,
      evals,
    };
    interface PeerResult {
      ms_per_iter: number;
      tokens_per_s: number;
      val_loss: number | null;
      evals: Record<string, number>;
      threads: number;
    }
    const cfg = {
      bench: 'shakespeare',
      data,
      iters,
      eval_at: evalAt,
      batch_size: 12,
      block_size: 64,
      n_layer: 4,
      n_head: 4,
      n_embd: 128,
    };
    if (bench.withPeer) bench.peerVersion('torch', pythonVersion('torch'));
    const peer = await peerAtThreads(
      bench,
      (t) => {
        console.log(`PyTorch peer (nanoGPT's model and loop, ${t} thread(s))...`);
        return runPythonPeer<PeerResult>(join(BENCH_DIR, 'peers', 'torch_gpt.py'), cfg, t);
      },
      (r) => r.ms_per_iter,
      'lower',
    );
    const fmt = (e: Record<string, number | null | undefined>): string =>
      evalAt.map((i) => `${i}: ${e[String(i)]?.toFixed(4) ?? '-'}`).join(', ');
    console.log(
      `llmts   ${bench.threads}t: ${ours.ms_per_iter.toFixed(1)} ms/iter (median), ${Math.round(ours.tokens_per_s)} tokens/s, peak RSS ${ours.peak_rss_mb.toFixed(0)} MB; val loss ${fmt(ours.evals)}` +
        versus(peer, ours.ms_per_iter, (r) => r.ms_per_iter, 'PyTorch', 'lower'),
    );
    bench.record({
      impl: `llmts-${backend.name}`,
      threads: bench.threads,
      iters: ours.iters,
      msPerIter: ours.ms_per_iter,
      tokensPerS: ours.tokens_per_s,
      valLoss: ours.val_loss,
      trainLoss: ours.train_loss,
      peakRssMb: Math.round(ours.peak_rss_mb),
      evals: JSON.stringify(ours.evals),
    });
    for (const pt of peer.all) {
      const r = pt.result;
      console.log(
        `pytorch ${pt.threads}t: ${r.ms_per_iter.toFixed(1)} ms/iter (median), ${Math.round(r.tokens_per_s)} tokens/s; val loss ${fmt(r.evals)}${pt === peer.best && peer.all.length > 1 ? '  (best)' : ''}`,
      );
      bench.record({
        impl: 'pytorch',
        threads: pt.threads,
        iters,
        msPerIter: r.ms_per_iter,
        tokensPerS: r.tokens_per_s,
        valLoss: r.val_loss,
        evals: JSON.stringify(r.evals),
        best: pt === peer.best,
      });
    }
    if (peer.atLlmts)
      bench.summary[`speed vs PyTorch at ${peer.atLlmts.threads}t`] = ratio(
        peer.atLlmts.result.ms_per_iter,
        ours.ms_per_iter,
      );
    if (peer.best)
      bench.summary[`speed vs PyTorch best (${peer.best.threads}t)`] = ratio(
        peer.best.result.ms_per_iter,
        ours.ms_per_iter,
      );
    bench.summary['llmts val loss'] = ours.val_loss;
    bench.summary['pytorch val loss (best run)'] = peer.best?.result.val_loss ?? null;
    if (args.includes('--profile')) await profile(work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  bench.finish();
}

/** Where a training step's time goes: kernels by group, and the rest (op dispatch, autograd, data). */
async function profile(work: string): Promise<void> {
  const inner = getDefaultBackend();
  const profiler = withProfiling(inner);
  setDefaultBackend(profiler);
  try {
    const steps = 60;
    const warm = 10;
    const times: number[] = [];
    let groups: Record<string, number> = {};
    await pretrain({
      ...defaultPretrainConfig({
        data: join(work, 'data'),
        runDir: join(work, 'profile'),
        steps,
        decaySteps: 2000,
        evalEvery: 0,
        checkpointEvery: 0,
        seed: 1,
      }),
      onStep: (r) => {
        const step = r['step'] as number;
        if (step === warm - 1) profiler.reset();
        if (step >= warm) times.push(r['ms'] as number);
        if (step === steps - 1) groups = groupTimes(profiler.stats); // before the closing evaluation
      },
    });
    const n = times.length;
    const total = times.reduce((a, b) => a + b, 0) / n;
    let kernels = 0;
    console.log(
      `where a step's ${total.toFixed(1)} ms go (mean of ${n} steps, ${inner.name}, ${inner.threads} threads):`,
    );
    for (const [group, ms] of Object.entries(groups)) {
      const per = ms / n;
      kernels += per;
      console.log(
        `  ${group.padEnd(24)} ${per.toFixed(2).padStart(7)} ms  ${((per / total) * 100).toFixed(1).padStart(5)}%`,
      );
    }
    const rest = Math.max(0, total - kernels);
    console.log(
      `  ${'TypeScript + data'.padEnd(24)} ${rest.toFixed(2).padStart(7)} ms  ${((rest / total) * 100).toFixed(1).padStart(5)}%  (op dispatch, autograd, allocation, batches)`,
    );
  } finally {
    setDefaultBackend(inner);
  }
}
