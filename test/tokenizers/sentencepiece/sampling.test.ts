/**
 * Subword regularization: Unigram sampling is reproducible with a seed, and the empirical
 * frequencies of a word's segmentations match the exact distribution p(x) ∝ P(x)^alpha
 * (P(x) = product of piece probabilities, enumerated by brute force here), by a chi-square test;
 * n-best sampling follows p ∝ exp(alpha * score) over the n best; BPE-dropout at the extremes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../../src/core/random.ts';
import { SentencePieceProcessor } from '../../../src/tokenizers/sentencepiece/index.ts';
import { modelBytes } from './fixtures.ts';

const sp = SentencePieceProcessor.fromBytes(modelBytes('unigram-en'));
const unigram = sp.unigram!;

/** Every segmentation of `s` into vocabulary pieces (NORMAL), with its log-probability. */
function enumerate(s: string): { key: string; logp: number }[] {
  const out: { key: string; logp: number }[] = [];
  const rec = (pos: number, ids: number[], logp: number): void => {
    if (pos === s.length) {
      out.push({ key: ids.join(','), logp });
      return;
    }
    for (let e = pos + 1; e <= s.length; e++) {
      const id = sp.pieceToId(s.slice(pos, e));
      if (id !== sp.unkId && sp.types[id] === 1) rec(e, [...ids, id], logp + sp.getScore(id));
    }
  };
  rec(0, [], 0);
  return out;
}

/** Upper 0.1% point of chi-square with k degrees of freedom (Wilson-Hilferty). */
function chiSquareCritical(k: number): number {
  const z = 3.090232; // standard normal 0.999 quantile
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

function chiSquare(counts: Map<string, number>, probs: Map<string, number>, n: number): { stat: number; df: number } {
  // pool cells with expected count < 5 into one
  let stat = 0;
  let df = -1;
  let poolObs = 0;
  let poolExp = 0;
  for (const [key, p] of probs) {
    const e = p * n;
    const o = counts.get(key) ?? 0;
    if (e < 5) {
      poolObs += o;
      poolExp += e;
      continue;
    }
    stat += (o - e) ** 2 / e;
    df++;
  }
  if (poolExp > 0) {
    stat += (poolObs - poolExp) ** 2 / poolExp;
    df++;
  }
  return { stat, df };
}

describe('Unigram sampling', () => {
  it('is reproducible with a seed and varies without one', () => {
    const draw = (seed: number): string[] => {
      const rng = new Generator(seed);
      return Array.from({ length: 50 }, () =>
        sp
          .sample('understanding the unbelievable', { alpha: 0.2, rng })
          .map((p) => p.piece)
          .join('|'),
      );
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
    assert.ok(new Set(draw(1)).size > 5);
  });

  for (const [word, alpha] of [
    ['\u2581hello', 0.5],
    ['\u2581understanding', 0.2],
    ['\u2581mother', 0.1],
  ] as const) {
    it(`draws segmentations of ${word} with p ∝ P^${alpha}`, () => {
      const segs = enumerate(word);
      assert.ok(segs.length >= 8, `${segs.length} segmentations`);
      const m = Math.max(...segs.map((s) => alpha * s.logp));
      const z = segs.reduce((acc, s) => acc + Math.exp(alpha * s.logp - m), 0);
      const probs = new Map(segs.map((s) => [s.key, Math.exp(alpha * s.logp - m) / z]));
      const rng = new Generator(1234);
      const n = 10000;
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const key = unigram
          .sample(word, alpha, rng)
          .map((s) => s.id)
          .join(',');
        assert.ok(probs.has(key), `sampled a segmentation that does not exist: ${key}`);
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const { stat, df } = chiSquare(counts, probs, n);
      assert.ok(df >= 2);
      assert.ok(stat < chiSquareCritical(df), `chi-square ${stat.toFixed(1)} with ${df} df`);
      // the test has power: the same draws are rejected against the distribution for 2 * alpha
      const m2 = Math.max(...segs.map((s) => 2 * alpha * s.logp));
      const z2 = segs.reduce((acc, s) => acc + Math.exp(2 * alpha * s.logp - m2), 0);
      const wrong = chiSquare(counts, new Map(segs.map((s) => [s.key, Math.exp(2 * alpha * s.logp - m2) / z2])), n);
      assert.ok(wrong.stat > chiSquareCritical(wrong.df), `alpha x2 not rejected: ${wrong.stat.toFixed(1)}`);
    });
  }

  it('samples among the n best with p ∝ exp(alpha * score)', () => {
    const word = '\u2581understanding';
    const best = unigram.nbest(word, 4);
    const alpha = 0.5;
    const w = best.map((b) => Math.exp(alpha * b.score));
    const z = w.reduce((a, b) => a + b, 0);
    const probs = new Map(best.map((b, i) => [b.segments.map((s) => s.id).join(','), w[i]! / z]));
    const rng = new Generator(5);
    const n = 8000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const key = unigram
        .sample(word, alpha, rng, 4)
        .map((s) => s.id)
        .join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const key of counts.keys()) assert.ok(probs.has(key));
    const { stat, df } = chiSquare(counts, probs, n);
    assert.ok(stat < chiSquareCritical(Math.max(1, df)), `chi-square ${stat.toFixed(1)} with ${df} df`);
  });

  it('with alpha 0 or nbestSize 1 gives the Viterbi segmentation', () => {
    const rng = new Generator(0);
    const best = sp.encodeIds('understanding');
    assert.deepEqual(
      sp.sample('understanding', { alpha: 0, rng }).map((p) => p.id),
      best,
    );
    assert.deepEqual(
      sp.sample('understanding', { alpha: 0.3, rng, nbestSize: 1 }).map((p) => p.id),
      best,
    );
  });
});

describe('BPE-dropout', () => {
  const bpe = SentencePieceProcessor.fromBytes(modelBytes('bpe-en'));
  it('keeps every merge at 0 and none at 1', () => {
    const rng = new Generator(3);
    const text = 'the quick brown fox';
    assert.deepEqual(
      bpe.sample(text, { alpha: 0, rng }).map((p) => p.id),
      bpe.encodeIds(text),
    );
    assert.deepEqual(
      bpe.sample(text, { alpha: 1, rng }).map((p) => p.piece),
      [...'\u2581the\u2581quick\u2581brown\u2581fox'],
    );
  });
  it('is reproducible with a seed', () => {
    const run = (seed: number): string => {
      const rng = new Generator(seed);
      return Array.from({ length: 20 }, () =>
        bpe
          .sample('unbelievable things', { alpha: 0.3, rng })
          .map((p) => p.piece)
          .join('|'),
      ).join(' ');
    };
    assert.equal(run(9), run(9));
    assert.notEqual(run(9), run(10));
  });
});
