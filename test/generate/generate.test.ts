// The greedy/sampling loop against mock models: KV cache vs recomputation, left
// padding vs running alone, stopping (EOS lists, budgets, stop strings, callback),
// encoder-decoder decoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, ConfigError } from '../../src/core/errors.ts';
import { leftPad, positionIdsFromMask } from '../../src/generate/decode-state.ts';
import { generate, toPaddedSequences, type GenerateOptions } from '../../src/generate/generate.ts';
import { AttentionMockModel, FunctionModel, StringTokenizer } from './mock-models.ts';

const V = 12;
const prompts = [[3, 1, 4, 1, 5], [9], [2, 6, 5, 3], [5, 8, 9, 7, 9, 3, 2]];

describe('position ids and padding', () => {
  it('cumsum(mask) - 1 with pads set to 1', () => {
    const { tokens, mask, length } = leftPad([[7, 8, 9], [5]], 0);
    assert.deepEqual(Array.from(tokens), [7, 8, 9, 0, 0, 5]);
    assert.deepEqual(Array.from(mask), [1, 1, 1, 0, 0, 1]);
    assert.deepEqual(Array.from(positionIdsFromMask(mask, 2, length)), [0, 1, 2, 1, 1, 0]);
    assert.deepEqual(Array.from(positionIdsFromMask(Uint8Array.from([0, 0, 1, 1, 1]), 1, 5)), [1, 1, 0, 1, 2]);
    assert.deepEqual(Array.from(positionIdsFromMask(Uint8Array.from([0, 0, 1, 1, 1]), 1, 5, 2)), [1, 2]);
  });
  it('the mock model is sensitive to positions and padding (so the tests below can fail)', () => {
    const m = new AttentionMockModel(V, 3);
    const s = m.startSession({ batchSize: 1, useCache: false, maxLength: 8 });
    const at = (tokens: number[], mask: number[], pos: number[]): number[] =>
      Array.from(
        s.forward({
          tokens: Int32Array.from(tokens),
          length: tokens.length,
          attentionMask: Uint8Array.from(mask),
          positionIds: Int32Array.from(pos),
        }),
      );
    const alone = at([4, 5], [1, 1], [0, 1]);
    assert.deepEqual(at([0, 4, 5], [0, 1, 1], [1, 0, 1]), alone);
    assert.notDeepEqual(at([0, 4, 5], [0, 1, 1], [0, 1, 2]), alone); // arange positions shift the row
    assert.notDeepEqual(at([0, 4, 5], [1, 1, 1], [0, 1, 2]), alone); // an unmasked pad leaks in
  });
});

describe('KV cache', () => {
  for (const opts of [
    {},
    { repetitionPenalty: 1.3, noRepeatNgramSize: 2 },
    { doSample: true, seed: 5, topK: 6 },
  ] as GenerateOptions[]) {
    it(`cached and uncached runs give the same tokens ${JSON.stringify(opts)}`, () => {
      const a = new AttentionMockModel(V, 7);
      const b = new AttentionMockModel(V, 7);
      const cached = generate(a, undefined, prompts, { ...opts, maxNewTokens: 12, useCache: true });
      const full = generate(b, undefined, prompts, { ...opts, maxNewTokens: 12, useCache: false });
      assert.deepEqual(
        cached.sequences.map((s) => s.ids),
        full.sequences.map((s) => s.ids),
      );
      assert.deepEqual(
        cached.sequences.map((s) => s.logprobs),
        full.sequences.map((s) => s.logprobs),
      );
      // the cache feeds one position per row per step after the prompt
      const padded = Math.max(...prompts.map((p) => p.length));
      assert.equal(a.stats.tokens, prompts.length * (padded + 11));
      assert.ok(b.stats.tokens > a.stats.tokens * 2);
    });
  }
});

