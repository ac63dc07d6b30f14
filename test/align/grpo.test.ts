import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { ScalarHeadModel } from '../../src/models/heads.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { chatIds } from '../../src/data/chat/encode.ts';
import { groupAdvantages, trainGrpo, GRPO_DEFAULTS } from '../../src/align/grpo.ts';
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
});
