/**
 * LoRA in the stages: PPO trains only adapters (and the critic's head), its reference is the
 * policy itself with the adapters off (equal to the SFT model, no second copy), the run's
 * checkpoint holds the merged model every loader reads, and PEFT adapter files sit beside it;
 * `llmts sft --lora-r` then `llmts lora merge` gives the model the run's checkpoint holds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { ScalarHeadModel } from '../../src/models/heads.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { chatIds } from '../../src/data/chat/encode.ts';
import { trainPpo, PPO_DEFAULTS } from '../../src/align/ppo.ts';
import { trainSft, SFT_DEFAULTS } from '../../src/align/sft.ts';
import { RewardScorer } from '../../src/align/shared/reward-scorer.ts';
import { loadPolicyRun } from '../../src/align/shared/setup.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { taskSftConversations } from '../../src/align/tasks/datasets.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { hasLora, loraLayers } from '../../src/nn/lora.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { runLlmts } from '../helpers/cli.ts';

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
  ).eval();
const probe = tensor(
  Int32Array.from({ length: 12 }, (_, i) => (i * 5) % tok.vocabSize),
  { shape: [1, 12], dtype: 'int32' },
);
const logits = (m: GPT): number[] => noGrad(() => Array.from(m.forward(probe).logits!.toTypedArray()));
const maxDiff = (a: number[], b: number[]): number => a.reduce((d, x, i) => Math.max(d, Math.abs(x - b[i]!)), 0);

describe('LoRA in the alignment stages', () => {
  it('PPO with adapters: only adapters (and the critic head) train; the reference is the policy with adapters off', async () => {
    const sft = gpt(1);
    const sftLogits = logits(sft);
    const sftParams = sft.parameters().map((p) => p.toArray());
    const runDir = mkdtempSync(join(tmpdir(), 'llmts-ppo-lora-'));
    const rm = new ScalarHeadModel(gpt(7), 'reward', 7);
    const r = await trainPpo({
      ...PPO_DEFAULTS,
      steps: 2,
      batchSize: 8,
      miniBatchSize: 4,
      microBatchSize: 4,
      ppoEpochs: 2,
      maxNewTokens: 6,
      lr: 1e-2,
      criticLr: 1e-2,
      evalEvery: 0,
      sampleEvery: 1,
      checkpointEvery: 0,
      targetKl: null,
      loraR: 4,
      loraAlpha: 8,
      loraDropout: 0,
      loraTargetModules: 'c_attn,c_fc',
      policy: sft,
      tokenizer: tok,
      format: CHATML_FORMAT,
      scorer: new RewardScorer(rm, { mean: 0, std: 1 }, ids.padId, ids.eosId),
      prompts: reviewsTask.prompts('train').slice(0, 8),
      evalPrompts: reviewsTask.prompts('eval').slice(0, 2),
      task: reviewsTask,
      runDir,
      inputs: { model: 'runs/sft' },
    });
    assert.equal(r.reference.model, r.actor, 'no second copy: the reference is the actor itself');
    assert.equal(loraLayers(r.actor).length, 2);
    assert.ok(hasLora(r.critic));
    // the trainable parameters: adapters of the actor; adapters and the head of the critic
    const trainable = r.algorithm.actorOptimizer.groups.flatMap((g) => g.params).length;
    assert.equal(trainable, 4);
    assert.equal(r.algorithm.criticOptimizer.groups.flatMap((g) => g.params).length, 4 + 2);
    // the SFT model is untouched and the adapters-off reference computes exactly it
    assert.deepEqual(
      sft.parameters().map((p) => p.toArray()),
      sftParams,
    );
    assert.deepEqual(
      r.reference.run((m) => logits(m)),
      sftLogits,
    );
    const tuned = logits(r.actor);
    assert.ok(maxDiff(tuned, sftLogits) > 1e-4, 'the adapters moved');
    // the run's checkpoint holds the merged model: a plain loader sees the tuned policy
    const loaded = loadPolicyRun(runDir).model;
    assert.ok(!hasLora(loaded));
    assert.ok(maxDiff(logits(loaded), tuned) < 1e-5, `merged checkpoint vs adapted ${maxDiff(logits(loaded), tuned)}`);
    // PEFT files beside it
    const cfg = JSON.parse(readFileSync(join(runDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(cfg['peft_type'], 'LORA');
    assert.equal(cfg['r'], 4);
    assert.equal(cfg['base_model_name_or_path'], 'runs/sft');
    assert.deepEqual(cfg['target_modules'], ['c_attn', 'c_fc']);
    assert.deepEqual([...loadSafetensors(join(runDir, 'adapter_model.safetensors')).tensors.keys()].sort(), [
      'base_model.model.transformer.h.0.attn.c_attn.lora_A.weight',
      'base_model.model.transformer.h.0.attn.c_attn.lora_B.weight',
      'base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight',
      'base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight',
    ]);
  });

  it('llmts sft --lora-r, then llmts lora merge: the merged model is the one the run holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-sft-lora-'));
    // a starting model that already knows the chat tokens (so the adapter alone carries the tuning)
    const start = await trainSft({
      ...SFT_DEFAULTS,
      model: gpt(2),
      tokenizer: tok,
      format: CHATML_FORMAT,
      train: taskSftConversations(reviewsTask, 16, 1),
      val: [],
      runDir: join(dir, 'start'),
      steps: 1,
      batchSize: 4,
      evalEvery: 0,
      checkpointEvery: 0,
    });
    assert.ok(!hasLora(start.model));
    const out = join(dir, 'lora');
    const r = runLlmts([
      'sft',
      '--model',
      join(dir, 'start'),
      '--task',
      'reviews',
      '--task-examples',
      '32',
      '--steps',
      '3',
      '--batch-size',
      '4',
      '--lr',
      '1e-2',
      '--lora-r',
      '4',
      '--lora-target-modules',
      'c_attn,c_proj',
      '--eval-every',
      '0',
      '--checkpoint-every',
      '0',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(out, 'adapter_model.safetensors')));
    const m = runLlmts(['lora', 'merge', '--adapter', out, '--out', join(dir, 'merged')]);
    assert.equal(m.status, 0, m.stderr);
    const merged = loadModel(join(dir, 'merged')).model as GPT;
    const run = loadPolicyRun(out).model;
    const base = loadPolicyRun(join(dir, 'start')).model;
    assert.ok(maxDiff(logits(merged), logits(run)) < 1e-5, `merge vs run ${maxDiff(logits(merged), logits(run))}`);
    assert.ok(maxDiff(logits(merged), logits(base)) > 1e-4, 'the adapter changed the model');
  });
});
