// Sampling warpers against hand-computed kept sets (HF logits_process.py semantics),
// plus the processor-list order and the config rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { readGenerationConfig, resolveGenerationConfig } from '../../src/generate/config.ts';
import type { LogitsProcessor } from '../../src/generate/processor.ts';
import { buildLogitsProcessors } from '../../src/generate/processor-list.ts';
import { EpsilonWarper, EtaWarper } from '../../src/generate/warpers/epsilon-eta.ts';
import { LogitNormalization } from '../../src/generate/warpers/logit-normalization.ts';
import { MinPWarper } from '../../src/generate/warpers/min-p.ts';
import { TemperatureWarper } from '../../src/generate/warpers/temperature.ts';
import { TopKWarper } from '../../src/generate/warpers/top-k.ts';
import { TopPWarper } from '../../src/generate/warpers/top-p.ts';
import { TypicalWarper } from '../../src/generate/warpers/typical.ts';

const NI = -Infinity;

function apply(w: LogitsProcessor, r: number[]): number[] {
  const s = Float32Array.from(r);
  w.process([[0]], s, r.length);
  return Array.from(s);
}

/** Indices that survived (score > -inf). */
const kept = (w: LogitsProcessor, r: number[]): number[] =>
  apply(w, r)
    .map((x, i) => (x > NI ? i : -1))
    .filter((i) => i >= 0);

// p = [0.5, 0.3, 0.15, 0.05]: H = 1.14212 nats; shifted |-ln p - H| = [0.449, 0.062, 0.755, 1.854]
const P = [0.5, 0.3, 0.15, 0.05];
const L = P.map(Math.log);

describe('temperature', () => {
  it('divides every score', () => {
    assert.deepEqual(apply(new TemperatureWarper(0.5), [1, -2, 0]), [2, -4, 0]);
  });
  it('the warper rejects T <= 0; the config maps T = 0 to greedy and rejects T < 0', () => {
    assert.throws(() => new TemperatureWarper(0), ConfigError);
    const cfg = resolveGenerationConfig({ doSample: true, temperature: 0, topK: 2 });
    assert.equal(cfg.doSample, false);
    assert.deepEqual(buildLogitsProcessors(cfg).names(), []);
    assert.throws(() => resolveGenerationConfig({ doSample: true, temperature: -1 }), ConfigError);
  });
});

describe('top-k', () => {
  it('keeps ties with the k-th value', () => {
    assert.deepEqual(apply(new TopKWarper(2), [1, 3, 3, 2, 0]), [NI, 3, 3, NI, NI]);
    assert.deepEqual(kept(new TopKWarper(2), [1, 2, 2, 2, 0]), [1, 2, 3]);
    assert.deepEqual(kept(new TopKWarper(3), [1, 3, 3, 2, 0]), [1, 2, 3]);
  });
  it('k larger than the vocabulary keeps everything; min_tokens_to_keep raises k', () => {
    assert.deepEqual(kept(new TopKWarper(50), [1, 2, 3]), [0, 1, 2]);
    assert.deepEqual(kept(new TopKWarper(1, 3), [4, 1, 2, 3]), [0, 2, 3]);
  });
  it('an all -inf row stays as it is', () => {
    assert.deepEqual(apply(new TopKWarper(1), [NI, NI]), [NI, NI]);
  });
  it('rejects k < 1', () => {
    assert.throws(() => new TopKWarper(0), ConfigError);
  });
});

describe('top-p', () => {
  it('keeps the smallest top set with mass >= p, boundary token included', () => {
    assert.deepEqual(kept(new TopPWarper(0.6), L), [0, 1]); // 0.5 < 0.6, 0.5 + 0.3 >= 0.6
    assert.deepEqual(kept(new TopPWarper(0.4), L), [0]);
    assert.deepEqual(kept(new TopPWarper(0.85), L), [0, 1, 2]);
    assert.deepEqual(kept(new TopPWarper(0.97), L), [0, 1, 2, 3]);
  });
  it('top_p = 1 keeps every token with mass; top_p = 0 keeps the best', () => {
    assert.deepEqual(kept(new TopPWarper(1), [0, -30, 5]), [0, 1, 2]);
    assert.deepEqual(kept(new TopPWarper(0), L), [0]);
  });
  it('min_tokens_to_keep', () => {
    assert.deepEqual(kept(new TopPWarper(0.4, 3), L), [0, 1, 2]);
  });
  it('ties at the boundary: the stable ascending sort removes the lower ids first', () => {
    assert.deepEqual(kept(new TopPWarper(0.5), [0, 0, 0, 0]), [2, 3]);
  });
  it('rejects p outside [0, 1]', () => {
    assert.throws(() => new TopPWarper(1.5), ConfigError);
  });
});

