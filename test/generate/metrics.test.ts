// Repetition measures on hand-counted sequences.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError } from '../../src/core/errors.ts';
import { distinctN, meanRepetitionRate, ngrams, repetitionRate, tokenRepetition } from '../../src/generate/metrics.ts';

describe('n-gram repetition metrics', () => {
  const loop = 'I think I think I think'.split(' ');
  it('ngrams', () => {
    assert.deepEqual(ngrams([1, 2, 3], 2), ['1\u00012', '2\u00013']);
    assert.deepEqual(ngrams([1], 2), []);
  });
  it('distinct-n pools n-grams over sequences', () => {
    // 2-grams: "I think" x3, "think I" x2 -> 2 distinct of 5
    assert.equal(distinctN([loop], 2), 2 / 5);
    assert.equal(
      distinctN(
        [
          [1, 2, 3],
          [1, 2, 4],
        ],
        2,
      ),
      3 / 4,
    );
    assert.equal(distinctN([[1, 2, 3, 4]], 1), 1);
    assert.ok(Number.isNaN(distinctN([[1]], 2)));
  });
  it('repetition rate within a sequence', () => {
    assert.equal(repetitionRate('I think I think'.split(' '), 2), 1 - 2 / 3);
    assert.equal(repetitionRate([1, 2, 3, 4], 2), 0);
    assert.ok(Math.abs(meanRepetitionRate([[1, 1, 1], [1, 2, 3], [5]], 1) - 2 / 9) < 1e-12);
    assert.equal(meanRepetitionRate([[1, 1, 1], [5]], 2), 1 / 2); // [5] has no 2-gram and is skipped
  });
  it('token repetition within a window', () => {
    // positions 1..4 of [a b a c a]: a seen at 2 (window 2 covers 0-1) yes, b no, c no, a (window 3-4? covers 2-3) yes
    assert.equal(tokenRepetition(['a', 'b', 'a', 'c', 'a'], 2), 2 / 4);
    assert.equal(tokenRepetition(['a', 'b', 'a', 'c', 'a'], 1), 0);
    assert.throws(() => tokenRepetition([1, 2], 0), ArgumentError);
  });
});
