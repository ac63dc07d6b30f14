import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { ScalarHeadModel } from '../../src/models/heads.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { chatIds } from '../../src/data/chat/encode.ts';
import {
  groupAdvantages,
  lossWeights,
  rlooAdvantages,
  trainGrpo,
  trainRloo,
  GRPO_DEFAULTS,
  RLOO_DEFAULTS,
} from '../../src/align/grpo.ts';
import { clippedPolicyLoss } from '../../src/align/shared/ppo-loss.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { RewardScorer } from '../../src/align/shared/reward-scorer.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';

describe('GRPO advantages', () => {
  it('normalize each group by its mean and (unbiased) std', () => {
    const s = [1, 2, 3, 10, 10, 10];
    const { advantages, zeroStdFraction } = groupAdvantages(s, 3, 'group');
    const std = Math.sqrt(((1 - 2) ** 2 + 0 + (3 - 2) ** 2) / 2);
    assert.deepEqual(
      Array.from(advantages)
        .slice(0, 3)
        .map((x) => +x.toFixed(5)),
      [-1 / (std + 1e-4), 0, 1 / (std + 1e-4)].map((x) => +x.toFixed(5)),
    );
    assert.deepEqual(Array.from(advantages).slice(3), [0, 0, 0]); // a group that agrees teaches nothing
    assert.equal(zeroStdFraction, 0.5);
  });

  it('can scale by the batch std or not at all (Dr. GRPO)', () => {
    const s = [1, 3, 0, 4];
    const none = groupAdvantages(s, 2, 'none').advantages;
    assert.deepEqual(Array.from(none), [-1, 1, -2, 2]);
    const batch = groupAdvantages(s, 2, 'batch').advantages;
    const m = 2;
    const std = Math.sqrt(s.reduce((a, x) => a + (x - m) ** 2, 0) / 3);
    batch.forEach((v, i) => assert.ok(Math.abs(v - none[i]! / (std + 1e-4)) < 1e-6));
    assert.throws(() => groupAdvantages([1, 2, 3], 2, 'group'), /groups of 2/);
  });
});

describe('GRPO options and RLOO (hand-computed)', () => {
  it('RLOO: each reward minus the mean of the other k - 1 of its prompt', () => {
    const a = Array.from(rlooAdvantages([1, 2, 6, 0, 4, 2], 3).advantages);
    assert.deepEqual(a, [1 - 8 / 2, 2 - 7 / 2, 6 - 3 / 2, 0 - 6 / 2, 4 - 2 / 2, 2 - 4 / 2]);
    assert.throws(() => rlooAdvantages([1, 2, 3], 1), /groups/);
  });

  it('clip-higher: with A > 0 the ratio is clipped at 1 + epsilonHigh instead of 1 + eps', () => {
    const lp = tensor(Float32Array.of(Math.log(1.25), Math.log(0.7)), { shape: [2] });
    const old = tensor(Float32Array.of(0, 0), { shape: [2] });
    const adv = tensor(Float32Array.of(2, -1), { shape: [2] });
    const mask = tensor(Float32Array.of(1, 1), { shape: [2] });
    // token 0: A = 2, ratio 1.25 -> clipped at 1.2 (eps 0.2) or not at all (eps_high 0.28)
    // token 1: A = -1, ratio 0.7 -> max(0.7, clip(0.7, 0.8, .)) = 0.8 (pessimistic)
    const sym = clippedPolicyLoss(lp, old, adv, mask, { clipEps: 0.2 }).loss.item();
    const high = clippedPolicyLoss(lp, old, adv, mask, { clipEps: 0.2, clipEpsHigh: 0.28 }).loss.item();
    assert.ok(Math.abs(sym - (-2 * 1.2 + 1 * 0.8) / 2) < 1e-6, `${sym}`);
    assert.ok(Math.abs(high - (-2 * 1.25 + 1 * 0.8) / 2) < 1e-6, `${high}`);
  });

  it('loss aggregation: grpo, token (DAPO), dr_grpo, sequence (RLOO); truncated answers masked out', () => {
    // 2 answers of 3 and 1 tokens in a [2, 3] layout; the minibatch has 4 rows, 10 tokens, maxNewTokens 5
    const mask = [1, 1, 1, 1, 0, 0];
    const o = { sequences: 4, tokens: 10, maxNewTokens: 5, minibatchRows: 4 };
    const w = (type: 'grpo' | 'token' | 'dr_grpo' | 'sequence', inLoss = [true, true]): number[] =>
      Array.from(lossWeights(mask, 2, 3, inLoss, { ...o, type })).map((x) => +x.toFixed(6));
    assert.deepEqual(
      w('grpo'),
      [1 / 12, 1 / 12, 1 / 12, 1 / 4, 0, 0].map((x) => +x.toFixed(6)),
    );
    assert.deepEqual(w('token'), [0.1, 0.1, 0.1, 0.1, 0, 0]);
    assert.deepEqual(w('dr_grpo'), [0.05, 0.05, 0.05, 0.05, 0, 0]);
    assert.deepEqual(w('sequence'), [0.25, 0.25, 0.25, 0.25, 0, 0]);
    assert.deepEqual(w('token', [false, true]), [0, 0, 0, 0.1, 0, 0]);
  });
});

