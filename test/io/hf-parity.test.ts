/**
 * Hugging Face parity: the PyTorch re-implementations of GPT2LMHeadModel, LlamaForCausalLM
 * (GQA, RoPE, linear and dynamic NTK scaling) and BertForMaskedLM in
 * scripts/oracles/hf_models.py wrote random-weight checkpoints with HF names plus inputs
 * and expected outputs (test/fixtures/models/hf/). loadHfModel must reproduce the logits
 * of every real token to 1e-4 relative to the logits' scale on every backend, and for
 * GPT-2, LLaMA and BERT the loss and every parameter gradient; saveHfModel must write the
 * oracle's files back byte for byte (keys, shapes, Conv1D [in, out] transposition,
 * header) and reload to identical logits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/backends/backend.ts';
import { tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { FormatError } from '../../src/core/errors.ts';
import { loadHfModel } from '../../src/io/hf/load.ts';
import { saveHfModel } from '../../src/io/hf/save.ts';
import { rulesFor } from '../../src/io/hf/rules.ts';
import { architectureOf } from '../../src/io/hf/config.ts';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.ts';
import type { TensorRecord } from '../../src/io/safetensors.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { BERT, bertPreset } from '../../src/models/bert.ts';
import { specOf } from '../../src/models/registry.ts';
import type { MLP } from '../../src/nn/mlp.ts';
import type { AnyModel } from '../../src/models/registry.ts';
import { assertRel, backends, hfFixturesDir, maskRows, realPositions, relErr } from '../models/helpers.ts';

const FIXTURES = ['gpt2', 'gpt2-hub', 'llama', 'llama-linear', 'llama-dynamic', 'bert'] as const;
const WITH_GRADS = ['gpt2', 'llama', 'bert'] as const;
const TOL = 1e-4;

function expected(name: string): Map<string, TensorRecord> {
  return loadSafetensors(join(hfFixturesDir, name, 'expected.safetensors')).tensors;
}

function input(rec: TensorRecord | undefined, backend: Backend): Tensor | null {
  if (rec === undefined) return null;
  return tensor(Int32Array.from(rec.data as Int32Array), { shape: rec.shape, backend });
}

interface Run {
  logits: Tensor;
  loss: Tensor | null;
}

/** The fixture's forward pass (with its labels when asked): logits [B, T, V]. */
function run(model: AnyModel, exp: Map<string, TensorRecord>, withLoss: boolean): Run {
  const backend = model.parameters()[0]!.backend;
  const ids = input(exp.get('ids'), backend)!;
  const mask = input(exp.get('attention_mask'), backend)!;
  if (model instanceof GPT) {
    if (!withLoss) return { logits: model.forward(ids, { attentionMask: mask }).logits!, loss: null };
    // HF shifts inside the model: targets[t] = labels[t + 1], the last position ignored
    const labels = exp.get('labels')!;
    const [B, T] = labels.shape as [number, number];
    const l = labels.data as Int32Array;
    const targets = Int32Array.from({ length: B * T }, (_, i) => (i % T === T - 1 ? -100 : l[i + 1]!));
    const out = model.forward(ids, { attentionMask: mask, targets: tensor(targets, { shape: [B, T], backend }) });
    return { logits: out.logits!, loss: out.loss };
  }
  if (model instanceof BERT) {
    const types = input(exp.get('token_type_ids'), backend);
    const labels = withLoss ? input(exp.get('labels'), backend) : null;
    const out = model.forward(ids, { attentionMask: mask, tokenTypeIds: types, mlmLabels: labels, mlmLogits: true });
    return { logits: out.mlmLogits!, loss: out.loss };
  }
  throw new Error('not an HF architecture');
}

function realLogits(exp: Map<string, TensorRecord>, logits: ArrayLike<number>): Float64Array {
  const [B, T, V] = exp.get('logits')!.shape as [number, number, number];
  return realPositions(logits, maskRows(exp.get('attention_mask')!.data as Int32Array, B, T), V);
}

