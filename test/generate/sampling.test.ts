// Samplers: greedy tie rule, seeded reproducibility, and a chi-square test that the
// empirical token frequencies follow the warped distribution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from '../../src/core/random.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { resolveGenerationConfig } from '../../src/generate/config.ts';
import { generate } from '../../src/generate/generate.ts';
import { softmax } from '../../src/generate/math.ts';
import { buildLogitsProcessors } from '../../src/generate/processor-list.ts';
import { greedyToken, sampleToken, sampleWithoutReplacement } from '../../src/generate/sampler.ts';
import { FunctionModel } from './mock-models.ts';

// chi-square critical values at alpha = 0.001 by degrees of freedom
const CHI2_999: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46 };

function chiSquare(counts: readonly number[], probs: ArrayLike<number>, n: number): { stat: number; df: number } {
  let stat = 0;
  let df = -1;
  counts.forEach((c, i) => {
    const e = probs[i]! * n;
    if (e === 0) {
      assert.equal(c, 0, `token ${i} has probability 0 but was drawn ${c} times`);
      return;
    }
    stat += (c - e) ** 2 / e;
    df++;
  });
  return { stat, df };
}

describe('greedy', () => {
  it('argmax with ties to the lowest id; an all -inf row gives 0 like torch.argmax', () => {
    assert.equal(greedyToken(Float32Array.from([1, 3, 3, 2]), 0, 4), 1);
    assert.equal(greedyToken(Float32Array.from([0, 0, 5, 5, 1, 2]), 1, 3), 0);
    assert.equal(greedyToken(Float32Array.from([-Infinity, -Infinity]), 0, 2), 0);
  });
});

describe('multinomial', () => {
  it('an all -inf row is a typed error, not NaN', () => {
    assert.throws(() => sampleToken(Float32Array.from([-Infinity, -Infinity]), 0, 2, new Generator(1)), ArgumentError);
  });
  it('+inf scores (tiny temperature) share the mass: the T -> 0 limit', () => {
    const rng = new Generator(3);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken(Float32Array.from([Infinity, 1, Infinity]), 0, 3, rng));
    assert.deepEqual([...seen].sort(), [0, 2]);
  });
  it('draws follow the warped distribution (chi-square, alpha 0.001)', () => {
    const logits = [2.0, 1.5, 1.4, 0.3, -0.5, -3];
    const V = logits.length;
    const cfg = resolveGenerationConfig({ doSample: true, temperature: 0.8, topK: 5, topP: 0.95 });
    const scores = Float32Array.from(logits);
    buildLogitsProcessors(cfg).process([[0]], scores, V);
    // hand check of the warped support: /0.8, top-5 drops id 5, top-p 0.95 drops id 4 (p = 0.020 <= 0.05)
    assert.deepEqual(
      Array.from(scores).map((s) => s > -Infinity),
      [true, true, true, true, false, false],
    );
    const probs = softmax(scores);
    const n = 20000;
    const counts = new Array<number>(V).fill(0);
    const rng = new Generator(1234);
    for (let i = 0; i < n; i++) counts[sampleToken(scores, 0, V, rng)]!++;
    const { stat, df } = chiSquare(counts, probs, n);
    assert.equal(df, 3);
    assert.ok(stat < CHI2_999[df]!, `chi2 = ${stat.toFixed(2)} with ${df} df`);
  });
  it('the chi-square check detects a wrong distribution (the test can fail)', () => {
    const probs = softmax(Float32Array.from([1, 0.5, 0]));
    const wrong = softmax(Float32Array.from([1, 0.5, 0.5]));
    const rng = new Generator(9);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[rng.categorical(wrong)]!++;
    const { stat, df } = chiSquare(counts, probs, 20000);
    assert.ok(stat > CHI2_999[df]!);
  });
  it('without replacement: k distinct ids, zero-mass ids only after the rest', () => {
    const rng = new Generator(5);
    const out = sampleWithoutReplacement([0, 1, -Infinity, 2], 4, rng);
    assert.deepEqual([...out].sort(), [0, 1, 2, 3]);
    assert.equal(out[3], 2);
  });
});

describe('sampling through generate()', () => {
  // a unigram model: the same logits at every step
  const logits = [1.2, 0.2, -0.3, 0.9, -1.5];
  const model = new FunctionModel(5, () => logits);

  it('is reproducible for a seed and differs across seeds', () => {
    const run = (seed: number): number[] =>
      generate(model, undefined, [[0]], { doSample: true, seed, maxNewTokens: 30, topK: 0 }).sequences[0]!.ids;
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });
  it('token frequencies over a long run match the warped distribution', () => {
    const n = 6000;
    const res = generate(model, undefined, [[0]], {
      doSample: true,
      seed: 42,
      maxNewTokens: n,
      temperature: 1.3,
      topK: 4,
    });
    const ids = res.sequences[0]!.ids;
    assert.equal(ids.length, n);
    const scores = Float32Array.from(logits);
    buildLogitsProcessors(resolveGenerationConfig({ doSample: true, temperature: 1.3, topK: 4 })).process(
      [[0]],
      scores,
      5,
    );
    const counts = [0, 0, 0, 0, 0];
    for (const t of ids) counts[t]!++;
    const { stat, df } = chiSquare(counts, softmax(scores), n);
    assert.equal(df, 3);
    assert.ok(stat < CHI2_999[df]!, `chi2 = ${stat.toFixed(2)}`);
  });
  it('num_return_sequences draws several sequences per prompt, prompt-major', () => {
    const res = generate(model, undefined, [[0], [1]], {
      doSample: true,
      seed: 1,
      maxNewTokens: 4,
      numReturnSequences: 3,
    });
    assert.deepEqual(
      res.sequences.map((s) => s.promptIndex),
      [0, 0, 0, 1, 1, 1],
    );
  });
});
