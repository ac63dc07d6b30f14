import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { ScalarHeadModel } from '../../src/models/heads.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { chatIds, encodePrompt } from '../../src/data/chat/encode.ts';
import { trainPpo, PPO_DEFAULTS } from '../../src/align/ppo.ts';
import type { PpoOptions } from '../../src/align/ppo.ts';
import { RewardScorer } from '../../src/align/shared/reward-scorer.ts';
import { buildSequenceBatch, selectRows } from '../../src/align/shared/batch.ts';
import { policyForward, rewardForward, valueForward } from '../../src/align/shared/forward.ts';
import { computeGae } from '../../src/align/shared/gae.ts';
import { maskedWhiten } from '../../src/align/shared/masked.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { cloneGpt } from '../../src/align/shared/setup.ts';

const tok = taskTokenizer(reviewsTask);
const template = new ChatTemplate(CHATML_FORMAT);
const ids = chatIds(tok, template);

function gpt(seed: number, dropout = 0): GPT {
  return new GPT(
    gptPreset('gpt2', {
      vocabSize: tok.vocabSize,
      blockSize: 48,
      nLayer: 1,
      nHead: 2,
      nEmbd: 32,
      dropout,
      attnDropout: dropout,
    }),
    { seed },
  );
}

function setup(over: Partial<PpoOptions> = {}): PpoOptions {
  const rm = new ScalarHeadModel(gpt(7), 'reward', 7);
  return {
    ...PPO_DEFAULTS,
    steps: 2,
    batchSize: 8,
    miniBatchSize: 4,
    microBatchSize: 2,
    ppoEpochs: 2,
    maxNewTokens: 6,
    lr: 1e-3,
    criticLr: 1e-3,
    evalEvery: 0,
    sampleEvery: 1,
    checkpointEvery: 0,
    targetKl: null,
    policy: gpt(1, 0.1),
    tokenizer: tok,
    format: CHATML_FORMAT,
    scorer: new RewardScorer(rm, { mean: 0.1, std: 2 }, ids.padId, ids.eosId),
    prompts: reviewsTask.prompts('train').slice(0, 12),
    evalPrompts: reviewsTask.prompts('eval').slice(0, 4),
    task: reviewsTask,
    runDir: mkdtempSync(join(tmpdir(), 'llmts-ppo-')),
    ...over,
  };
}

const snapshot = (m: { parameters(): { toArray(): number[] }[] }): number[][] => m.parameters().map((p) => p.toArray());
const changed = (a: number[][], b: number[][]): boolean => a.some((x, i) => x.some((v, j) => v !== b[i]![j]));

