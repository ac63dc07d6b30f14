/**
 * Every stage takes every model llmts can load: `llmts model init` writes a Hugging Face
 * GPT-2 or LLaMA folder (no tokenizer), which goes straight into `llmts sft` / `llmts dpo`
 * with --tokenizer; the stage then writes an ordinary run directory.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLlmts } from '../helpers/cli.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { loadPolicyRun } from '../../src/align/shared/setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'llmts-any-model-'));
const tok = join(dir, 'tokenizer.json');
let vocab = 0;

const init = (preset: string, out: string): void => {
  const r = runLlmts([
    'model',
    'init',
    '--preset',
    preset,
    '--vocab-size',
    String(vocab),
    '--block-size',
    '48',
    '--n-layer',
    '1',
    '--n-head',
    '2',
    '--n-embd',
    '32',
    '--intermediate-size',
    '64',
    '--out',
    out,
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(out, 'config.json')) && !existsSync(join(out, 'tokenizer.json')));
};

describe('any model into any stage', () => {
  before(() => {
    const t = taskTokenizer(reviewsTask);
    t.save(tok);
    vocab = t.vocabSize;
  });

  it('llmts model init --preset gpt2 output goes into llmts sft (with --tokenizer)', () => {
    const hf = join(dir, 'gpt2');
    init('gpt2', hf);
    const missing = runLlmts(['sft', '--model', hf, '--task', 'reviews', '--out', join(dir, 'x')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--tokenizer/);
    const out = join(dir, 'sft');
    const r = runLlmts([
      'sft',
      '--model',
      hf,
      '--tokenizer',
      tok,
      '--task',
      'reviews',
      '--task-examples',
      '32',
      '--steps',
      '2',
      '--batch-size',
      '4',
      '--eval-every',
      '0',
      '--checkpoint-every',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const run = loadPolicyRun(out);
    assert.equal(run.model.config.nLayer, 1);
    assert.ok(run.format !== null, 'the SFT run has a chat format');
  });

  it('a LLaMA folder goes into llmts dpo and its preferences come from the task', () => {
    const hf = join(dir, 'llama');
    init('llama', hf);
    const out = join(dir, 'dpo');
    const r = runLlmts([
      'dpo',
      '--model',
      hf,
      '--tokenizer',
      tok,
      '--task',
      'reviews',
      '--task-groups',
      '1',
      '--steps',
      '2',
      '--batch-size',
      '4',
      '--eval-every',
      '0',
      '--checkpoint-every',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { model: { config: { mlp: string } } };
    assert.equal(cfg.model.config.mlp, 'gated');
  });
});
