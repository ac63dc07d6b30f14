// Logits processors against hand-computed expectations (HF logits_process.py semantics).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError, ConfigError, ShapeError } from '../../src/core/errors.ts';
import type { ProcessContext } from '../../src/generate/processor.ts';
import { ExponentialDecayLengthPenaltyProcessor } from '../../src/generate/processors/exponential-decay.ts';
import { ForcedBOSProcessor, ForcedEOSProcessor } from '../../src/generate/processors/forced-tokens.ts';
import { FrequencyPresencePenaltyProcessor } from '../../src/generate/processors/frequency-penalty.ts';
import { InfNanRemoveProcessor } from '../../src/generate/processors/inf-nan-remove.ts';
import { LogitBiasProcessor } from '../../src/generate/processors/logit-bias.ts';
import { MinLengthProcessor, MinNewTokensProcessor } from '../../src/generate/processors/min-length.ts';
import {
  EncoderNoRepeatNGramProcessor,
  NoRepeatNGramProcessor,
} from '../../src/generate/processors/no-repeat-ngram.ts';
import { PrefixConstrainedProcessor } from '../../src/generate/processors/prefix-constrained.ts';
import {
  EncoderRepetitionPenaltyProcessor,
  RepetitionPenaltyProcessor,
} from '../../src/generate/processors/repetition-penalty.ts';
import { NoBadWordsProcessor, SequenceBiasProcessor } from '../../src/generate/processors/sequence-bias.ts';
import {
  SuppressTokensAtBeginProcessor,
  SuppressTokensProcessor,
} from '../../src/generate/processors/suppress-tokens.ts';

const NI = -Infinity;

function run(
  p: { process(ids: readonly (readonly number[])[], s: Float32Array, v: number, ctx?: ProcessContext): void },
  ids: number[][],
  rows: number[][],
  ctx?: ProcessContext,
): number[][] {
  const V = rows[0]!.length;
  const s = Float32Array.from(rows.flat());
  p.process(ids, s, V, ctx);
  return rows.map((_, b) => Array.from(s.subarray(b * V, (b + 1) * V)));
}

const ctxOf = (
  promptLengths: number[],
  maxNewTokens = Infinity,
  extra: Partial<ProcessContext> = {},
): ProcessContext => ({
  promptLengths,
  maxNewTokens,
  batchIndex: promptLengths.map((_, i) => i),
  ...extra,
});

describe('repetition penalty', () => {
  it('divides positive and multiplies negative scores of seen tokens once each, prompt included', () => {
    const out = run(new RepetitionPenaltyProcessor(2), [[0, 1, 1, 1]], [[2, -2, 0.5, 1]]);
    assert.deepEqual(out, [[1, -4, 0.5, 1]]);
  });
  it('a zero score stays zero; penalty < 1 rewards', () => {
    assert.deepEqual(run(new RepetitionPenaltyProcessor(0.5), [[0, 1, 2]], [[0, -1, 2, 3]]), [[0, -0.5, 4, 3]]);
  });
  it('skipPrompt penalizes only generated tokens (per-row prompt lengths)', () => {
    const out = run(
      new RepetitionPenaltyProcessor(2, { skipPrompt: true }),
      [
        [0, 1],
        [0, 1],
      ],
      [
        [2, 2, 2],
        [2, 2, 2],
      ],
      ctxOf([1, 2]),
    );
    assert.deepEqual(out, [
      [2, 1, 2],
      [2, 2, 2],
    ]);
  });
  it('rejects penalty <= 0', () => {
    assert.throws(() => new RepetitionPenaltyProcessor(0), ConfigError);
  });
  it('encoder repetition penalty applies 1/p over the encoder ids (rewards them)', () => {
    const out = run(
      new EncoderRepetitionPenaltyProcessor(2),
      [[3]],
      [[1, -1, 1, 1]],
      ctxOf([1], Infinity, { encoderIds: [[0, 1]] }),
    );
    assert.deepEqual(out, [[2, -0.5, 1, 1]]);
    assert.throws(() => run(new EncoderRepetitionPenaltyProcessor(2), [[3]], [[1, 1, 1, 1]]), ArgumentError);
  });
});

