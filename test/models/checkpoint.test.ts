/**
 * llmts checkpoints (src/io/checkpoint.ts): a model + AdamW state + the dropout RNG saved
 * mid-training and restored into fresh objects continues bit for bit like the original;
 * loadModelFromRun rebuilds the model from the spec; corrupt files, foreign safetensors
 * files (an HF checkpoint) and bad metadata are FormatErrors.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator } from '../../src/engine/index.ts';
import { ConfigError, FormatError } from '../../src/core/errors.ts';
import {
  loadModelFromRun,
  openCheckpoint,
  restoreModel,
  restoreOptimizer,
  saveCheckpoint,
} from '../../src/io/checkpoint.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { BERT, bertPreset } from '../../src/models/bert.ts';
import { specOf } from '../../src/models/registry.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { groupsForWeightDecay } from '../../src/optim/optimizer.ts';
import { hfFixturesDir, ids2d, randomIds } from './helpers.ts';

const V = 29;
const cfg = gptPreset('gpt2', {
  vocabSize: V,
  blockSize: 16,
  nLayer: 2,
  nHead: 4,
  nEmbd: 32,
  dropout: 0.2,
  attnDropout: 0.1,
});

function setup(seed: number): { model: GPT; opt: AdamW } {
  const model = new GPT(cfg, { seed });
  const opt = new AdamW(groupsForWeightDecay(model.parameters(), 3e-3, 0.1), { betas: [0.9, 0.95] });
  return { model, opt };
}

const g = new Generator(7);
const batches = Array.from({ length: 6 }, () => Array.from({ length: 2 }, () => randomIds(g, 12, V)));

function trainStep(model: GPT, opt: AdamW, step: number): number {
  const rows = batches[step]!;
  const ids = ids2d(rows.map((r) => r.slice(0, 11)));
  const targets = ids2d(rows.map((r) => r.slice(1)));
  const loss = model.forward(ids, { targets }).loss!;
  opt.zeroGrad();
  loss.backward();
  opt.step();
  return loss.item();
}

function params(model: GPT): Float32Array[] {
  return model.parameters().map((p) => Float32Array.from(p.toTypedArray() as Float32Array));
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-ckpt-'));
}

describe('checkpoint round trip', () => {
  it('model + AdamW + dropout RNG restored into fresh objects continue bit for bit', () => {
    const dir = tmp();
    try {
      const a = setup(1);
      for (let s = 0; s < 3; s++) trainStep(a.model, a.opt, s);
      const path = join(dir, 'checkpoint-last.safetensors');
      saveCheckpoint({
        path,
        model: a.model,
        spec: specOf(a.model),
        optimizer: a.opt,
        step: 3,
        extra: { sampler: [1, 2, 3] },
        train: { lr: 3e-3 },
      });

      const b = setup(2);
      const ckpt = openCheckpoint(path);
      try {
        assert.equal(ckpt.meta.step, 3);
        assert.deepEqual(ckpt.meta.extra, { sampler: [1, 2, 3] });
        assert.deepEqual(ckpt.meta.model, specOf(a.model));
        restoreModel(b.model, ckpt);
        restoreOptimizer(b.opt, ckpt);
      } finally {
        ckpt.file.close();
      }
      assert.deepEqual(params(b.model), params(a.model));
      assert.equal(b.opt.stepCount, a.opt.stepCount);
      const sa = a.opt.stateDict();
      const sb = b.opt.stateDict();
      assert.deepEqual(sb.groups, sa.groups);
      assert.deepEqual(sb.slots, sa.slots);
      assert.deepEqual(b.model.generator.getState(), a.model.generator.getState());
      // three more steps with dropout: identical losses and parameters
      for (let s = 3; s < 6; s++) assert.equal(trainStep(b.model, b.opt, s), trainStep(a.model, a.opt, s), `step ${s}`);
      assert.deepEqual(params(b.model), params(a.model));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tied weights are stored once; loadModelFromRun rebuilds the model (GPT and BERT) with identical outputs', () => {
    const dir = tmp();
    try {
      const gpt = new GPT(cfg, { seed: 4 }).eval();
      saveCheckpoint({
        path: join(dir, 'checkpoint-best.safetensors'),
        model: gpt,
        spec: specOf(gpt),
        optimizer: null,
        step: 0,
        extra: null,
        train: null,
      });
      const names = [...loadSafetensors(join(dir, 'checkpoint-best.safetensors')).tensors.keys()];
      assert.ok(names.includes('model/transformer.wte.weight') && !names.includes('model/lm_head.weight'));
      const { model, path } = loadModelFromRun(dir);
      assert.ok(path.endsWith('checkpoint-best.safetensors'));
      const ids = ids2d([[1, 2, 3, 4, 5]]);
      assert.deepEqual(
        (model as GPT).eval().forward(ids).logits!.toTypedArray(),
        gpt.forward(ids).logits!.toTypedArray(),
      );

      const bert = new BERT(bertPreset('bert-tiny', { vocabSize: V, nEmbd: 32, nHead: 4, norm: 'batchnorm' }), {
        seed: 5,
      });
      bert.forward(ids, { mlmLogits: true }); // move the BatchNorm running statistics off their initial values
      const bpath = join(dir, 'bert.safetensors');
      saveCheckpoint({
        path: bpath,
        model: bert,
        spec: specOf(bert),
        optimizer: null,
        step: 0,
        extra: null,
        train: null,
      });
      const restored = loadModelFromRun(bpath).model as BERT;
      bert.eval();
      restored.eval();
      assert.deepEqual(
        restored.forward(ids, { mlmLogits: true }).mlmLogits!.toTypedArray(),
        bert.forward(ids, { mlmLogits: true }).mlmLogits!.toTypedArray(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad checkpoint files', () => {
  const good = (): { dir: string; path: string } => {
    const dir = tmp();
    const path = join(dir, 'c.safetensors');
    const model = new GPT(cfg, { seed: 1 });
    saveCheckpoint({ path, model, spec: specOf(model), optimizer: null, step: 1, extra: null, train: null });
    return { dir, path };
  };

  it('truncated, garbage, empty: FormatError', () => {
    const { dir, path } = good();
    try {
      const bytes = readFileSync(path);
      for (const [what, data] of [
        ['truncated', bytes.subarray(0, bytes.length - 100)],
        ['garbage', Buffer.from('not a checkpoint at all, sorry')],
        ['empty', Buffer.alloc(0)],
        ['trailing bytes', Buffer.concat([bytes, Buffer.from([1, 2, 3])])],
      ] as const) {
        writeFileSync(path, data);
        assert.throws(() => loadModelFromRun(path), FormatError, what);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a valid safetensors file that is not an llmts checkpoint (an HF model): FormatError naming __metadata__.llmts', () => {
    assert.throws(
      () => loadModelFromRun(join(hfFixturesDir, 'gpt2', 'model.safetensors')),
      (e: unknown) => e instanceof FormatError && e.field === '__metadata__.llmts',
    );
  });

  it('bad metadata JSON, another format version, an unknown family, a missing or misshapen tensor: typed errors naming the field', () => {
    const { dir, path } = good();
    try {
      const { tensors, metadata } = loadSafetensors(path);
      const meta = JSON.parse(metadata!['llmts']!) as Record<string, unknown>;
      const cases: [string, Map<string, unknown>, Record<string, string>, string][] = [
        ['metadata not JSON', tensors, { llmts: '{"format": "llmts-checkpoint",' }, '__metadata__.llmts'],
        ['version 2', tensors, { llmts: JSON.stringify({ ...meta, version: 2 }) }, 'format'],
        [
          'unknown family',
          tensors,
          { llmts: JSON.stringify({ ...meta, model: { family: 'rnn', config: {} } }) },
          'model.family',
        ],
      ];
      for (const [what, t, md, field] of cases) {
        saveSafetensors(path, t as typeof tensors, md);
        // FormatErrors naming the field (the metadata schema names model.family)
        assert.throws(
          () => loadModelFromRun(path),
          (e: unknown) => (e instanceof FormatError || e instanceof ConfigError) && e.field === field,
          what,
        );
      }
      const missing = new Map(tensors);
      missing.delete('model/transformer.h.1.mlp.c_fc.bias');
      // the data no longer matches the SHA-256 the writer recorded
      saveSafetensors(path, missing, metadata);
      assert.throws(
        () => loadModelFromRun(path),
        (e: unknown) => e instanceof FormatError && e.field === '__metadata__.llmts_sha256',
      );
      // without a recorded checksum (an older checkpoint) the structure checks name the tensor
      const noChecksum = { llmts: metadata!['llmts']! };
      saveSafetensors(path, missing, noChecksum);
      assert.throws(
        () => loadModelFromRun(path),
        (e: unknown) => e instanceof FormatError && e.field === 'model/transformer.h.1.mlp.c_fc.bias',
      );
      const wrong = new Map(tensors);
      wrong.set('model/transformer.ln_f.weight', { dtype: 'F32', shape: [31], data: new Float32Array(31) });
      saveSafetensors(path, wrong, noChecksum);
      assert.throws(
        () => loadModelFromRun(path),
        (e: unknown) => e instanceof FormatError && e.field === 'model/transformer.ln_f.weight',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