describe('min-p', () => {
  it('removes p < min_p * p_max', () => {
    assert.deepEqual(kept(new MinPWarper(0.2), L), [0, 1, 2]); // threshold 0.1
    assert.deepEqual(kept(new MinPWarper(0.5), L), [0, 1]); // threshold 0.25
    assert.deepEqual(kept(new MinPWarper(0.5, 3), L), [0, 1, 2]);
  });
  it('min_p = 1 keeps the argmax and its exact ties', () => {
    assert.deepEqual(kept(new MinPWarper(1), [1, 2, 2, 0]), [1, 2]);
  });
});

describe('typical-p', () => {
  it('keeps tokens closest to the entropy until the mass is reached', () => {
    assert.deepEqual(kept(new TypicalWarper(0.2), L), [1]); // the most typical is not the most probable
    assert.deepEqual(kept(new TypicalWarper(0.5), L), [0, 1]);
    assert.deepEqual(kept(new TypicalWarper(0.9), L), [0, 1, 2]);
    assert.deepEqual(kept(new TypicalWarper(0.2, 2), L), [0, 1]);
  });
  it('requires 0 < typical_p < 1', () => {
    assert.throws(() => new TypicalWarper(1), ConfigError);
  });
});

describe('epsilon and eta cutoffs', () => {
  it('epsilon removes p < epsilon, keeping the top min_tokens_to_keep', () => {
    assert.deepEqual(kept(new EpsilonWarper(0.1), L), [0, 1, 2]);
    assert.deepEqual(kept(new EpsilonWarper(0.6), L), [0]);
    assert.deepEqual(kept(new EpsilonWarper(0.6, 2), L), [0, 1]);
  });
  it('eta = min(eps, sqrt(eps) * exp(-H))', () => {
    // H = 1.14212: eps 0.1 -> eta 0.1; eps 0.2 -> 0.1427; eps 0.3 -> 0.1748 (below eps)
    assert.deepEqual(kept(new EtaWarper(0.1), L), [0, 1, 2]);
    assert.deepEqual(kept(new EtaWarper(0.2), L), [0, 1, 2]);
    assert.deepEqual(kept(new EtaWarper(0.3), L), [0, 1]);
    assert.deepEqual(kept(new EpsilonWarper(0.16), L), [0, 1]); // epsilon alone at a similar level cuts the same
  });
});

describe('all -inf rows', () => {
  it('every warper leaves a row without candidates as it is (no NaN)', () => {
    for (const w of [
      new TopKWarper(2),
      new TopPWarper(0.5),
      new MinPWarper(0.1),
      new TypicalWarper(0.5),
      new EpsilonWarper(0.1),
      new EtaWarper(0.1),
      new TemperatureWarper(0.5),
    ]) {
      assert.deepEqual(apply(w, [NI, NI, NI]), [NI, NI, NI], w.name);
    }
  });
  it('a row with one finite score keeps it', () => {
    for (const w of [
      new TopKWarper(2),
      new TopPWarper(0.5),
      new MinPWarper(0.1),
      new TypicalWarper(0.5),
      new EpsilonWarper(0.1),
      new EtaWarper(0.1),
    ]) {
      assert.deepEqual(kept(w, [NI, 1, NI]), [1], w.name);
    }
  });
});

describe('logit normalization', () => {
  it('turns scores into log-probs', () => {
    const out = apply(new LogitNormalization(), [1, 2, 3, NI]);
    const z = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    out.slice(0, 3).forEach((x, i) => assert.ok(Math.abs(x - (i + 1 - z)) < 1e-6));
    assert.equal(out[3], NI);
  });
});

