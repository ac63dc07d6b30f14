import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLlmts, type CliResult } from '../helpers/cli.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import { trainSft, SFT_DEFAULTS } from '../../src/align/sft.ts';
import { trainRewardModel, REWARD_DEFAULTS } from '../../src/align/reward.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { taskSftConversations } from '../../src/align/tasks/datasets.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-rlhf-cli-'));
const sftDir = join(dir, 'sft');
const rmDir = join(dir, 'rm');

function llmts(args: string[], input?: string): CliResult {
  return runLlmts(args, input === undefined ? {} : { input });
}

describe('alignment CLI', () => {
  before(async () => {
    const tokenizer = taskTokenizer(reviewsTask);
    const model = new GPT(
      gptPreset('gpt2', {
        vocabSize: tokenizer.vocabSize,
        blockSize: 48,
        nLayer: 1,
        nHead: 2,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
      }),
      { seed: 1 },
    );
    const sft = await trainSft({
      ...SFT_DEFAULTS,
      model,
      tokenizer,
      format: CHATML_FORMAT,
      train: taskSftConversations(reviewsTask, 64, 1),
      val: [],
      runDir: sftDir,
      steps: 20,
      batchSize: 8,
      lr: 3e-3,
      evalEvery: 0,
      checkpointEvery: 0,
    });
    const groups = taskSftConversations(reviewsTask, 16, 2).map((c, i) => ({
      prompt: c.slice(0, 1),
      responses: [c[1]!.content, taskSftConversations(reviewsTask, 1, 100 + i)[0]![1]!.content],
    }));
    await trainRewardModel({
      ...REWARD_DEFAULTS,
      backbone: sft.model,
      tokenizer,
      format: CHATML_FORMAT,
      train: groups,
      val: [],
      runDir: rmDir,
      steps: 4,
      batchSize: 4,
      evalEvery: 0,
      checkpointEvery: 0,
    });
  });

  it('llmts ppo reads a YAML config (any key style), flags override it, and --resume continues', () => {
    const cfg = join(dir, 'ppo.yaml');
    writeFileSync(
      cfg,
      'steps: 3\nbatch_size: 4\nmini-batch-size: 2\nmicroBatchSize: 2\nppo_epochs: 1\nmax_new_tokens: 4\neval_every: 0\ncheckpoint_every: 1\nsample_every: 1\n',
    );
    const out = join(dir, 'ppo');
    const r = llmts([
      'ppo',
      '--model',
      sftDir,
      '--reward-model',
      rmDir,
      '--task',
      'reviews',
      '--out',
      out,
      '--config',
      cfg,
      '--steps',
      '2',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const train = (): number =>
      readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter((l) => l.includes('"kind":"train"')).length;
    assert.equal(train(), 2);
    // eval_every 0: measured before training and at the end (not the final policy twice)
    const evalSteps = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; step: number })
      .filter((x) => x.kind === 'eval')
      .map((x) => x.step);
    assert.deepEqual(evalSteps, [0, 2]);
    const before = /before: (.*)/.exec(r.stdout)?.[1];
    const after = /after: +(.*)/.exec(r.stdout)?.[1];
    assert.ok(before !== undefined && after !== undefined && before !== after, r.stdout);
    for (const f of ['checkpoint-last.safetensors', 'samples.md', 'reward.svg', 'kl.svg', 'tokenizer_config.json'])
      assert.ok(existsSync(join(out, f)), f);
    const again = llmts([
      'ppo',
      '--model',
      sftDir,
      '--reward-model',
      rmDir,
      '--task',
      'reviews',
      '--out',
      out,
      '--config',
      cfg,
      '--resume',
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(train(), 3);
  });

  it('rejects an unknown config key and a bad value with the key named', () => {
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ stepz: 3 }));
    const r = llmts([
      'rm',
      '--model',
      sftDir,
      '--data',
      join(dir, 'none.jsonl'),
      '--out',
      join(dir, 'x'),
      '--config',
      cfg,
    ]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /stepz.*unknown key/);
    const bad = llmts([
      'dpo',
      '--model',
      sftDir,
      '--data',
      join(dir, 'none.jsonl'),
      '--out',
      join(dir, 'y'),
      '--beta',
      'abc',
    ]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--beta: expects a number/);
  });

  it('llmts chat answers each piped line with the chat template and keeps the conversation', () => {
    const r = llmts(
      ['chat', '--model', sftDir, '--max-new-tokens', '8', '--seed', '1'],
      'Describe the cat.\n/reset\nTell me about the dog.\n',
    );
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[1], '(conversation cleared)');
    assert.ok(!lines[0]!.includes('<|im_end|>'));
  });
});