describe('left-padded batches', () => {
  it('each row equals the prompt generated alone (greedy, with processors that read the ids)', () => {
    const opts: GenerateOptions = {
      maxNewTokens: 10,
      repetitionPenalty: 1.5,
      noRepeatNgramSize: 2,
      minNewTokens: 3,
      eosTokenId: 0,
    };
    const batch = generate(new AttentionMockModel(V, 11), undefined, prompts, opts);
    prompts.forEach((p, i) => {
      const alone = generate(new AttentionMockModel(V, 11), undefined, [p], opts);
      assert.deepEqual(batch.sequences[i]!.ids, alone.sequences[0]!.ids, `prompt ${i}`);
      assert.deepEqual(batch.sequences[i]!.modelLogprobs, alone.sequences[0]!.modelLogprobs);
    });
  });
  it('rows that finish leave the batch; the others keep going', () => {
    const m = new AttentionMockModel(V, 14);
    const res = generate(m, undefined, prompts, { maxNewTokens: 15, eosTokenId: [0, 1] });
    assert.deepEqual(
      res.sequences.map((s) => [s.ids.length, s.finishReason]),
      [
        [15, 'length'],
        [15, 'length'],
        [2, 'eos'],
        [2, 'eos'],
      ],
    );
    for (const s of res.sequences)
      assert.ok(
        s.ids.slice(0, -1).every((t) => t !== 0 && t !== 1),
        'no EOS before the end',
      );
    // 4 rows x 7 padded positions, then 4 rows for step 2, then only the 2 running rows for 13 steps
    assert.equal(m.stats.tokens, 4 * 7 + 4 + 2 * 13);
  });
});

describe('stopping', () => {
  // deterministic next token = fn(generated count), via a one-hot logit
  const scripted = (script: number[], vocab: number): FunctionModel =>
    new FunctionModel(vocab, (real) => {
      const out = new Array<number>(vocab).fill(0);
      out[script[(real.length - 1) % script.length]!] = 10;
      return out;
    });

  it('max_new_tokens and max_length (which counts the padded prompt)', () => {
    const m = scripted([2], 4);
    assert.equal(generate(m, undefined, [[1, 1]], { maxNewTokens: 3 }).sequences[0]!.ids.length, 3);
    const r = generate(m, undefined, [[1, 1], [1]], { maxLength: 6 });
    assert.equal(r.maxNewTokens, 4);
    assert.deepEqual(
      r.sequences.map((s) => [s.ids.length, s.finishReason]),
      [
        [4, 'length'],
        [4, 'length'],
      ],
    );
    assert.throws(() => generate(m, undefined, [[1, 1, 1]], { maxLength: 3 }), ConfigError);
  });
  it('EOS from a list stops the row with the EOS kept; min_new_tokens delays it', () => {
    const m = scripted([1, 3, 2], 4);
    const r = generate(m, undefined, [[0]], { maxNewTokens: 9, eosTokenId: [2, 3] });
    assert.deepEqual(r.sequences[0]!.ids, [1, 3]);
    assert.equal(r.sequences[0]!.finishReason, 'eos');
    // with EOS suppressed for 3 tokens, the one-hot falls back to the argmax of the rest (id 0)
    const r2 = generate(m, undefined, [[0]], { maxNewTokens: 9, eosTokenId: [2, 3], minNewTokens: 3 });
    assert.deepEqual(r2.sequences[0]!.ids, [1, 0, 0, 1, 3]);
  });
  it('stop strings match across token boundaries and keep the completing token', () => {
    const tok = new StringTokenizer(['<s>', 'he', 'llo', ' E', 'N', 'D!', 'xx']);
    const m = scripted([1, 2, 3, 4, 5, 6, 6], tok.vocab.length);
    const r = generate(m, tok, 'he', { maxNewTokens: 20, stopStrings: ['END'] });
    const s = r.sequences[0]!;
    assert.equal(s.finishReason, 'stop_string');
    assert.deepEqual(s.ids, [1, 2, 3, 4, 5]);
    assert.equal(s.text, 'hello END!');
    const none = generate(m, tok, 'he', { maxNewTokens: 6, stopStrings: ['ENDX'] }).sequences[0]!;
    assert.equal(none.finishReason, 'length');
    assert.throws(() => generate(m, undefined, [[1]], { stopStrings: ['x'] }), ConfigError);
  });
  it('a user callback stops a row', () => {
    const m = scripted([1, 2, 3], 4);
    const r = generate(m, undefined, [[0], [0, 0]], {
      maxNewTokens: 9,
      stoppingCallback: ({ promptIndex, generated }) => promptIndex === 1 && generated.length === 2,
    });
    assert.deepEqual(
      r.sequences.map((s) => [s.ids.length, s.finishReason]),
      [
        [9, 'length'],
        [2, 'callback'],
      ],
    );
  });
});