describe('processor list and config', () => {
  it('builds processors in HF order, warpers only when sampling', () => {
    const cfg = resolveGenerationConfig({
      doSample: true,
      temperature: 0.7,
      topK: 5,
      topP: 0.9,
      minP: 0.05,
      typicalP: 0.95,
      epsilonCutoff: 0.001,
      etaCutoff: 0.001,
      repetitionPenalty: 1.2,
      frequencyPenalty: 0.1,
      noRepeatNgramSize: 3,
      badWordsIds: [[5]],
      sequenceBias: [[[1], 1]],
      logitBias: { '2': 1 },
      minLength: 3,
      minNewTokens: 2,
      forcedBosTokenId: 0,
      forcedEosTokenId: 1,
      removeInvalidValues: true,
      exponentialDecayLengthPenalty: [2, 1.1],
      suppressTokens: [7],
      beginSuppressTokens: [8],
      renormalizeLogits: true,
      eosTokenId: 1,
    });
    assert.deepEqual(buildLogitsProcessors(cfg).names(), [
      'sequence_bias',
      'logit_bias',
      'repetition_penalty',
      'frequency_presence_penalty',
      'no_repeat_ngram_size',
      'bad_words_ids',
      'min_length',
      'min_new_tokens',
      'forced_bos_token_id',
      'forced_eos_token_id',
      'remove_invalid_values',
      'exponential_decay_length_penalty',
      'suppress_tokens',
      'begin_suppress_tokens',
      'temperature',
      'top_k',
      'top_p',
      'min_p',
      'typical_p',
      'epsilon_cutoff',
      'eta_cutoff',
      'renormalize_logits',
    ]);
    const greedy = resolveGenerationConfig({ temperature: 0.7, topK: 5, repetitionPenalty: 1.2 });
    assert.deepEqual(buildLogitsProcessors(greedy).names(), ['repetition_penalty']);
  });
  it('HF defaults: sampling alone applies top_k 50', () => {
    assert.deepEqual(buildLogitsProcessors(resolveGenerationConfig({ doSample: true })).names(), ['top_k']);
    assert.deepEqual(buildLogitsProcessors(resolveGenerationConfig({ doSample: true, topK: 0 })).names(), []);
  });
  it('a custom processor replaces the default of the same name, others go before the warpers', () => {
    const mine: LogitsProcessor = { name: 'repetition_penalty', process: () => undefined };
    const extra: LogitsProcessor = { name: 'mine', process: () => undefined };
    const cfg = resolveGenerationConfig({ doSample: true, topK: 3, repetitionPenalty: 1.5 });
    const list = buildLogitsProcessors(cfg, { custom: [mine, extra] });
    assert.deepEqual(list.names(), ['repetition_penalty', 'mine', 'top_k']);
    assert.equal(list.processors[0], mine);
  });
  it('beam sampling keeps len(eos) + 1 tokens at least', () => {
    const cfg = resolveGenerationConfig({ doSample: true, numBeams: 2, topK: 1, eosTokenId: [0, 1] });
    const s = Float32Array.from([5, 4, 3, 2]);
    buildLogitsProcessors(cfg).process([[0]], s, 4);
    assert.deepEqual(Array.from(s), [5, 4, 3, NI]);
  });
  it('reads snake_case JSON, names bad fields, ignores unknown keys', () => {
    const { config, ignored } = readGenerationConfig({
      max_new_tokens: 5,
      top_p: 0.9,
      eos_token_id: [1, 2],
      early_stopping: 'never',
      transformers_version: '4.40',
      temperature: null,
    });
    assert.deepEqual(config, { maxNewTokens: 5, topP: 0.9, eosTokenId: [1, 2], earlyStopping: 'never' });
    assert.deepEqual(ignored, ['transformers_version']);
    assert.throws(
      () => readGenerationConfig({ top_k: 'ten' }),
      (e: unknown) => e instanceof ConfigError && e.field === 'top_k',
    );
    assert.throws(() => readGenerationConfig({ max_new_tokens: 2.5 }), ConfigError);
    assert.throws(() => readGenerationConfig({ early_stopping: 'sometimes' }), ConfigError);
    assert.throws(() => readGenerationConfig({ top_k: 1, topK: 2 }), ConfigError);
  });
  it('cross-field rules', () => {
    assert.throws(() => resolveGenerationConfig({ numReturnSequences: 2 }), ConfigError);
    assert.throws(() => resolveGenerationConfig({ numBeams: 2, numReturnSequences: 3 }), ConfigError);
    assert.throws(() => resolveGenerationConfig({ numBeams: 3, numBeamGroups: 2 }), ConfigError);
    assert.throws(() => resolveGenerationConfig({ diversityPenalty: 1 }), ConfigError);
    assert.equal(resolveGenerationConfig({}).maxLength, 20);
  });
});