/** The model's parameter gradients under HF names (fused q|k|v split, Conv1D transposed back). */
function hfGradients(model: AnyModel, dir: string): Map<string, Float32Array> {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const spec = specOf(model);
  const params = new Map(model.stateDict());
  const out = new Map<string, Float32Array>();
  for (const rule of rulesFor(architectureOf(cfg, dir), spec)) {
    if (rule.hfOnly) continue;
    const p = params.get(rule.ours)!;
    if (p.grad === null) continue; // llmts-only heads outside the loss (BERT's pooler); HF's are all checked below
    const g = Float32Array.from(p.grad.toTypedArray() as Float32Array);
    if (rule.transpose) {
      const [rows, cols] = p.shape as [number, number];
      out.set(
        rule.hf[0]!,
        Float32Array.from({ length: g.length }, (_, i) => g[(i % rows) * cols + Math.floor(i / rows)]!),
      );
    } else if (rule.hf.length === 1) {
      out.set(rule.hf[0]!, g);
    } else {
      const inner = p.shape.slice(1).reduce((a, b) => a * b, 1);
      const D = spec.config.nEmbd / spec.config.nHead;
      const rows = [spec.config.nHead * D, spec.config.nKvHead * D, spec.config.nKvHead * D];
      let at = 0;
      rule.hf.forEach((name, i) => {
        out.set(name, g.slice(at, at + rows[i]! * inner));
        at += rows[i]! * inner;
      });
    }
  }
  return out;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-hf-'));
}

