// Beam search: exhaustive-search equivalence on a tiny vocabulary, length_penalty and
// early_stopping semantics on crafted distributions (derivations in the comments),
// cache/batch invariance, and diverse (group) beam search.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Generator } from '../../src/core/random.ts';
import { generate, type GenerateOptions } from '../../src/generate/generate.ts';
import { logSoftmax } from '../../src/generate/math.ts';
import { AttentionMockModel, FunctionModel, tableModel } from './mock-models.ts';

const EOS = 2;

/** Random logits per prefix (deterministic): every prefix has its own distribution. */
function randomTreeModel(vocab: number, seed: number): FunctionModel {
  return new FunctionModel(vocab, (real) => {
    let h = seed;
    for (const t of real) h = (Math.imul(h, 31) + t + 1) | 0;
    const rng = new Generator(h);
    return Array.from({ length: vocab }, () => rng.normal(0, 1.5));
  });
}

/** Every sequence of at most maxNew tokens that ends at EOS or at the budget, with its normalized score (float64). */
function exhaustive(
  model: FunctionModel,
  prompt: number[],
  maxNew: number,
  lp: number,
): { ids: number[]; score: number }[] {
  const out: { ids: number[]; score: number }[] = [];
  const walk = (gen: number[], sum: number): void => {
    const logp = logSoftmax(Array.from(model.fn([...prompt, ...gen], undefined)));
    for (let t = 0; t < model.vocabSize; t++) {
      const ids = [...gen, t];
      const s = sum + logp[t]!;
      if (t === EOS || ids.length === maxNew) out.push({ ids, score: s / ids.length ** lp });
      else walk(ids, s);
    }
  };
  walk([], 0);
  return out.sort((a, b) => b.score - a.score);
}

describe('beam search equals exhaustive search when the beam holds every sequence', () => {
  const prompt = [1, 0];
  for (const seed of [1, 2, 3]) {
    for (const lp of [0, 0.5, 1, 2, -1]) {
      for (const early of ['never', false] as const) {
        it(`seed ${seed}, length_penalty ${lp}, early_stopping ${String(early)}`, () => {
          const model = randomTreeModel(3, seed);
          const ref = exhaustive(model, prompt, 3, lp);
          assert.equal(ref.length, 15);
          const res = generate(model, undefined, [prompt], {
            numBeams: 16,
            numReturnSequences: 16,
            maxNewTokens: 3,
            eosTokenId: EOS,
            lengthPenalty: lp,
            earlyStopping: early,
          });
          const real = res.sequences.filter((s) => s.score > -1e8);
          assert.deepEqual(
            real.map((s) => s.ids),
            ref.map((r) => r.ids),
          );
          real.forEach((s, i) =>
            assert.ok(Math.abs(s.score - ref[i]!.score) < 1e-5, `score ${s.score} vs ${ref[i]!.score}`),
          );
          // the unnormalized score is the sum of the path's log-probs
          for (const s of real) {
            const sum = s.logprobs.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(sum / s.ids.length ** lp - s.score) < 1e-5);
          }
        });
      }
    }
  }
});

// tokens: a = 0, b = 1, E = 2 (EOS); the prompt is [0]; keys are the generated prefix
const A = 0;
const B = 1;
const E = EOS;

describe('length_penalty', () => {
  // [E] = ln .4 = -0.916; [a,E] = ln .5 + ln .7 = -1.050
  // lp 0: -0.916 > -1.050 -> [E]; lp 1: [a,E] -0.525 > [E] -0.916 -> [a,E]
  const model = tableModel(3, 1, { '': [0.5, 0.1, 0.4], '0': [0.2, 0.1, 0.7] }, [0.3, 0.3, 0.4]);
  const run = (lengthPenalty: number): number[] =>
    generate(model, undefined, [[0]], { numBeams: 2, maxNewTokens: 2, eosTokenId: E, lengthPenalty }).sequences[0]!.ids;
  it('changes the winner where the normalization says it should', () => {
    assert.deepEqual(run(0), [E]);
    assert.deepEqual(run(1), [A, E]);
    assert.deepEqual(run(-1), [E]);
  });
});