describe('GRPO training', () => {
  it('trains the policy, never the reference, with the ratio exactly 1 on the first minibatch', async () => {
    const tok = taskTokenizer(reviewsTask);
    const ids = chatIds(tok, new ChatTemplate(CHATML_FORMAT));
    const gpt = (seed: number): GPT =>
      new GPT(
        gptPreset('gpt2', {
          vocabSize: tok.vocabSize,
          blockSize: 48,
          nLayer: 1,
          nHead: 2,
          nEmbd: 32,
          dropout: 0,
          attnDropout: 0,
        }),
        { seed },
      );
    const policy = gpt(1);
    const before = policy.parameters().map((p) => p.toArray());
    const runDir = mkdtempSync(join(tmpdir(), 'llmts-grpo-'));
    const r = await trainGrpo({
      ...GRPO_DEFAULTS,
      steps: 2,
      promptsPerStep: 3,
      groupSize: 4,
      miniBatchSize: 6,
      microBatchSize: 3,
      numIterations: 2,
      maxNewTokens: 6,
      lr: 1e-3,
      evalEvery: 0,
      sampleEvery: 1,
      checkpointEvery: 0,
      policy,
      tokenizer: tok,
      format: CHATML_FORMAT,
      scorer: new RewardScorer(new ScalarHeadModel(gpt(7), 'reward', 7), { mean: 0, std: 1 }, ids.padId, ids.eosId),
      prompts: reviewsTask.prompts('train').slice(0, 6),
      evalPrompts: [],
      task: reviewsTask,
      runDir,
    });
    assert.deepEqual(
      r.reference.model.parameters().map((p) => p.toArray()),
      before,
    );
    assert.ok(r.policy.parameters().some((p, i) => p.toArray().some((v, j) => v !== before[i]![j])));
    const train = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string>)
      .filter((x) => x['kind'] === 'train');
    assert.equal(train.length, 2);
    for (const rec of train) {
      assert.equal(rec['ratio_first_max_dev'], 0);
      for (const k of [
        'reward',
        'gold',
        'reward_std',
        'kl',
        'kl_loss',
        'entropy',
        'clip_frac',
        'response_length',
        'eos_rate',
      ])
        assert.ok(typeof rec[k] === 'number' && Number.isFinite(rec[k]), k);
    }
  });

  for (const [name, run, extra] of [
    ['GRPO with clip-higher and Dr. GRPO', trainGrpo, { epsilonHigh: 0.28, lossType: 'dr_grpo', scaleRewards: 'none' }],
    ['GRPO masking truncated answers (all of them: nothing moves)', trainGrpo, { maskTruncatedCompletions: true }],
    ['RLOO', trainRloo, RLOO_DEFAULTS],
  ] as const) {
    it(`${name}: trains end to end on the reviews task`, async () => {
      const tok = taskTokenizer(reviewsTask);
      const ids = chatIds(tok, new ChatTemplate(CHATML_FORMAT));
      const gpt = (seed: number): GPT =>
        new GPT(
          gptPreset('gpt2', { vocabSize: tok.vocabSize, blockSize: 48, nLayer: 1, nHead: 2, nEmbd: 32, dropout: 0 }),
          { seed },
        );
      const policy = gpt(1);
      const before = policy.parameters().map((p) => p.toArray());
      const r = await (run as typeof trainGrpo)({
        ...GRPO_DEFAULTS,
        ...(extra as Partial<typeof GRPO_DEFAULTS>),
        steps: 2,
        promptsPerStep: 2,
        groupSize: 3,
        miniBatchSize: 6,
        microBatchSize: 6,
        maxNewTokens: 5,
        lr: 1e-3,
        evalEvery: 0,
        sampleEvery: 0,
        checkpointEvery: 0,
        policy,
        tokenizer: tok,
        format: CHATML_FORMAT,
        scorer: new RewardScorer(new ScalarHeadModel(gpt(7), 'reward', 7), { mean: 0, std: 1 }, ids.padId, ids.eosId),
        prompts: reviewsTask.prompts('train').slice(0, 4),
        evalPrompts: [],
        task: reviewsTask,
        runDir: mkdtempSync(join(tmpdir(), 'llmts-grpo-opts-')),
      });
      const moved = r.policy.parameters().some((p, i) => p.toArray().some((v, j) => v !== before[i]![j]));
      if (name.startsWith('GRPO masking')) {
        // an untrained model never says EOS within 5 tokens: every answer is truncated, so no gradient
        assert.ok(r.loop.records.filter((x) => x['kind'] === 'train').every((x) => x['eos_rate'] === 0));
        assert.ok(!moved);
      } else assert.ok(moved);
      assert.equal(r.loop.steps, 2);
    });
  }
});
