/**
 * `npm run bench -- rlhf [--batch N] [--epochs N] [--repeats N] [--no-peer] [--threads N] [--peer-threads A,B] [--json]`
 *
 * One PPO update (the part of a PPO step that trains: several epochs over shuffled
 * minibatches, actor + separate critic, clipped losses, clipping, Adam) on a fixed rollout of
 * random tokens, in llmts (PpoAlgorithm.update) and in PyTorch (bench/peers/torch_ppo.py, the
 * same computation as TRL), same model shape (the end-to-end test's: 2 layers, 64 wide, the task tokenizer's vocabulary),
 * same batch. Also times the rest of a PPO step in llmts: the rollout (sampling with a KV
 * cache) and scoring (old/reference log-probs, values, RM scores). Prints ms and the ratio.
 * PyTorch runs at llmts's thread count and at each count from 1 to the cores; both ratios are printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDefaultBackend } from '../src/backends/select.ts';
import { Generator } from '../src/core/random.ts';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { ScalarHeadModel } from '../src/models/heads.ts';
import { CHATML_FORMAT, ChatTemplate } from '../src/data/chat/template.ts';
import { chatIds } from '../src/data/chat/encode.ts';
import { PpoAlgorithm, PPO_DEFAULTS } from '../src/align/ppo.ts';
import type { Experience } from '../src/align/ppo.ts';
import { buildSequenceBatch } from '../src/align/shared/batch.ts';
import { RewardScorer } from '../src/align/shared/reward-scorer.ts';
import { cloneGpt } from '../src/align/shared/setup.ts';
import { ReferenceModel } from '../src/align/shared/lora.ts';
import { reviewsTask } from '../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../src/align/tasks/tokenizer.ts';
import { BENCH_DIR, peerAtThreads, pythonVersion, ratio, runPythonPeer, startBench, versus } from './lib/harness.ts';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('rlhf', args);
  const B = flag(args, '--batch', 64);
  const epochs = flag(args, '--epochs', 4);
  const repeats = flag(args, '--repeats', 3);
  const P = 16;
  const R = 16;
  const tokenizer = taskTokenizer(reviewsTask);
  const vocab = tokenizer.vocabSize;
  const shape = { vocabSize: vocab, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 64, dropout: 0, attnDropout: 0 };
  const backend = getDefaultBackend();
  const ids = chatIds(tokenizer, new ChatTemplate(CHATML_FORMAT));
  const policy = new GPT(gptPreset('gpt2', shape), { seed: 1 });
  const rm = new ScalarHeadModel(new GPT(gptPreset('gpt2', shape), { seed: 2 }), 'reward', 2);
  const h = {
    ...PPO_DEFAULTS,
    batchSize: B,
    miniBatchSize: 16,
    microBatchSize: 16,
    ppoEpochs: epochs,
    targetKl: null,
    maxNewTokens: R,
  };
  const alg = new PpoAlgorithm(
    cloneGpt(policy),
    ReferenceModel.copyOf(policy),
    new ScalarHeadModel(cloneGpt(rm.backbone), 'zero'),
    { model: new RewardScorer(rm, { mean: 0, std: 1 }, ids.padId, ids.eosId), functions: [] },
    tokenizer,
    ids,
    reviewsTask.prompts('train'),
    new ChatTemplate(CHATML_FORMAT),
    h,
    reviewsTask,
  );

  // a fixed rollout of random tokens (no EOS: every response is R tokens, as in the peer)
  const g = new Generator(0);
  const rand = (n: number): number[] => Array.from({ length: n }, () => 10 + g.randint(vocab - 10));
  const batch = buildSequenceBatch(
    Array.from({ length: B }, () => rand(P)),
    Array.from({ length: B }, () => rand(R)),
    ids.padId,
    ids.eosId,
  );
  const normal = (): Float32Array => Float32Array.from({ length: B * R }, () => g.normal());
  const exp: Experience = {
    batch,
    oldLogprobs: new Float32Array(B * R).fill(-7),
    refLogprobs: new Float32Array(B * R).fill(-7),
    values: normal(),
    rewards: normal(),
    scores: new Float32Array(B),
    advantages: normal(),
    returns: normal(),
    firstEpochOrder: Array.from({ length: B }, (_, i) => i),
  };
  alg.update(exp, 1); // warm up
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    alg.update(exp, 1);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const ours = times[Math.floor(times.length / 2)]!;
  console.log(
    `llmts (${backend.name}, ${backend.threads} threads): PPO update, ${B} episodes x ${P}+${R} tokens, ${epochs} epochs of minibatch 16: ${ours.toFixed(0)} ms`,
  );

  // the rest of a step: rollout and scoring
  const t0 = performance.now();
  const collected = await alg.collect(Array.from({ length: B }, (_, i) => i % reviewsTask.prompts('train').length));
  const collectMs = performance.now() - t0;
  console.log(
    `llmts rollout (${collected.exp.batch.R} new tokens max, KV cache) + scoring (actor, reference, critic, RM): ${collectMs.toFixed(0)} ms`,
  );

  bench.record({ part: 'ppo-update', impl: `llmts-${backend.name}`, threads: bench.threads, ms: Math.round(ours) });
  bench.record({
    part: 'rollout+scoring',
    impl: `llmts-${backend.name}`,
    threads: bench.threads,
    ms: Math.round(collectMs),
  });

  const cfg = {
    vocab,
    block: 64,
    n_layer: 2,
    n_head: 2,
    n_embd: 64,
    batch: B,
    prompt: P,
    response: R,
    temperature: 1,
    epochs,
    minibatch: 16,
    repeats,
  };
  if (bench.withPeer) bench.peerVersion('torch', pythonVersion('torch'));
  const peer = await peerAtThreads(
    bench,
    (t) =>
      runPythonPeer<{ ms_per_update: number; threads: number }>(join(BENCH_DIR, 'peers', 'torch_ppo.py'), cfg, t, {
        cwd: mkdtempSync(join(tmpdir(), 'llmts-ppo-bench-')),
      }),
    (r) => r.ms_per_update,
    'lower',
  );
  for (const pt of peer.all) {
    console.log(
      `PyTorch ${pt.threads}t: PPO update ${pt.result.ms_per_update.toFixed(0)} ms${pt === peer.best && peer.all.length > 1 ? '  (best)' : ''}`,
    );
    bench.record({
      part: 'ppo-update',
      impl: 'pytorch',
      threads: pt.threads,
      ms: Math.round(pt.result.ms_per_update),
      best: pt === peer.best,
    });
  }
  console.log(
    `llmts PPO update ${ours.toFixed(0)} ms${versus(peer, ours, (r) => r.ms_per_update, 'PyTorch', 'lower')}`,
  );
  if (peer.atLlmts)
    bench.summary[`speed vs PyTorch at ${peer.atLlmts.threads}t`] = ratio(peer.atLlmts.result.ms_per_update, ours);
  if (peer.best)
    bench.summary[`speed vs PyTorch best (${peer.best.threads}t)`] = ratio(peer.best.result.ms_per_update, ours);
  bench.finish();
}
