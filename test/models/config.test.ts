/**
 * Model configs and parameters: validation errors are ConfigErrors naming the field;
 * parameter counts equal closed-form formulas (GPT-2 124M = 124,439,808 with tied
 * embeddings, BertModel base = 109,482,240) and the models' own counts on small configs
 * of every variant; FLOPs per token equal 3× an explicit count of the forward matmuls
 * (plus 6× the bias/norm parameters that 6N also counts); GPT-2 initialization statistics within sampling error;
 * weight tying shares one Parameter counted once; state-dict round trips and strict
 * loading; train/eval toggles dropout.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/engine/index.ts';
import { ConfigError, ShapeError } from '../../src/core/errors.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import type { GPTConfig } from '../../src/models/gpt.ts';
import { BERT, bertPreset } from '../../src/models/bert.ts';
import type { BertConfig } from '../../src/models/bert.ts';
import { EncoderDecoder, encoderDecoderPreset } from '../../src/models/encoder-decoder.ts';
import type { EncoderDecoderConfig } from '../../src/models/encoder-decoder.ts';
import { createModel, specFromPreset } from '../../src/models/registry.ts';
import type { NormName } from '../../src/nn/norm-layer.ts';
import { ids2d, randomIds } from './helpers.ts';

// ---------------------------------------------------------------- closed forms

function normParams(kind: NormName, C: number, bias: boolean): number {
  return { layernorm: bias ? 2 * C : C, rmsnorm: C, batchnorm: 2 * C, none: 0 }[kind];
}

/** Self-attention with nHead query and nKvHead kv heads of size C/nHead, plus the output projection. */
function attnParams(C: number, H: number, Hkv: number, bias: boolean): number {
  const D = C / H;
  const qkv = (H + 2 * Hkv) * D;
  return C * qkv + H * D * C + (bias ? qkv + C : 0);
}

function mlpParams(C: number, I: number, gated: boolean, bias: boolean): number {
  return gated ? 3 * C * I + (bias ? 2 * I + C : 0) : 2 * C * I + (bias ? I + C : 0);
}

export function gptParamFormula(c: GPTConfig): number {
  const C = c.nEmbd;
  const layer =
    attnParams(C, c.nHead, c.nKvHead, c.bias) +
    mlpParams(C, c.intermediateSize, c.mlp === 'gated', c.bias) +
    2 * normParams(c.norm, C, c.bias);
  return (
    c.vocabSize * C +
    (c.position === 'learned' ? c.blockSize * C : 0) +
    c.nLayer * layer +
    (c.normPlacement === 'pre' ? normParams(c.norm, C, c.bias) : 0) +
    (c.tieEmbeddings ? 0 : c.vocabSize * C)
  );
}

function bertParamFormula(c: BertConfig): { total: number; bertModel: number } {
  const C = c.nEmbd;
  const ln = normParams(c.norm, C, true);
  const embeddings = (c.vocabSize + (c.position === 'learned' ? c.blockSize : 0) + c.typeVocabSize) * C + ln;
  const layer = attnParams(C, c.nHead, c.nKvHead, true) + mlpParams(C, c.intermediateSize, false, true) + 2 * ln;
  const pooler = C * C + C;
  const bertModel = embeddings + c.nLayer * layer + pooler;
  const mlm = C * C + C + 2 * C + c.vocabSize; // transform dense, its LayerNorm, output bias (decoder tied)
  const nsp = 2 * C + 2;
  return {
    bertModel,
    total: bertModel + (c.normPlacement === 'pre' ? ln : 0) + mlm + nsp + (c.numLabels > 0 ? c.numLabels * (C + 1) : 0),
  };
}

function encdecParamFormula(c: EncoderDecoderConfig): number {
  const C = c.nEmbd;
  const norm = normParams(c.norm, C, c.bias);
  const self = attnParams(C, c.nHead, c.nKvHead, c.bias);
  const cross = 4 * C * C + (c.bias ? 4 * C : 0); // q_proj, kv_proj (2C), c_proj
  const mlp = mlpParams(C, c.intermediateSize, c.mlp === 'gated', c.bias);
  const final = c.normPlacement === 'pre' ? norm : 0;
  return (
    c.vocabSize * C +
    (c.position === 'learned' ? 2 * c.blockSize * C : 0) +
    c.nEncoderLayer * (self + mlp + 2 * norm) +
    final +
    c.nLayer * (self + cross + mlp + 3 * norm) +
    final
  );
}

