/**
 * PEFT adapter files: fixtures written by scripts/oracles/peft_lora.py (PEFT's documented key
 * layout and config fields; the adapted HF model's logits from plain PyTorch) load onto the
 * HF GPT-2 and LLaMA fixtures and reproduce the logits; what llmts writes has exactly PEFT's
 * keys, shapes and config fields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { GPT } from '../../src/models/gpt.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { applyLora, loraLayers, mergeAndUnload } from '../../src/nn/lora.ts';
import { loadPeftWeights, loraTargets, peftConfig, readPeftConfig, savePeftAdapter } from '../../src/io/peft.ts';

const root = join(import.meta.dirname, '..', 'fixtures');

function adapted(name: string): { model: GPT; expected: ReturnType<typeof loadSafetensors>['tensors'] } {
  const model = loadHfModel(join(root, 'models', 'hf', name)) as GPT;
  model.eval();
  const dir = join(root, 'peft', name);
  const { config, settings } = readPeftConfig(dir);
  const t = loraTargets(model.config, config.target_modules);
  applyLora(model, t.targets, settings);
  loadPeftWeights(model, dir);
  return { model, expected: loadSafetensors(join(dir, 'expected.safetensors')).tensors };
}

function maxDiffOnRealTokens(model: GPT, expected: ReturnType<typeof loadSafetensors>['tensors']): number {
  const idsRec = expected.get('ids')!;
  const maskRec = expected.get('attention_mask')!;
  const [B, T] = idsRec.shape as [number, number];
  const ids = tensor(Int32Array.from(idsRec.data as Int32Array), { shape: [B, T], dtype: 'int32' });
  const mask = tensor(Int32Array.from(maskRec.data as Int32Array), { shape: [B, T], dtype: 'int32' });
  const got = noGrad(() => model.forward(ids, { attentionMask: mask }).logits!.toTypedArray());
  const want = expected.get('logits')!.data as Float32Array;
  const V = want.length / (B * T);
  const m = maskRec.data as Int32Array;
  let d = 0;
  for (let i = 0; i < B * T; i++) {
    if (m[i] === 0) continue;
    for (let v = 0; v < V; v++) d = Math.max(d, Math.abs(got[i * V + v]! - want[i * V + v]!));
  }
  return d;
}

describe('PEFT LoRA adapters', () => {
  for (const name of ['gpt2', 'llama']) {
    it(`${name}: a PEFT adapter file reproduces the adapted HF model's logits, unmerged and merged`, () => {
      const { model, expected } = adapted(name);
      assert.equal(loraLayers(model).length, name === 'gpt2' ? 6 : 4); // llama: c_attn carries q and v
      const d = maxDiffOnRealTokens(model, expected);
      assert.ok(d < 2e-4, `max |logit diff| ${d}`);
      mergeAndUnload(model);
      const merged = maxDiffOnRealTokens(model, expected);
      assert.ok(merged < 2e-4, `merged: max |logit diff| ${merged}`);
    });

    it(`${name}: what llmts writes has PEFT's keys, shapes, values and config fields`, () => {
      const { model } = adapted(name);
      const fixture = join(root, 'peft', name);
      const { config, settings } = readPeftConfig(fixture);
      const t = loraTargets(model.config, config.target_modules);
      const out = mkdtempSync(join(tmpdir(), 'llmts-peft-'));
      savePeftAdapter(
        model,
        out,
        peftConfig({
          settings,
          targetModules: t.targetModules,
          layout: t.layout,
          baseModel: config.base_model_name_or_path,
        }),
      );
      const a = loadSafetensors(join(fixture, 'adapter_model.safetensors')).tensors;
      const b = loadSafetensors(join(out, 'adapter_model.safetensors')).tensors;
      assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
      for (const [k, rec] of a) {
        assert.deepEqual(b.get(k)!.shape, rec.shape, k);
        assert.deepEqual(b.get(k)!.data, rec.data, k);
      }
      const ours = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      const theirs = JSON.parse(readFileSync(join(fixture, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
      for (const k of [
        'peft_type',
        'r',
        'lora_alpha',
        'lora_dropout',
        'target_modules',
        'fan_in_fan_out',
        'bias',
        'task_type',
        'use_rslora',
        'use_dora',
        'base_model_name_or_path',
      ])
        assert.deepEqual(ours[k], theirs[k], k);
    });
  }

  it('rejects a file whose adapter shapes do not fit the model, naming the tensor', () => {
    const model = loadHfModel(join(root, 'models', 'hf', 'gpt2')) as GPT;
    const t = loraTargets(model.config, ['c_attn', 'c_proj']);
    applyLora(model, t.targets, { r: 8, alpha: 8, dropout: 0 }); // the file has r = 4
    assert.throws(
      () => loadPeftWeights(model, join(root, 'peft', 'gpt2')),
      /lora_A\.weight.*shape \[4, 32\]|shape \[4, 32\]/,
    );
    assert.throws(() => loraTargets(model.config, ['q_proj']), /matches no module/);
  });
});