/** A copy of a fixture directory with config.json patched (null deletes a key). */
function patchedCopy(name: string, patch: Record<string, unknown>): string {
  const dir = tmp();
  cpSync(join(hfFixturesDir, name), dir, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete cfg[k];
    else cfg[k] = v;
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  return dir;
}

/** A copy of a fixture whose model.safetensors tensors are edited by fn. */
function editedTensors(name: string, fn: (t: Map<string, TensorRecord>) => void): string {
  const dir = tmp();
  cpSync(join(hfFixturesDir, name), dir, { recursive: true });
  const { tensors, metadata } = loadSafetensors(join(dir, 'model.safetensors'));
  fn(tensors);
  saveSafetensors(join(dir, 'model.safetensors'), tensors, metadata);
  return dir;
}

for (const backend of backends()) {
  describe(`HF parity on the ${backend.name} backend`, () => {
    for (const name of FIXTURES) {
      it(`${name}: logits of every real token match the PyTorch oracle`, (t) => {
        const exp = expected(name);
        const model = loadHfModel(join(hfFixturesDir, name), { backend }).eval();
        const { logits } = run(model, exp, false);
        assert.deepEqual(logits.shape, exp.get('logits')!.shape);
        const e = assertRel(
          realLogits(exp, logits.toTypedArray() as Float32Array),
          realLogits(exp, exp.get('logits')!.data as Float32Array),
          TOL,
          name,
        );
        t.diagnostic(`${name} ${backend.name}: max relative logits error ${e.toExponential(2)}`);
      });
    }

    for (const name of WITH_GRADS) {
      it(`${name}: loss and every parameter gradient match`, (t) => {
        const exp = expected(name);
        const dir = join(hfFixturesDir, name);
        const model = loadHfModel(dir, { backend }).eval();
        const { loss } = run(model, exp, true);
        assert.ok(loss !== null);
        const wantLoss = (exp.get('loss')!.data as Float32Array)[0]!;
        assert.ok(Math.abs(loss.item() - wantLoss) <= 1e-5 * Math.abs(wantLoss), `loss ${loss.item()} vs ${wantLoss}`);
        loss.backward();
        const grads = hfGradients(model, dir);
        const wanted = [...exp.keys()].filter((k) => k.startsWith('grad/')).map((k) => k.slice(5));
        // every HF parameter has a gradient to compare (BERT's pooler/NSP head are llmts-only)
        assert.deepEqual(
          wanted.filter((k) => !grads.has(k)),
          [],
        );
        let worst = 0;
        for (const key of wanted) {
          const want = exp.get(`grad/${key}`)!.data as Float32Array;
          const got = grads.get(key)!;
          if (/attention\.self\.key\.bias$/.test(key)) {
            // q·(k + b) shifts a whole score row by q·b, which softmax ignores: exactly zero, rounding on both sides
            assert.ok(
              want.every((x) => Math.abs(x) < 1e-6) && got.every((x) => Math.abs(x) < 1e-6),
              `d loss / d ${key} should vanish`,
            );
            continue;
          }
          worst = Math.max(worst, assertRel(got, want, TOL, `d loss / d ${key}`));
        }
        t.diagnostic(
          `${name} ${backend.name}: loss ${loss.item()} (torch ${wantLoss}), worst gradient error ${worst.toExponential(2)} over ${wanted.length} tensors`,
        );
      });
    }
  });
}

describe('HF checkpoints: the fixtures exercise what they claim', () => {
  it('rope scaling changes the logits (linear and dynamic fixtures are not plain RoPE)', () => {
    for (const name of ['llama-linear', 'llama-dynamic']) {
      const exp = expected(name);
      const dir = patchedCopy(name, { rope_scaling: null });
      try {
        const { logits } = run(loadHfModel(dir).eval(), exp, false);
        const e = relErr(
          realLogits(exp, logits.toTypedArray() as Float32Array),
          realLogits(exp, exp.get('logits')!.data as Float32Array),
        );
        assert.ok(
          e > 1e-2,
          `${name} without rope_scaling is within ${e} of the oracle: the fixture does not test scaling`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('padding slots hold random ids, and the pad rows are really padded', () => {
    for (const name of FIXTURES) {
      const mask = expected(name).get('attention_mask')!.data as Int32Array;
      assert.ok(mask.includes(0) && mask.includes(1), name);
    }
  });

  it('the gpt2-hub file has no transformer. prefix and carries attn.bias buffers', () => {
    const keys = [...loadSafetensors(join(hfFixturesDir, 'gpt2-hub', 'model.safetensors')).tensors.keys()];
    assert.ok(keys.includes('h.0.attn.bias') && keys.includes('h.1.attn.masked_bias') && keys.includes('wte.weight'));
    assert.ok(!keys.some((k) => k.startsWith('transformer.')));
  });
});

describe('saveHfModel', () => {
  const bytes = (dir: string): Buffer => readFileSync(join(dir, 'model.safetensors'));

  for (const [name, like] of [
    ['gpt2', 'gpt2'],
    ['gpt2-hub', 'gpt2'],
    ['llama', 'llama'],
    ['llama-linear', 'llama-linear'],
    ['llama-dynamic', 'llama-dynamic'],
  ] as const) {
    it(`${name}: writes the oracle's model.safetensors byte for byte and reloads to identical logits`, () => {
      const exp = expected(name);
      const model = loadHfModel(join(hfFixturesDir, name)).eval();
      const dir = tmp();
      try {
        assert.deepEqual(saveHfModel(model, dir), ['model.safetensors']);
        // hub keys come back with the transformer. prefix and without the mask buffers
        assert.ok(
          bytes(dir).equals(bytes(join(hfFixturesDir, like))),
          `${name}: saved file differs from the ${like} fixture`,
        );
        const again = loadHfModel(dir).eval();
        const a = run(model, exp, false).logits.toTypedArray();
        const b = run(again, exp, false).logits.toTypedArray();
        assert.deepEqual(b, a);
        const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
        const orig = JSON.parse(readFileSync(join(hfFixturesDir, name, 'config.json'), 'utf8')) as Record<
          string,
          unknown
        >;
        for (const k of [
          'architectures',
          'vocab_size',
          'n_embd',
          'n_layer',
          'n_head',
          'n_positions',
          'layer_norm_epsilon',
          'hidden_size',
          'num_attention_heads',
          'num_key_value_heads',
          'intermediate_size',
          'rms_norm_eps',
          'rope_theta',
          'rope_scaling',
          'tie_word_embeddings',
          'max_position_embeddings',
          'activation_function',
          'hidden_act',
        ]) {
          if (k in orig) assert.deepEqual(saved[k], orig[k], `config.json ${k}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('GPT-2 Conv1D weights are saved [in, out]: saved[i][j] = Linear weight[j][i]', () => {
    const model = loadHfModel(join(hfFixturesDir, 'gpt2')) as GPT;
    const dir = tmp();
    try {
      saveHfModel(model, dir);
      const saved = loadSafetensors(join(dir, 'model.safetensors')).tensors;
      const C = model.config.nEmbd;
      for (const [hf, ours] of [
        ['transformer.h.0.attn.c_attn.weight', model.transformer.h[0]!.attn.c_attn.weight],
        ['transformer.h.1.mlp.c_proj.weight', (model.transformer.h[1]!.mlp as MLP).c_proj.weight],
      ] as const) {
        const rec = saved.get(hf)!;
        assert.deepEqual(rec.shape, [ours.shape[1], ours.shape[0]]);
        const w = ours.toTypedArray();
        const s = rec.data as Float32Array;
        const [out, inn] = ours.shape as [number, number];
        for (const [i, j] of [
          [0, 0],
          [1, 2],
          [inn - 1, out - 1],
          [3, C + 5],
        ] as const) {
          if (i < inn && j < out) assert.equal(s[i * out + j], w[j * inn + i]);
        }
      }
      assert.ok(
        !saved.has('lm_head.weight'),
        'the tied lm_head is not written (save_pretrained drops tied duplicates)',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bert: every BertForMaskedLM tensor written back exactly; the extra llmts heads are the pooler and NSP head only', () => {
    const model = loadHfModel(join(hfFixturesDir, 'bert')).eval();
    const dir = tmp();
    try {
      saveHfModel(model, dir);
      const saved = loadSafetensors(join(dir, 'model.safetensors')).tensors;
      const orig = loadSafetensors(join(hfFixturesDir, 'bert', 'model.safetensors')).tensors;
      for (const [k, rec] of orig) {
        const s = saved.get(k);
        assert.ok(s !== undefined, `${k} not saved`);
        assert.deepEqual(s.shape, rec.shape, k);
        assert.deepEqual(s.data, rec.data, k);
      }
      assert.deepEqual([...saved.keys()].filter((k) => !orig.has(k)).sort(), [
        'bert.pooler.dense.bias',
        'bert.pooler.dense.weight',
        'cls.seq_relationship.bias',
        'cls.seq_relationship.weight',
      ]);
      const exp = expected('bert');
      assert.deepEqual(
        run(loadHfModel(dir).eval(), exp, false).logits.toTypedArray(),
        run(model, exp, false).logits.toTypedArray(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every activation round-trips through config.json for GPT-2, LLaMA and BERT (same logits)', () => {
    const ids = tensor(Int32Array.from([3, 1, 4, 1, 5, 9]), { shape: [1, 6] });
    for (const act of ['relu', 'gelu', 'gelu_tanh', 'silu', 'tanh', 'sigmoid', 'none'] as const) {
      const small = { vocabSize: 20, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, activation: act, initStd: 0.3 };
      const models: AnyModel[] = [
        new GPT(gptPreset('gpt2', { ...small, dropout: 0, attnDropout: 0 })).eval(),
        new GPT(gptPreset('llama', small)).eval(),
        new BERT(bertPreset('bert-tiny', { ...small, dropout: 0, attnDropout: 0 })).eval(),
      ];
      for (const model of models) {
        const dir = tmp();
        try {
          saveHfModel(model, dir);
          const back = loadHfModel(dir).eval();
          assert.equal(back.config.activation, act);
          const logits = (m: AnyModel): Float32Array =>
            (m instanceof GPT
              ? m.forward(ids).logits!
              : (m as BERT).forward(ids, { mlmLogits: true }).mlmLogits!
            ).toTypedArray() as Float32Array;
          assert.deepEqual(logits(back), logits(model), `${act}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  });

  it('sharded save (index + shards) reloads to identical logits', () => {
    const exp = expected('llama');
    const model = loadHfModel(join(hfFixturesDir, 'llama')).eval();
    const dir = tmp();
    try {
      const files = saveHfModel(model, dir, { maxShardBytes: 20_000 });
      assert.ok(files.length > 2 && files.includes('model.safetensors.index.json'), files.join());
      assert.deepEqual(readdirSync(dir).sort(), [...files, 'config.json'].sort());
      assert.deepEqual(
        run(loadHfModel(dir).eval(), exp, false).logits.toTypedArray(),
        run(model, exp, false).logits.toTypedArray(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadHfModel: aliases and hostile input', () => {
  it('legacy BERT LayerNorm gamma/beta names and a missing bert. prefix load to the same logits', () => {
    const dir = editedTensors('bert', (t) => {
      for (const [k, v] of [...t]) {
        const renamed = k
          .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
          .replace(/LayerNorm\.bias$/, 'LayerNorm.beta')
          .replace(/^bert\./, '');
        if (renamed !== k) {
          t.delete(k);
          t.set(renamed, v);
        }
      }
    });
    try {
      const exp = expected('bert');
      const a = run(loadHfModel(dir).eval(), exp, false).logits.toTypedArray();
      const b = run(loadHfModel(join(hfFixturesDir, 'bert')).eval(), exp, false).logits.toTypedArray();
      assert.deepEqual(a, b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const configCases: [string, string, Record<string, unknown>, string][] = [
    [
      'unknown architecture',
      'gpt2',
      { architectures: ['T5ForConditionalGeneration'], model_type: 't5' },
      'architectures',
    ],
    ['n_embd as a string', 'gpt2', { n_embd: '32' }, 'n_embd'],
    ['missing n_layer', 'gpt2', { n_layer: undefined }, 'n_layer'],
    ['n_embd not divisible by n_head', 'gpt2', { n_head: 5 }, 'n_embd'],
    ['fractional n_layer', 'gpt2', { n_layer: 2.5 }, 'n_layer'],
    ['unknown activation', 'gpt2', { activation_function: 'gelu_quick' }, 'activation_function'],
    ['negative layer_norm_epsilon', 'gpt2', { layer_norm_epsilon: -1 }, 'layer_norm_epsilon'],
    ['dropout 2', 'gpt2', { resid_pdrop: 2 }, 'resid_pdrop'],
    ['tie_word_embeddings as a string', 'gpt2', { tie_word_embeddings: 'yes' }, 'tie_word_embeddings'],
    [
      'scale_attn_by_inverse_layer_idx',
      'gpt2',
      { scale_attn_by_inverse_layer_idx: true },
      'scale_attn_by_inverse_layer_idx',
    ],
    // sizes that would allocate far more than the file holds are refused before allocation
    ['vocab_size 1e10', 'gpt2', { vocab_size: 1e10 }, 'vocab_size'],
    ['n_layer 1e9', 'gpt2', { n_layer: 1e9 }, 'n_layer'],
    ['n_layer one too many', 'gpt2', { n_layer: 3 }, 'n_layer'],
    ['n_layer one too few', 'gpt2', { n_layer: 1 }, 'n_layer'],
    ['n_embd 1e5', 'gpt2', { n_embd: 100_000, n_head: 1 }, 'n_embd'],
    ['n_positions 1e9', 'gpt2', { n_positions: 1e9 }, 'n_positions'],
    ['n_inner 1e8', 'gpt2', { n_inner: 1e8 }, 'n_inner'],
    ['num_key_value_heads not dividing the heads', 'llama', { num_key_value_heads: 3 }, 'num_key_value_heads'],
    ['num_attention_heads disagreeing with k_proj', 'llama', { num_attention_heads: 8 }, 'num_key_value_heads'],
    ['intermediate_size off by one', 'llama', { intermediate_size: 65 }, 'intermediate_size'],
    ['rope_scaling yarn', 'llama', { rope_scaling: { type: 'yarn', factor: 2 } }, 'rope_scaling'],
    ['rope_scaling without a factor', 'llama', { rope_scaling: { type: 'linear' } }, 'factor'],
    ['head_dim not hidden/heads', 'llama', { head_dim: 16 }, 'head_dim'],
    ['mlp_bias without attention_bias', 'llama', { mlp_bias: true }, 'mlp_bias'],
    [
      'position_embedding_type relative_key',
      'bert',
      { position_embedding_type: 'relative_key' },
      'position_embedding_type',
    ],
    ['type_vocab_size 1e9', 'bert', { type_vocab_size: 1e9 }, 'type_vocab_size'],
    ['num_hidden_layers 0', 'bert', { num_hidden_layers: 0 }, 'num_hidden_layers'],
  ];
  for (const [what, fixture, patch, field] of configCases) {
    it(`config.json with ${what}: FormatError naming ${field}`, () => {
      const dir = patchedCopy(fixture, patch);
      try {
        assert.throws(
          () => loadHfModel(dir),
          (err: unknown) => {
            assert.ok(err instanceof FormatError, `${String(err)}`);
            assert.equal(err.field, field, err.message);
            return true;
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('config.json that is not JSON, or not an object: FormatError', () => {
    for (const text of ['{"n_embd": 32,', '[1, 2]', 'null']) {
      const dir = tmp();
      cpSync(join(hfFixturesDir, 'gpt2'), dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), text);
      try {
        assert.throws(() => loadHfModel(dir), FormatError);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  const tensorCases: [string, string, (t: Map<string, TensorRecord>) => void, string][] = [
    ['a missing tensor', 'gpt2', (t) => t.delete('transformer.h.1.ln_2.bias'), 'transformer.h.1.ln_2.bias'],
    [
      'an unexpected tensor',
      'gpt2',
      (t) => t.set('transformer.h.0.attn.extra', { dtype: 'F32', shape: [2], data: new Float32Array(2) }),
      '',
    ],
    [
      'a Conv1D weight stored [out, in]',
      'gpt2',
      (t) => {
        const w = t.get('transformer.h.0.mlp.c_fc.weight')!;
        t.set('transformer.h.0.mlp.c_fc.weight', { ...w, shape: [w.shape[1]!, w.shape[0]!] });
      },
      'transformer.h.0.mlp.c_fc.weight',
    ],
    [
      'a bias of the wrong length',
      'gpt2',
      (t) => t.set('transformer.h.0.ln_1.bias', { dtype: 'F32', shape: [31], data: new Float32Array(31) }),
      'transformer.h.0.ln_1.bias',
    ],
    [
      'q_proj and k_proj swapped (same total size)',
      'llama',
      (t) => {
        const q = t.get('model.layers.1.self_attn.q_proj.weight')!;
        const v = t.get('model.layers.1.self_attn.v_proj.weight')!;
        // q [32, 32], k [16, 32], v [16, 32] -> q [16, 32], k [32, 32]: the fused total is unchanged
        t.set('model.layers.1.self_attn.q_proj.weight', v);
        t.set('model.layers.1.self_attn.k_proj.weight', q);
      },
      'model.layers.1.self_attn.q_proj.weight',
    ],
  ];
  for (const [what, fixture, edit, field] of tensorCases) {
    it(`model.safetensors with ${what}: FormatError${field ? ` naming ${field}` : ''}`, () => {
      const dir = editedTensors(fixture, edit);
      try {
        assert.throws(
          () => loadHfModel(dir),
          (err: unknown) => {
            assert.ok(err instanceof FormatError, String(err));
            if (field !== '') assert.equal(err.field, field, err.message);
            else assert.match(err.message, /unexpected tensors.*attn\.extra/);
            return true;
          },
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a bias-free llmts GPT-2 saves zero biases (HF GPT-2 always has them) and loads back to the same logits', () => {
    const dir = tmp();
    try {
      const model = new GPT(
        { ...(loadHfModel(join(hfFixturesDir, 'gpt2')) as GPT).config, bias: false, dropout: 0, attnDropout: 0 },
        { seed: 3 },
      ).eval();
      saveHfModel(model, dir);
      const saved = loadSafetensors(join(dir, 'model.safetensors')).tensors;
      assert.ok((saved.get('transformer.h.0.attn.c_attn.bias')!.data as Float32Array).every((x) => x === 0));
      const exp = expected('gpt2');
      assertRel(
        run(loadHfModel(dir).eval(), exp, false).logits.toTypedArray(),
        run(model, exp, false).logits.toTypedArray(),
        0,
        'bias-free round trip',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