// ---------------------------------------------------------------- tests

describe('config validation', () => {
  const base = gptPreset('gpt2', { vocabSize: 50, blockSize: 16, nLayer: 1, nHead: 4, nEmbd: 32 });
  const cases: [string, Partial<GPTConfig>, string][] = [
    ['n_embd not divisible by n_head', { nHead: 5, nKvHead: 5 }, 'n_embd'],
    ['n_kv_head not dividing n_head', { nKvHead: 3 }, 'n_kv_head'],
    ['unknown activation', { activation: 'gelu_quick' as GPTConfig['activation'] }, 'activation'],
    ['unknown norm', { norm: 'groupnorm' as NormName }, 'norm'],
    ['unknown position', { position: 'relative' as GPTConfig['position'] }, 'position'],
    ['odd RoPE head size', { position: 'rope', nHead: 32, nKvHead: 32 }, 'n_embd'],
    ['zero layers', { nLayer: 0 }, 'n_layer'],
    ['fractional vocab', { vocabSize: 10.5 }, 'vocab_size'],
    ['dropout 1', { dropout: 1 }, 'dropout'],
    ['unknown norm placement', { normPlacement: 'middle' as 'pre' }, 'norm_placement'],
    ['unknown mlp', { mlp: 'moe' as 'gated' }, 'mlp'],
  ];
  for (const [what, over, field] of cases) {
    it(`GPT: ${what} -> ConfigError(${field})`, () => {
      assert.throws(
        () => new GPT({ ...base, ...over }),
        (e: unknown) => e instanceof ConfigError && e.field === field && e.message.includes(field),
      );
    });
  }

  it('BERT and encoder-decoder validate too', () => {
    assert.throws(
      () => new BERT(bertPreset('bert-tiny', { position: 'alibi' as 'none' })),
      (e: unknown) => e instanceof ConfigError && e.field === 'position',
    );
    assert.throws(
      () => new BERT(bertPreset('bert-tiny', { nHead: 3 })),
      (e: unknown) => e instanceof ConfigError && e.field === 'n_embd',
    );
    assert.throws(
      () => new EncoderDecoder(encoderDecoderPreset({ vocabSize: 10, decoderStartTokenId: 10 })),
      (e: unknown) => e instanceof ConfigError && e.field === 'decoder_start_token_id',
    );
    assert.throws(
      () => specFromPreset('gpt5' as 'gpt2'),
      (e: unknown) => e instanceof ConfigError && e.field === 'preset',
    );
  });
});