describe('early_stopping', () => {
  // Hand derivation with num_beams 2, length_penalty 1, max_new_tokens 6 (sums of ln p):
  // step 1: E -0.916 finishes (slot 1); running a -1.050, b -1.386
  // step 2: [a,E] -1.743 finishes (-0.8715); running [a,a] -1.763, [b,a] -2.590. Slots full.
  //   true: stop -> [a,E], [E]
  //   false: best running -1.763 / 2 = -0.8815 > worst -0.916 -> continue
  // step 3: [a,a,E] -1.868 finishes (-0.6227); running [b,a,a] -3.188, [a,a,a] -4.759
  //   false: -3.188 / 3 = -1.063 < worst -0.8715 -> stop -> [a,a,E], [a,E]
  //   "never": -3.188 / 6 = -0.531 > -0.8715 -> continue
  // step 4: running [b,a,a,a] -3.411; step 5: [b,a,a,a,E] -3.516 finishes (-0.7032) > -0.8715
  //   "never" -> [a,a,E], [b,a,a,a,E]
  const table: Record<string, number[]> = {
    '': [0.35, 0.25, 0.4],
    '0': [0.49, 0.01, 0.5],
    '1': [0.3, 0.3, 0.4],
    '0,0': [0.05, 0.05, 0.9],
    '1,0': [0.55, 0.05, 0.4],
    '1,0,0': [0.8, 0.08, 0.12],
    '1,0,0,0': [0.05, 0.05, 0.9],
  };
  const model = tableModel(3, 1, table, [0.3, 0.3, 0.4]);
  const run = (earlyStopping: boolean | 'never'): number[][] =>
    generate(model, undefined, [[0]], {
      numBeams: 2,
      numReturnSequences: 2,
      maxNewTokens: 6,
      eosTokenId: E,
      lengthPenalty: 1,
      earlyStopping,
    }).sequences.map((s) => s.ids);
  it('true stops as soon as num_beams hypotheses are finished', () => {
    assert.deepEqual(run(true), [[A, E], [E]]);
  });
  it('false stops when the best running beam, at its current length, cannot beat the worst finished', () => {
    assert.deepEqual(run(false), [
      [A, A, E],
      [A, E],
    ]);
  });
  it('"never" bounds the running beams with max_new_tokens and searches on', () => {
    assert.deepEqual(run('never'), [
      [A, A, E],
      [B, A, A, A, E],
    ]);
  });
});

describe('beam search invariances', () => {
  const prompts = [[3, 1, 4], [9, 2], [5]];
  const opts: GenerateOptions = {
    numBeams: 4,
    numReturnSequences: 2,
    maxNewTokens: 7,
    eosTokenId: 0,
    lengthPenalty: 0.8,
  };
  it('cached and uncached sessions give the same beams (reorder keeps the cache right)', () => {
    const a = generate(new AttentionMockModel(10, 21), undefined, prompts, { ...opts, useCache: true });
    const b = generate(new AttentionMockModel(10, 21), undefined, prompts, { ...opts, useCache: false });
    assert.deepEqual(a.sequences, b.sequences);
  });
  it('a batch equals each prompt alone, and reruns are identical', () => {
    const batch = generate(new AttentionMockModel(10, 21), undefined, prompts, opts);
    const again = generate(new AttentionMockModel(10, 21), undefined, prompts, opts);
    assert.deepEqual(batch.sequences, again.sequences);
    prompts.forEach((p, i) => {
      const alone = generate(new AttentionMockModel(10, 21), undefined, [p], opts);
      assert.deepEqual(
        batch.sequences.filter((s) => s.promptIndex === i).map((s) => [s.ids, s.score]),
        alone.sequences.map((s) => [s.ids, s.score]),
      );
    });
  });
  it('returned sequences are sorted by score and honour the processors', () => {
    const r = generate(new AttentionMockModel(10, 4), undefined, [[1, 2]], {
      ...opts,
      numReturnSequences: 4,
      suppressTokens: [3, 5],
    });
    for (let i = 1; i < r.sequences.length; i++) assert.ok(r.sequences[i - 1]!.score >= r.sequences[i]!.score);
    for (const s of r.sequences) assert.ok(!s.ids.includes(3) && !s.ids.includes(5));
  });
  it('beam sampling is reproducible for a seed', () => {
    const o: GenerateOptions = { numBeams: 3, doSample: true, seed: 3, maxNewTokens: 6, topK: 0 };
    const a = generate(new AttentionMockModel(10, 8), undefined, [[1]], o);
    const b = generate(new AttentionMockModel(10, 8), undefined, [[1]], o);
    assert.deepEqual(a.sequences, b.sequences);
  });
});

describe('diverse (group) beam search', () => {
  const model = new AttentionMockModel(10, 31);
  it('one beam per group and no penalty: every group is the greedy path', () => {
    const greedy = generate(model, undefined, [[4, 2]], { maxNewTokens: 6 }).sequences[0]!.ids;
    const r = generate(model, undefined, [[4, 2]], {
      numBeams: 3,
      numBeamGroups: 3,
      numReturnSequences: 3,
      maxNewTokens: 6,
    });
    for (const s of r.sequences) assert.deepEqual(s.ids, greedy);
  });
  it('a large diversity penalty makes the groups start differently', () => {
    const r = generate(model, undefined, [[4, 2]], {
      numBeams: 3,
      numBeamGroups: 3,
      numReturnSequences: 3,
      maxNewTokens: 6,
      diversityPenalty: 100,
    });
    assert.equal(new Set(r.sequences.map((s) => s.ids[0])).size, 3);
  });
});