describe('PPO (four models)', () => {
  it('trains actor and critic, never the reference; the ratio is exactly 1 on the first minibatch; dropout is off', async () => {
    const o = setup();
    const sft = snapshot(o.policy);
    const r = await trainPpo(o);
    assert.deepEqual(snapshot(r.reference.model), sft, 'the reference equals the SFT model');
    assert.ok(changed(snapshot(r.actor), sft), 'the actor moved');
    const criticInit = new ScalarHeadModel(cloneGpt(o.scorer!.model.backbone), 'zero');
    assert.ok(changed(snapshot(r.critic), snapshot(criticInit)), 'the critic moved');
    assert.equal(r.algorithm.firstMinibatch!.ratioMaxDev, 0);
    assert.equal(r.actor.config.dropout, 0);
    assert.equal(
      r.reference.model.parameters().every((p) => !p.requiresGrad),
      true,
    );
    const records = readFileSync(join(o.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string>);
    const train = records.filter((x) => x['kind'] === 'train');
    assert.equal(train.length, 2);
    for (const rec of train) {
      assert.equal(rec['ratio_first'], 1);
      assert.equal(rec['ratio_first_max_dev'], 0, 'every token of the first minibatch has ratio exactly 1');
      for (const k of [
        'reward',
        'gold',
        'kl',
        'entropy',
        'approx_kl',
        'clip_frac',
        'value_loss',
        'explained_variance',
        'response_length',
        'eos_rate',
      ])
        assert.ok(typeof rec[k] === 'number' && Number.isFinite(rec[k]), k);
    }
  });

  it('shapes rewards as -beta * KL_t with the penalized score at the last token, then GAE and whitening', async () => {
    const o = setup({ klCoef: 0.3, steps: 1, missingEosPenalty: 0.7 });
    const r = await trainPpo(o);
    const e = r.algorithm.lastExperience!;
    const { B, R } = e.batch;
    const scored = o.scorer!.score(e.batch).normalized;
    for (let b = 0; b < B; b++) {
      const n = e.batch.responseLengths[b]!;
      const expectScore = scored[b]! - (e.batch.hasEos[b] ? 0 : 0.7);
      assert.ok(Math.abs(e.scores[b]! - expectScore) < 1e-5);
      for (let t = 0; t < n; t++) {
        const kl = e.oldLogprobs[b * R + t]! - e.refLogprobs[b * R + t]!;
        const want = -0.3 * kl + (t === n - 1 ? expectScore : 0);
        assert.ok(Math.abs(e.rewards[b * R + t]! - want) < 1e-5);
      }
      for (let t = n; t < R; t++) assert.equal(e.rewards[b * R + t], 0);
    }
    const gae = computeGae(e.rewards, e.values, e.batch.responseMask, B, R, o.gamma, o.lam);
    const adv = maskedWhiten(gae.advantages, e.batch.responseMask);
    adv.forEach((v, i) => assert.ok(Math.abs(v - e.advantages[i]!) < 1e-5));
    // the first step's policy is the reference: the rollout KL is 0
    e.oldLogprobs.forEach((v, i) => assert.ok(Math.abs(v - e.refLogprobs[i]!) < 1e-6));
  });

  it('log-probs, values and scores do not depend on batch padding', () => {
    const policy = gpt(3);
    const critic = new ScalarHeadModel(gpt(4), 'reward', 4);
    const prompts = reviewsTask
      .prompts('train')
      .slice(0, 3)
      .map((p) => encodePrompt(tok, template, p));
    const responses = [
      [tok.tokenToId('ĠThe') ?? 5, 20, 30, ids.eosId],
      [40, ids.eosId],
      [50, 60, 70, 80, 90, 100],
    ];
    const batch = buildSequenceBatch(prompts, responses, ids.padId, ids.eosId);
    const full = noGrad(() => ({
      lp: policyForward(policy, batch, 0.7, true),
      v: valueForward(critic, batch).toArray(),
      s: rewardForward(critic, batch).toArray(),
    }));
    const lp = full.lp.logprobs.toArray();
    const ent = full.lp.entropy!.toArray();
    for (let b = 0; b < 3; b++) {
      const alone = selectRows(batch, [b], ids.padId, ids.eosId);
      const a = noGrad(() => ({
        lp: policyForward(policy, alone, 0.7, true),
        v: valueForward(critic, alone).toArray(),
        s: rewardForward(critic, alone).toArray(),
      }));
      const alp = a.lp.logprobs.toArray();
      const aent = a.lp.entropy!.toArray();
      for (let t = 0; t < batch.responseLengths[b]!; t++) {
        assert.ok(Math.abs(lp[b * batch.R + t]! - alp[t]!) < 1e-5, `logprob ${b},${t}`);
        assert.ok(Math.abs(ent[b * batch.R + t]! - aent[t]!) < 1e-5, `entropy ${b},${t}`);
        assert.ok(Math.abs(full.v[b * batch.R + t]! - a.v[t]!) < 1e-5, `value ${b},${t}`);
      }
      assert.ok(Math.abs(full.s[b]! - a.s[0]!) < 1e-5, `score ${b}`);
    }
  });

  it('log-probs are those of the temperature-scaled distribution', () => {
    const policy = gpt(5);
    const batch = buildSequenceBatch([[1, 2, 3]], [[4, 5, ids.eosId]], ids.padId, ids.eosId);
    const lp = noGrad(() => policyForward(policy, batch, 0.5).logprobs.toArray());
    const logits = noGrad(() => policy.forward(buildTensor(batch.ids, 6)).logits!.toArray());
    const V = policy.config.vocabSize;
    for (let t = 0; t < 3; t++) {
      const row = logits.slice((2 + t) * V, (3 + t) * V).map((x) => x / 0.5);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
      assert.ok(Math.abs(lp[t]! - (row[batch.ids[3 + t]!]! - lse)) < 1e-4);
    }
  });

  it('adapts beta toward the KL target', async () => {
    const r = await trainPpo(setup({ klTarget: 0.001, klHorizon: 100, klCoef: 0.1, steps: 2 }));
    assert.ok(r.algorithm.kl.value !== 0.1);
  });

  it('resumes exactly from a checkpoint', async () => {
    const a = setup({ steps: 3 });
    await trainPpo(a);
    const b = setup({ steps: 3, checkpointEvery: 2, runDir: mkdtempSync(join(tmpdir(), 'llmts-ppo-')) });
    await trainPpo({
      ...b,
      onStep: (rec) => {
        if (rec['step'] === 2) throw new Error('interrupt');
      },
    }).catch((e: Error) => assert.equal(e.message, 'interrupt'));
    const resumed = await trainPpo({ ...b, resume: true });
    const read = (dir: string): string[] =>
      readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const r = JSON.parse(l) as Record<string, unknown>;
          delete r['ms'];
          return JSON.stringify(r);
        });
    assert.deepEqual(read(b.runDir), read(a.runDir));
    assert.equal(resumed.loop.steps, 3);
  });
});

function buildTensor(data: Int32Array, L: number): ReturnType<typeof tensor> {
  return tensor(data, { shape: [1, L], dtype: 'int32' });
}

describe('PPO-ptx', () => {
  it('adds gamma x the pretraining NLL to the actor loss and logs it; refuses a coefficient without text', async () => {
    const { Generator } = await import('../../src/core/random.ts');
    const texts = reviewsTask.corpus(new Generator(1), 64);
    const o = setup({ steps: 1, ptxCoef: 0.5, ptxTexts: texts });
    const r = await trainPpo(o);
    const rec = r.loop.records.find((x) => x['kind'] === 'train')!;
    const ptx = rec['ptx_loss'] as number;
    // an untrained model's NLL is near ln(vocab)
    assert.ok(Number.isFinite(ptx) && Math.abs(ptx - Math.log(tok.vocabSize)) < 1.5, `ptx_loss ${ptx}`);
    const plain = await trainPpo(setup({ steps: 1 }));
    assert.equal(plain.loop.records.find((x) => x['kind'] === 'train')!['ptx_loss'], undefined);
    await assert.rejects(trainPpo(setup({ steps: 1, ptxCoef: 0.5 })), /pretraining text/);
  });
});