describe('parameter counts', () => {
  it('GPT-2 124M preset: the closed form gives 124,439,808 (tied embeddings)', () => {
    assert.equal(gptParamFormula(gptPreset('gpt2')), 124_439_808);
    // untied, the LM head adds V·C
    assert.equal(gptParamFormula(gptPreset('gpt2', { tieEmbeddings: false })), 124_439_808 + 50257 * 768);
  });

  it('BERT-base: the BertModel part of the closed form gives 109,482,240', () => {
    assert.equal(bertParamFormula(bertPreset('bert-base')).bertModel, 109_482_240);
  });

  const small = { vocabSize: 37, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32 };
  const gptVariants: [string, GPTConfig][] = [
    ['gpt2', gptPreset('gpt2', small)],
    ['gpt2 untied, no bias', gptPreset('gpt2', { ...small, tieEmbeddings: false, bias: false })],
    ['llama (GQA, gated, rmsnorm)', gptPreset('llama', small)],
    ['llama MQA with biases', gptPreset('llama', { ...small, nKvHead: 1, bias: true })],
    ['shakespeare-char', gptPreset('shakespeare-char', small)],
    [
      'batchnorm post-LN sinusoidal',
      gptPreset('gpt2', { ...small, norm: 'batchnorm', normPlacement: 'post', position: 'sinusoidal' }),
    ],
    ['no norm, alibi', gptPreset('gpt2', { ...small, norm: 'none', position: 'alibi' })],
  ];
  for (const [name, cfg] of gptVariants) {
    it(`GPT ${name}: numParameters() = closed form`, () => {
      const model = new GPT(cfg);
      assert.equal(model.numParameters(), gptParamFormula(cfg));
      assert.equal(
        model.numParametersNonEmbedding(),
        gptParamFormula(cfg) - (cfg.position === 'learned' ? cfg.blockSize * cfg.nEmbd : 0),
      );
    });
  }

  it('BERT (with a classifier, and pre-LN) and encoder-decoder: numParameters() = closed form', () => {
    for (const cfg of [
      bertPreset('bert-tiny', { vocabSize: 37, nEmbd: 32, nHead: 4 }),
      bertPreset('bert-tiny', { vocabSize: 37, numLabels: 3, normPlacement: 'pre', position: 'rope' }),
    ]) {
      assert.equal(new BERT(cfg).numParameters(), bertParamFormula(cfg).total);
    }
    for (const cfg of [
      encoderDecoderPreset({ vocabSize: 37, blockSize: 16, nEncoderLayer: 2, nLayer: 3, nHead: 4, nEmbd: 32 }),
      encoderDecoderPreset({
        vocabSize: 37,
        blockSize: 16,
        nEncoderLayer: 1,
        nLayer: 1,
        nHead: 4,
        nEmbd: 32,
        mlp: 'gated',
        norm: 'rmsnorm',
        bias: false,
        position: 'rope',
      }),
    ]) {
      assert.equal(new EncoderDecoder(cfg).numParameters(), encdecParamFormula(cfg));
    }
  });

  it('weight tying: lm_head and wte are one Parameter, listed and counted once, saved under both names', () => {
    const model = new GPT(gptPreset('gpt2', small));
    assert.equal(model.lm_head.weight, model.transformer.wte.weight);
    const names = model.namedParameters().map(([n]) => n);
    assert.ok(names.includes('transformer.wte.weight') && !names.includes('lm_head.weight'));
    assert.equal(new Set(model.parameters()).size, model.parameters().length);
    const sd = model.stateDict();
    assert.equal(sd.get('lm_head.weight'), sd.get('transformer.wte.weight'));
    const untied = new GPT(gptPreset('gpt2', { ...small, tieEmbeddings: false }));
    assert.notEqual(untied.lm_head.weight, untied.transformer.wte.weight);
    assert.equal(untied.numParameters() - model.numParameters(), 37 * 32);
  });
});

describe('FLOPs per token', () => {
  it('6N + 12·L·C·T equals 3× the forward matmul FLOPs counted layer by layer, plus 6× the bias/norm parameters', () => {
    const cfg = gptPreset('gpt2', { vocabSize: 500, blockSize: 128, nLayer: 3, nHead: 4, nEmbd: 64 });
    const model = new GPT(cfg);
    const { nEmbd: C, nLayer: L, intermediateSize: I, vocabSize: V } = cfg;
    for (const T of [1, 64, 128]) {
      // per token: q,k,v and output projections, the MLP, q·kᵀ and p·v over T keys, the LM head (2 FLOPs per multiply-add)
      const forward = L * (2 * C * 3 * C + 2 * C * C + 2 * 2 * C * I + 2 * T * C + 2 * T * C) + 2 * C * V;
      // 6N also counts the biases and norm gains (no matmul): that share is the whole difference
      const vectors = model
        .parameters()
        .filter((p) => p.ndim === 1)
        .reduce((n, p) => n + p.size, 0);
      assert.equal(model.flopsPerToken(T), 3 * forward + 6 * vectors, `T ${T}`);
    }
    assert.equal(model.flopsPerToken(), model.flopsPerToken(128));
  });
});

