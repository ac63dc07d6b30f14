/**
 * `npm run bench -- rlhf [--batch N] [--epochs N] [--repeats N] [--no-peer] [--peer-threads N]`
 *
 * One PPO update (the part of a PPO step that trains: several epochs over shuffled
 * minibatches, actor + separate critic, clipped losses, clipping, Adam) on a fixed rollout of
 * random tokens, in llmts (PpoAlgorithm.update) and in PyTorch (bench/peers/torch_ppo.py, the
 * same computation as TRL), same model shape (the end-to-end test's: 2 layers, 64 wide, the task tokenizer's vocabulary),
 * same batch. Also times the rest of a PPO step in llmts: the rollout (sampling with a KV
 * cache) and scoring (old/reference log-probs, values, RM scores). Prints ms and the ratio.
 * PyTorch runs single-threaded by default (faster than 2 threads on models this small here).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { reviewsTask } from '../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../src/align/tasks/tokenizer.ts';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export async function main(args: string[]): Promise<void> {
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
    cloneGpt(policy),
    new ScalarHeadModel(cloneGpt(rm.backbone), 'zero'),
    new RewardScorer(rm, { mean: 0, std: 1 }, ids.padId, ids.eosId),
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
  const collected = alg.collect(Array.from({ length: B }, (_, i) => i % reviewsTask.prompts('train').length));
  const collectMs = performance.now() - t0;
  console.log(
    `llmts rollout (${collected.exp.batch.R} new tokens max, KV cache) + scoring (actor, reference, critic, RM): ${collectMs.toFixed(0)} ms`,
  );

  const here = dirname(fileURLToPath(import.meta.url));
  if (!args.includes('--no-peer') && existsSync('/usr/bin/python3')) {
    const env = { ...process.env };
    delete env['OPENBLAS_CORETYPE'];
    delete env['OPENBLAS_L2_SIZE'];
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
      threads: flag(args, '--peer-threads', 1),
    };
    const r = spawnSync('/usr/bin/python3', [join(here, 'peers', 'torch_ppo.py'), JSON.stringify(cfg)], {
      env,
      encoding: 'utf8',
      cwd: mkdtempSync(join(tmpdir(), 'llmts-ppo-bench-')),
    });
    if (r.status !== 0) {
      console.log(`PyTorch peer failed: ${r.stderr.trim().split('\n').pop()}`);
      return;
    }
    const peer = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms_per_update: number; threads: number };
    console.log(`PyTorch (${peer.threads} threads): ${peer.ms_per_update.toFixed(0)} ms`);
    console.log(`ratio llmts / PyTorch: ${(ours / peer.ms_per_update).toFixed(2)}x the time`);
  }
}