describe('inputs and errors', () => {
  const m = new AttentionMockModel(V, 2, 16);
  it('text prompts go through tokenizer.encode and come back decoded', () => {
    const tok = new StringTokenizer(Array.from({ length: V }, (_, i) => String.fromCharCode(97 + i)));
    const r = generate(m, tok, ['abc', 'd'], { maxNewTokens: 3 });
    assert.deepEqual(r.promptIds, [[0, 1, 2], [3]]);
    assert.equal(r.sequences[0]!.text, tok.decode(r.sequences[0]!.ids));
  });
  it('toPaddedSequences gives the HF layout [left-padded prompt, generated, pad fill]', () => {
    const m2 = new FunctionModel(4, (real) => (real.length >= 2 ? [0, 0, 9, 0] : [0, 9, 0, 0]));
    const r = generate(m2, undefined, [[3, 3], [3]], { maxNewTokens: 3, eosTokenId: 2 });
    assert.deepEqual(
      r.sequences.map((s) => s.ids),
      [[2], [1, 2]],
    );
    const { ids, rows, length } = toPaddedSequences(r, 0);
    assert.deepEqual([rows, length], [2, 4]);
    assert.deepEqual(Array.from(ids), [3, 3, 2, 0, 0, 3, 1, 2]);
  });
  it('bad prompts and budgets are typed errors', () => {
    assert.throws(() => generate(m, undefined, [[0, 99]], { maxNewTokens: 2 }), ArgumentError);
    assert.throws(() => generate(m, undefined, ['text'], { maxNewTokens: 2 }), ArgumentError);
    assert.throws(() => generate(m, undefined, [], { maxNewTokens: 2 }), ArgumentError);
    // beyond maxPositions 16: sampling crops the context (context-window.test.ts); contrastive search cannot
    assert.throws(
      () => generate(m, undefined, [[1, 2]], { maxNewTokens: 15, penaltyAlpha: 0.5, topK: 2 }),
      ConfigError,
    );
    assert.throws(() => generate(m, undefined, [[]], { maxNewTokens: 2 }), ArgumentError);
    assert.equal(generate(m, undefined, [[]], { maxNewTokens: 2, bosTokenId: 1 }).promptIds[0]![0], 1);
  });
  it('output_scores returns the processed rows', () => {
    const r = generate(m, undefined, [[1]], { maxNewTokens: 2, outputScores: true, suppressTokens: [0] });
    const scores = r.sequences[0]!.scores!;
    assert.equal(scores.length, 2);
    assert.equal(scores[0]![0], -Infinity);
  });
});

describe('encoder-decoder', () => {
  // the decoder copies the encoder input, then emits EOS (id 1); decoder start is id 0
  const copy = new FunctionModel(
    10,
    (real, enc) => {
      const out = new Array<number>(10).fill(0);
      const i = real.length - 1; // tokens after the start token
      out[i < enc!.length ? enc![i]! : 1] = 5;
      return out;
    },
    true,
    0,
  );
  it('encodes the prompt, decodes from the start token, batches of different lengths match alone', () => {
    const inputs = [[4, 5, 6], [7], [2, 3, 8, 9]];
    const r = generate(copy, undefined, inputs, { maxNewTokens: 8, eosTokenId: 1 });
    assert.deepEqual(
      r.sequences.map((s) => s.ids),
      inputs.map((x) => [...x, 1]),
    );
    const beams = generate(copy, undefined, inputs, { maxNewTokens: 8, eosTokenId: 1, numBeams: 3 });
    assert.deepEqual(
      beams.sequences.map((s) => s.ids),
      inputs.map((x) => [...x, 1]),
    );
  });
  it('encoder_no_repeat_ngram_size is accepted only for encoder-decoder models', () => {
    const r = generate(copy, undefined, [[4, 5, 6]], { maxNewTokens: 4, eosTokenId: 1, encoderNoRepeatNgramSize: 2 });
    assert.notDeepEqual(r.sequences[0]!.ids.slice(0, 3), [4, 5, 6]);
    assert.throws(
      () => generate(new AttentionMockModel(V), undefined, [[1]], { maxNewTokens: 2, encoderNoRepeatNgramSize: 2 }),
      ConfigError,
    );
  });
});