describe('FLOPs per token: BERT and encoder-decoder', () => {
  const vectorsOf = (m: { parameters(): { ndim: number; size: number }[] }): number =>
    m
      .parameters()
      .filter((p) => p.ndim === 1)
      .reduce((n, p) => n + p.size, 0);

  it('BERT: 3x the forward matmul FLOPs of the layers and the MLM head, plus 6x their vectors; per-sequence heads and lookups excluded', () => {
    const cfg = bertPreset('bert-tiny', {
      vocabSize: 300,
      blockSize: 64,
      nLayer: 2,
      nHead: 4,
      nEmbd: 32,
      numLabels: 3,
    });
    const model = new BERT(cfg);
    const { nEmbd: C, nLayer: L, intermediateSize: I, vocabSize: V } = cfg;
    for (const T of [1, 16, 64]) {
      const forward = L * (2 * C * 3 * C + 2 * C * C + 2 * 2 * C * I + 4 * T * C) + 2 * C * C + 2 * C * V;
      const vectors =
        vectorsOf(model) - vectorsOf(model.pooler) - vectorsOf(model.seq_relationship) - vectorsOf(model.classifier!);
      assert.equal(model.flopsPerToken(T), 3 * forward + 6 * vectors, `T ${T}`);
    }
    assert.equal(model.flopsPerToken(), model.flopsPerToken(64));
  });

  it('encoder-decoder: source tokens pay the encoder and the cross-attention keys/values, target tokens the decoder and the tied head', () => {
    const cfg = encoderDecoderPreset({
      vocabSize: 200,
      blockSize: 32,
      nEncoderLayer: 2,
      nLayer: 3,
      nHead: 4,
      nEmbd: 32,
    });
    const model = new EncoderDecoder(cfg);
    const { nEmbd: C, intermediateSize: I, vocabSize: V } = cfg;
    const Le = cfg.nEncoderLayer,
      Ld = cfg.nLayer;
    const kvBias = model.decoder.reduce((n, b) => n + vectorsOf(b.cross_attn!.kv_proj), 0);
    const encVectors = model.encoder.reduce((n, b) => n + vectorsOf(b), 0) + vectorsOf(model.ln_enc) + kvBias;
    const decVectors = model.decoder.reduce((n, b) => n + vectorsOf(b), 0) - kvBias + vectorsOf(model.ln_dec);
    for (const [S, T] of [
      [1, 1],
      [16, 8],
      [32, 32],
    ] as const) {
      const perSource = Le * (2 * C * 3 * C + 2 * C * C + 4 * C * I + 4 * S * C) + Ld * 2 * C * 2 * C;
      const perTarget =
        Ld * (2 * C * 3 * C + 2 * C * C + 4 * C * I + 4 * T * C + 2 * C * C + 2 * C * C + 4 * S * C) + 2 * C * V;
      const expected = 3 * (S * perSource + T * perTarget) + 6 * (S * encVectors + T * decVectors);
      assert.equal(model.flopsPerExample(S, T), expected, `S ${S}, T ${T}`);
      assert.equal(model.flopsPerToken(S, T), expected / (S + T));
    }
  });
});

describe('GPT-2 initialization', () => {
  it('weights ~ N(0, 0.02), c_proj ~ N(0, 0.02/√(2·n_layer)), biases 0, norms 1/0 (within sampling error)', () => {
    const cfg = gptPreset('gpt2', { vocabSize: 1000, blockSize: 256, nLayer: 4, nHead: 4, nEmbd: 192 });
    const model = new GPT(cfg, { seed: 11 });
    const proj = 0.02 / Math.sqrt(2 * cfg.nLayer);
    let checked = 0;
    for (const [name, p] of model.namedParameters()) {
      const d = p.toTypedArray();
      const n = d.length;
      if (/(ln_\d|ln_f)\.weight$/.test(name)) {
        assert.ok(
          d.every((v) => v === 1),
          name,
        );
      } else if (/\.bias$/.test(name)) {
        assert.ok(
          d.every((v) => v === 0),
          name,
        );
      } else {
        const want = /c_proj\.weight$/.test(name) ? proj : 0.02;
        let mean = 0;
        for (const v of d) mean += v / n;
        let varr = 0;
        for (const v of d) varr += (v - mean) ** 2 / (n - 1);
        const std = Math.sqrt(varr);
        // 5 standard errors: se(mean) = σ/√n, se(std) ≈ σ/√(2n)
        assert.ok(Math.abs(mean) < (5 * want) / Math.sqrt(n), `${name} mean ${mean}`);
        assert.ok(Math.abs(std - want) < (5 * want) / Math.sqrt(2 * n), `${name} std ${std} vs ${want}`);
      }
      checked++;
    }
    assert.equal(checked, model.namedParameters().length);
    // different seeds give different weights, the same seed the same
    assert.deepEqual(
      new GPT(cfg, { seed: 11 }).transformer.wte.weight.toTypedArray(),
      model.transformer.wte.weight.toTypedArray(),
    );
  });
});

