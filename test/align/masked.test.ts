import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskedMean, maskedVar, maskedWhiten } from '../../src/align/shared/masked.ts';

function plainStats(xs: number[]): { mean: number; varUnbiased: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, varUnbiased: xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) };
}

describe('masked statistics', () => {
  it('equal the plain statistics of the valid elements, whatever the padding holds', () => {
    fc.assert(
      fc.property(
        fc
          .array(
            fc.tuple(
              fc.double({ min: -100, max: 100, noNaN: true }),
              fc.boolean(),
              fc.double({ min: -1e6, max: 1e6, noNaN: true }),
            ),
            { minLength: 2, maxLength: 40 },
          )
          .filter((xs) => xs.filter(([, m]) => m).length >= 2),
        (items) => {
          const x = items.map(([v, m, pad]) => (m ? v : pad));
          const mask = items.map(([, m]) => (m ? 1 : 0));
          const valid = items.filter(([, m]) => m).map(([v]) => v);
          const { mean, varUnbiased } = plainStats(valid);
          assert.ok(Math.abs(maskedMean(x, mask) - mean) < 1e-9 * Math.max(1, Math.abs(mean)));
          assert.ok(Math.abs(maskedVar(x, mask) - varUnbiased) < 1e-7 * Math.max(1, varUnbiased));
          const w = maskedWhiten(x, mask);
          const ws = Array.from(w).filter((_, i) => mask[i] === 1);
          const expected = valid.map((v) => (v - mean) / Math.sqrt(varUnbiased + 1e-8));
          ws.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4 * Math.max(1, Math.abs(expected[i]!))));
          Array.from(w).forEach((v, i) => {
            if (mask[i] === 0) assert.equal(v, 0);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('whitened valid entries have mean 0 and unbiased variance 1', () => {
    const x = [1, 5, 2, 99, 8, -3, 42];
    const mask = [1, 1, 1, 0, 1, 1, 0];
    const w = maskedWhiten(x, mask);
    assert.ok(Math.abs(maskedMean(w, mask)) < 1e-6);
    assert.ok(Math.abs(maskedVar(w, mask) - 1) < 1e-5);
  });

  it('shiftMean false keeps the mean (TRL reward whitening)', () => {
    const x = [1, 2, 3, 10];
    const mask = [1, 1, 1, 0];
    const w = maskedWhiten(x, mask, false);
    assert.ok(Math.abs(maskedMean(w, mask) - 2) < 1e-6);
    assert.ok(Math.abs(maskedVar(w, mask) - 1) < 1e-5);
  });

  it('refuses an empty mask and an unbiased variance of one element', () => {
    assert.throws(() => maskedMean([1, 2], [0, 0]), /no element/);
    assert.throws(() => maskedVar([1, 2], [1, 0]), /at least 2/);
    assert.equal(maskedVar([1, 2], [1, 0], false), 0);
  });
});
