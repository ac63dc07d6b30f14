/**
 * Reward functions (TRL's reward_funcs): modules loaded by path (default, named and array
 * exports, weights), the weighted sum with the reward model, the arithmetic task's verifier,
 * and `llmts grpo` trained on a reward function alone (no reward model).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRewardModule, scoreRollout } from '../../src/align/shared/reward-functions.ts';
import { resolveRewardFunctions } from '../../src/align/online-inputs.ts';
import { buildSequenceBatch } from '../../src/align/shared/batch.ts';
import { arithmeticReward, arithmeticTask, answerOf, operands } from '../../src/align/tasks/arithmetic.ts';
import { taskSftConversations } from '../../src/align/tasks/datasets.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import { trainSft, SFT_DEFAULTS } from '../../src/align/sft.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { runLlmts } from '../helpers/cli.ts';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'align', 'rewards.mjs');

describe('reward functions', () => {
  it('load by path: default export, #named export, =weight, and a rewards array', async () => {
    const [d] = await loadRewardModule(fixture);
    assert.equal(d!.name, 'rewards');
    assert.equal(d!.weight, 1);
    assert.equal(await d!.fn('p', 'Sure! ok', {}), 1);
    const [b] = await loadRewardModule(`${fixture}#brevity=0.5`);
    assert.equal(b!.name, 'brevity');
    assert.equal(b!.weight, 0.5);
    assert.equal(await b!.fn('p', '0123456789', {}), -1);
    const arr = await loadRewardModule(`${fixture}#rewards`);
    assert.deepEqual(
      arr.map((r) => r.name),
      ['rewards.polite', 'rewards.brevity'],
    );
    await assert.rejects(loadRewardModule(join(import.meta.dirname, 'nope.mjs')), /not found/);
    await assert.rejects(loadRewardModule(`${fixture}#missing`), /not a function/);
  });

  it('the score is the weighted sum of the components; each is reported; the record reaches the function', async () => {
    const batch = buildSequenceBatch(
      [[1], [1]],
      [
        [5, 2],
        [6, 7, 2],
      ],
      0,
      2,
    );
    const [polite] = await loadRewardModule(fixture);
    const [brevity] = await loadRewardModule(`${fixture}#brevity=0.5`);
    const [ex] = await loadRewardModule(`${fixture}#fromExample=2`);
    const s = await scoreRollout(
      { model: null, functions: [polite!, brevity!, ex!] },
      batch,
      [[{ role: 'user', content: 'a' }], [{ role: 'user', content: 'b' }]],
      ['Sure! yes', 'no'],
      [{ bonus: 3 }, {}],
    );
    assert.deepEqual(Array.from(s.components['rewards']!), [1, 0]);
    assert.deepEqual(Array.from(s.components['fromExample']!), [3, 0]);
    const expected = [1 + 0.5 * -0.9 + 2 * 3, 0 + 0.5 * -0.2 + 0];
    s.total.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${v} vs ${expected[i]}`));
  });

  it('arithmetic: the verifier reads the operands and the answer after the last "="', async () => {
    assert.deepEqual(operands('What is 3 7 + 4 8 ?'), [37, 48]);
    assert.equal(answerOf('3 7 + 4 8 = 8 5'), 85);
    assert.equal(answerOf('3 7 + 4 8 = 8 5 and more'), null);
    assert.equal(arithmeticReward('What is 3 7 + 4 8 ?', '3 7 + 4 8 = 8 5'), 1);
    assert.equal(arithmeticReward('What is 3 7 + 4 8 ?', '3 7 + 4 8 = 7 5'), 0);
    assert.equal(arithmeticReward('What is 3 7 + 4 8 ?', '85'), 0);
    const p = [{ role: 'user' as const, content: 'What is 9 9 + 1 0 ?' }];
    assert.equal(arithmeticTask.gold(p, '9 9 + 1 0 = 1 0 9', true), 1);
    assert.equal(arithmeticTask.gold(p, '9 9 + 1 0 = 1 0 9', false), 0, 'an unfinished answer gets nothing');
    // held-out problems never appear in training; demonstrations are right about 3 times in 4
    const train = new Set(arithmeticTask.prompts('train').map((q) => q[0]!.content));
    const evalSet = arithmeticTask.prompts('eval').map((q) => q[0]!.content);
    assert.ok(evalSet.length > 150 && evalSet.every((q) => !train.has(q)));
    const demos = taskSftConversations(arithmeticTask, 2000, 1);
    const right = demos.filter((c) => arithmeticTask.gold(c.slice(0, 1), c[1]!.content, true) === 1).length / 2000;
    assert.ok(right > 0.72 && right < 0.78, `demonstrations right ${right}`);
    const [task] = await resolveRewardFunctions('task:arithmetic=2');
    assert.equal(task!.weight, 2);
    assert.equal(await task!.fn('What is 1 0 + 1 0 ?', '1 0 + 1 0 = 2 0', {}), 1);
  });
});

describe('llmts grpo with a reward function and no reward model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-reward-fn-'));
  before(async () => {
    const tokenizer = taskTokenizer(reviewsTask);
    await trainSft({
      ...SFT_DEFAULTS,
      model: new GPT(
        gptPreset('gpt2', {
          vocabSize: tokenizer.vocabSize,
          blockSize: 48,
          nLayer: 1,
          nHead: 2,
          nEmbd: 32,
          dropout: 0,
        }),
        { seed: 1 },
      ),
      tokenizer,
      format: CHATML_FORMAT,
      train: taskSftConversations(reviewsTask, 16, 1),
      val: [],
      runDir: join(dir, 'sft'),
      steps: 2,
      batchSize: 4,
      evalEvery: 0,
      checkpointEvery: 0,
    });
  });

  it('trains on the module file, logs rewards/<name>, passes JSONL fields to the function', () => {
    const prompts = join(dir, 'prompts.jsonl');
    writeFileSync(
      prompts,
      ['Describe the cat.', 'Tell me about the dog.'].map((p, i) => JSON.stringify({ prompt: p, bonus: i })).join('\n'),
    );
    const out = join(dir, 'grpo');
    const r = runLlmts([
      'grpo',
      '--model',
      join(dir, 'sft'),
      '--reward',
      fixture,
      '--reward',
      `${fixture}#fromExample=0.5`,
      '--prompts',
      prompts,
      '--steps',
      '2',
      '--prompts-per-step',
      '2',
      '--group-size',
      '2',
      '--mini-batch-size',
      '4',
      '--micro-batch-size',
      '4',
      '--max-new-tokens',
      '4',
      '--eval-every',
      '0',
      '--checkpoint-every',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const train = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number | string>)
      .filter((x) => x['kind'] === 'train');
    assert.equal(train.length, 2);
    for (const rec of train) {
      assert.equal(typeof rec['rewards/rewards'], 'number');
      // each step draws both prompts once (bonus 0 and 1), two answers each: mean bonus 0.5
      assert.equal(rec['rewards/fromExample'], 0.5);
    }
  });

  it('without a reward model or a reward function it says what to give', () => {
    const r = runLlmts(['grpo', '--model', join(dir, 'sft'), '--task', 'reviews', '--out', join(dir, 'x')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--reward-model|--reward/);
  });
});