describe('state dicts', () => {
  const cfg = gptPreset('llama', { vocabSize: 37, blockSize: 16, nLayer: 2, nHead: 4, nEmbd: 32 });
  const ids = ids2d([randomIds(new Generator(1), 10, 37)]);

  it('round trip into a differently seeded model gives identical logits', () => {
    const a = new GPT(cfg, { seed: 1 }).eval();
    const b = new GPT(cfg, { seed: 2 }).eval();
    assert.notDeepEqual(b.forward(ids).logits!.toTypedArray(), a.forward(ids).logits!.toTypedArray());
    const result = b.loadStateDict(a.stateDict());
    assert.deepEqual(result, { missing: [], unexpected: [] });
    assert.deepEqual(b.forward(ids).logits!.toTypedArray(), a.forward(ids).logits!.toTypedArray());
  });

  it('strict loading lists missing and unexpected keys; non-strict returns them; shapes must match', () => {
    const a = new GPT(cfg, { seed: 1 });
    const sd = new Map(a.stateDict());
    sd.delete('transformer.h.1.ln_2.weight');
    sd.set('transformer.h.9.attn.c_attn.weight', sd.get('transformer.h.0.attn.c_attn.weight')!);
    assert.throws(
      () => new GPT(cfg).loadStateDict(sd),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes('missing [transformer.h.1.ln_2.weight]') &&
        e.message.includes('unexpected [transformer.h.9.attn.c_attn.weight]'),
    );
    const result = new GPT(cfg).loadStateDict(sd, { strict: false });
    assert.deepEqual(result, {
      missing: ['transformer.h.1.ln_2.weight'],
      unexpected: ['transformer.h.9.attn.c_attn.weight'],
    });
    const wrong = new Map(a.stateDict());
    wrong.set('transformer.ln_f.weight', a.transformer.h[0]!.attn.c_attn.weight);
    assert.throws(() => new GPT(cfg).loadStateDict(wrong), ShapeError);
  });

  it('BatchNorm running statistics are persistent buffers in the state dict', () => {
    const model = new GPT(
      gptPreset('gpt2', { vocabSize: 37, blockSize: 16, nLayer: 1, nHead: 4, nEmbd: 32, norm: 'batchnorm' }),
    );
    const keys = [...model.stateDict().keys()];
    assert.ok(keys.includes('transformer.h.0.ln_1.running_mean') && keys.includes('transformer.h.0.ln_1.running_var'));
    assert.ok(!model.namedParameters().some(([n]) => n.includes('running')));
  });

  it('createModel(spec) of a preset builds the family the spec names', () => {
    assert.ok(createModel(specFromPreset('bert-tiny', { vocabSize: 40, nLayer: 1 })) instanceof BERT);
    assert.ok(
      createModel(specFromPreset('encdec', { vocabSize: 40, nLayer: 1, nEmbd: 32, nHead: 4 })) instanceof
        EncoderDecoder,
    );
  });
});

describe('train and eval modes', () => {
  it('dropout is active in training (two forwards differ) and off in eval (equal to a dropout-free model)', () => {
    const cfg = gptPreset('gpt2', {
      vocabSize: 37,
      blockSize: 16,
      nLayer: 2,
      nHead: 4,
      nEmbd: 32,
      dropout: 0.3,
      attnDropout: 0.3,
    });
    const model = new GPT(cfg, { seed: 3 });
    const ids = ids2d([randomIds(new Generator(2), 12, 37)]);
    assert.ok(model.training && model.transformer.h[1]!.attn.training);
    const a = model.forward(ids).logits!.toTypedArray();
    const b = model.forward(ids).logits!.toTypedArray();
    assert.notDeepEqual(a, b);
    model.eval();
    assert.ok(model.namedModules().every(([, m]) => !m.training));
    const c = model.forward(ids).logits!.toTypedArray();
    assert.deepEqual(model.forward(ids).logits!.toTypedArray(), c);
    const plain = new GPT({ ...cfg, dropout: 0, attnDropout: 0 }, { seed: 3 }).eval();
    assert.deepEqual(plain.forward(ids).logits!.toTypedArray(), c);
    model.train();
    assert.ok(model.namedModules().every(([, m]) => m.training));
  });
});