describe('frequency and presence penalties', () => {
  it('subtract count * frequency + presence over the window', () => {
    const out = run(new FrequencyPresencePenaltyProcessor(0.5, 0.25), [[3, 3, 1]], [[0, 0, 0, 0]]);
    assert.deepEqual(out, [[0, -0.75, 0, -1.25]]);
  });
  it('penalty_last_n limits the window to the last n ids', () => {
    const out = run(new FrequencyPresencePenaltyProcessor(0.5, 0.25, 1), [[3, 3, 1]], [[0, 0, 0, 0]]);
    assert.deepEqual(out, [[0, -0.75, 0, 0]]);
  });
});

describe('no-repeat n-gram', () => {
  it('bans the token that would complete an earlier n-gram (prompt included)', () => {
    assert.deepEqual(run(new NoRepeatNGramProcessor(3), [[1, 2, 3, 1, 2]], [[0, 0, 0, 0]]), [[0, 0, 0, NI]]);
    assert.deepEqual(run(new NoRepeatNGramProcessor(2), [[1, 2, 1]], [[0, 0, 0, 0]]), [[0, 0, NI, 0]]);
  });
  it('bans every continuation seen after the prefix', () => {
    assert.deepEqual(run(new NoRepeatNGramProcessor(2), [[1, 2, 1, 3, 1]], [[0, 0, 0, 0]]), [[0, 0, NI, NI]]);
  });
  it('size 1 bans every token already present', () => {
    assert.deepEqual(run(new NoRepeatNGramProcessor(1), [[0, 2]], [[0, 0, 0, 0]]), [[NI, 0, NI, 0]]);
  });
  it('rows shorter than n - 1 tokens are untouched, rows differ independently', () => {
    assert.deepEqual(
      run(
        new NoRepeatNGramProcessor(4),
        [
          [1, 2],
          [1, 2, 3, 1, 2],
        ],
        [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      ),
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    );
  });
  it('encoder variant bans n-grams of the encoder input', () => {
    const out = run(
      new EncoderNoRepeatNGramProcessor(2),
      [[0, 6]],
      [[0, 0, 0, 0, 0, 0, 0, 0]],
      ctxOf([1], Infinity, { encoderIds: [[5, 6, 7]] }),
    );
    assert.deepEqual(out, [[0, 0, 0, 0, 0, 0, 0, NI]]);
  });
});

describe('sequence bias, logit bias, bad words', () => {
  const entries: [number[], number][] = [
    [[2], 1.5],
    [[0, 1], -1],
    [[1, 1], -2],
    [[3, 0, 1], 0.5],
  ];
  it('length-1 always, longer ones only when the prefix matches; biases on the same token add', () => {
    const p = new SequenceBiasProcessor(entries);
    const out = run(
      p,
      [
        [2, 0],
        [0, 1],
        [2, 3, 0],
        [1, 2],
      ],
      [
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ],
    );
    assert.deepEqual(out, [
      [0, -1, 1.5, 0],
      [0, -2, 1.5, 0],
      [0, -0.5, 1.5, 0], // (0,1) -1 and (3,0,1) +0.5 both match
      [0, 0, 1.5, 0],
    ]);
  });
  it('a sequence longer than the row is ignored even if the row matches its prefix (HF: len(seq) > context)', () => {
    const p = new SequenceBiasProcessor([[[3, 0, 1], 5]]);
    assert.deepEqual(run(p, [[3, 0]], [[0, 0, 0, 0]]), [[0, 0, 0, 0]]);
    assert.deepEqual(run(new SequenceBiasProcessor([[[0, 1], 5]]), [[0]], [[0, 0, 0, 0]]), [[0, 0, 0, 0]]);
    assert.deepEqual(run(p, [[1, 3, 0]], [[0, 0, 0, 0]]), [[0, 5, 0, 0]]);
  });
  it('a sequence listed twice keeps its last bias', () => {
    const p = new SequenceBiasProcessor([
      [[2], 1],
      [[2], 3],
    ]);
    assert.deepEqual(run(p, [[0]], [[0, 0, 0]]), [[0, 0, 3]]);
  });
  it('token ids outside the vocabulary raise', () => {
    assert.throws(() => run(new SequenceBiasProcessor([[[7], 1]]), [[0]], [[0, 0]]), ArgumentError);
    assert.throws(() => new SequenceBiasProcessor([[[-1], 1]]), ConfigError);
  });
  it('bad words ban the last token after the prefix; [eos] entries are dropped', () => {
    const p = new NoBadWordsProcessor([[1, 2], [3], [0]], [0]);
    assert.deepEqual(
      run(
        p,
        [
          [0, 1],
          [0, 2],
        ],
        [
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ],
      ),
      [
        [0, 0, NI, NI],
        [0, 0, 0, NI],
      ],
    );
    assert.throws(() => new NoBadWordsProcessor([]), ConfigError);
  });
  it('logit bias adds per token, -inf bans', () => {
    const p = new LogitBiasProcessor({ '1': 2, '3': -Infinity });
    assert.deepEqual(run(p, [[0]], [[1, 1, 1, 1]]), [[1, 3, 1, NI]]);
  });
});

describe('length processors', () => {
  it('min_length counts the whole row and suppresses every EOS id', () => {
    const p = new MinLengthProcessor(3, [1, 2]);
    assert.deepEqual(
      run(
        p,
        [
          [0, 0],
          [0, 0, 0],
        ],
        [
          [5, 5, 5],
          [5, 5, 5],
        ],
      ),
      [
        [5, NI, NI],
        [5, 5, 5],
      ],
    );
  });
  it('min_new_tokens counts generated tokens only', () => {
    const p = new MinNewTokensProcessor(2, [1]);
    const out = run(
      p,
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
      [
        [5, 5],
        [5, 5],
      ],
      ctxOf([2, 1]),
    );
    assert.deepEqual(out, [
      [5, NI],
      [5, 5],
    ]);
  });
  it('exponential decay raises EOS after start_index generated tokens', () => {
    const p = new ExponentialDecayLengthPenaltyProcessor(1, 2, [0]);
    // generated 1: no change; generated 3: over = 2, s + |s| * (2^2 - 1)
    const out = run(
      p,
      [
        [1, 1],
        [1, 1, 1, 1],
      ],
      [
        [-1, 0],
        [-1, 0],
      ],
      ctxOf([1, 1]),
    );
    assert.deepEqual(out, [
      [-1, 0],
      [2, 0],
    ]);
  });
});

describe('forced, suppressed and constrained tokens', () => {
  it('forced BOS on one-token rows only', () => {
    const out = run(
      new ForcedBOSProcessor(2),
      [[0], [0, 1]],
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
    );
    assert.deepEqual(out, [
      [NI, NI, 0],
      [1, 1, 1],
    ]);
  });
  it('forced EOS at the last allowed token', () => {
    const p = new ForcedEOSProcessor([0, 2]);
    const out = run(
      p,
      [
        [5, 5, 5],
        [5, 5],
      ],
      [
        [1, 1, 1],
        [1, 1, 1],
      ],
      ctxOf([1, 1], 3),
    );
    assert.deepEqual(out, [
      [0, NI, 0],
      [1, 1, 1],
    ]);
  });
  it('suppress_tokens always, begin_suppress_tokens at the first new token', () => {
    assert.deepEqual(run(new SuppressTokensProcessor([0, 9]), [[1]], [[1, 1]]), [[NI, 1]]);
    const p = new SuppressTokensAtBeginProcessor([1]);
    assert.deepEqual(
      run(
        p,
        [[0], [0, 3]],
        [
          [1, 1],
          [1, 1],
        ],
        ctxOf([1, 1]),
      ),
      [
        [1, NI],
        [1, 1],
      ],
    );
  });
  it('prefix_allowed_tokens_fn keeps only the allowed ids, by prompt index', () => {
    const p = new PrefixConstrainedProcessor((batchId) => (batchId === 0 ? [1] : [0, 2]));
    const out = run(
      p,
      [[0], [0], [0]],
      [
        [1, 1, 1],
        [1, 1, 1],
        [1, 1, 1],
      ],
      { ...ctxOf([1, 1, 1]), batchIndex: [0, 0, 1] },
    );
    assert.deepEqual(out, [
      [NI, 1, NI],
      [NI, 1, NI],
      [1, NI, 1],
    ]);
    assert.throws(() => run(new PrefixConstrainedProcessor(() => []), [[0]], [[1, 1]]), ArgumentError);
  });
  it('remove_invalid_values maps NaN/inf to finite values', () => {
    const out = run(new InfNanRemoveProcessor(), [[0]], [[NaN, Infinity, -Infinity, 1]]);
    assert.equal(out[0]![0], 0);
    assert.equal(out[0]![1], 3.4028234663852886e38);
    assert.equal(out[0]![2], -3.4028234663852886e38);
    assert.equal(out[0]![3], 1);
  });
});

describe('shape checks', () => {
  it('scores must be [ids.length, V]', () => {
    const p = new SuppressTokensProcessor([0]);
    assert.throws(() => p.process([[0], [1]], new Float32Array(3), 3), ShapeError);
  });
});
