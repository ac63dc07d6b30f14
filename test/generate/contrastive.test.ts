// Contrastive search against a direct reimplementation of its definition (no
// sessions, no cache), plus cache and batch invariance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentError } from '../../src/core/errors.ts';
import { generate } from '../../src/generate/generate.ts';
import { softmax, topkIndices } from '../../src/generate/math.ts';
import { AttentionMockModel, FunctionModel } from './mock-models.ts';

const V = 12;

/** The mock's hidden state (= its pre-output vector) at the last position of an unpadded sequence. */
function hiddenAt(m: AttentionMockModel, seq: number[], q: number): Float32Array {
  const out = new Float32Array(V);
  m.logitsAt(
    seq.map((tok, pos) => ({ tok, pos })),
    seq.map(() => 1),
    q,
    out,
    0,
  );
  return out;
}

function cos(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

/** score = (1 - alpha) p - alpha max cos(h_candidate, h_context), straight from the paper. */
function reference(m: AttentionMockModel, prompt: number[], k: number, alpha: number, steps: number): number[] {
  const seq = [...prompt];
  for (let s = 0; s < steps; s++) {
    const p = softmax(hiddenAt(m, seq, seq.length - 1));
    const context = seq.map((_, q) => hiddenAt(m, seq, q));
    let best = -1;
    let bestScore = -Infinity;
    for (const t of topkIndices(p, k)) {
      const h = hiddenAt(m, [...seq, t], seq.length);
      const pen = Math.max(...context.map((c) => cos(c, h)));
      const score = (1 - alpha) * p[t]! - alpha * pen;
      if (score > bestScore) {
        bestScore = score;
        best = t;
      }
    }
    seq.push(best);
  }
  return seq.slice(prompt.length);
}

describe('contrastive search', () => {
  const prompts = [[3, 1, 4, 1, 5], [9], [2, 6, 5, 3]];
  it('matches the definition computed directly', () => {
    for (const alpha of [0.3, 0.6, 0.9]) {
      const m = new AttentionMockModel(V, 5);
      const res = generate(m, undefined, prompts, { penaltyAlpha: alpha, topK: 4, maxNewTokens: 8 });
      prompts.forEach((p, i) =>
        assert.deepEqual(res.sequences[i]!.ids, reference(m, p, 4, alpha, 8), `alpha ${alpha} prompt ${i}`),
      );
    }
  });
  it('the degeneration penalty changes the output; a tiny alpha is greedy', () => {
    const m = new AttentionMockModel(V, 5);
    const greedy = generate(m, undefined, prompts, { maxNewTokens: 8 }).sequences.map((s) => s.ids);
    const tiny = generate(m, undefined, prompts, { penaltyAlpha: 1e-9, topK: 4, maxNewTokens: 8 }).sequences.map(
      (s) => s.ids,
    );
    const strong = generate(m, undefined, prompts, { penaltyAlpha: 0.9, topK: 4, maxNewTokens: 8 }).sequences.map(
      (s) => s.ids,
    );
    assert.deepEqual(tiny, greedy);
    assert.notDeepEqual(strong, greedy);
  });
  it('cached and uncached sessions agree; a left-padded batch equals each prompt alone', () => {
    const opts = { penaltyAlpha: 0.6, topK: 3, maxNewTokens: 7, eosTokenId: 0 };
    const a = generate(new AttentionMockModel(V, 9), undefined, prompts, { ...opts, useCache: true });
    const b = generate(new AttentionMockModel(V, 9), undefined, prompts, { ...opts, useCache: false });
    assert.deepEqual(a.sequences, b.sequences);
    prompts.forEach((p, i) => {
      const alone = generate(new AttentionMockModel(V, 9), undefined, [p], opts);
      assert.deepEqual(a.sequences[i]!.ids, alone.sequences[0]!.ids);
    });
  });
  it('needs a session with lastHiddenStates()', () => {
    const m = new FunctionModel(4, () => [0, 1, 2, 3]);
    assert.throws(() => generate(m, undefined, [[1]], { penaltyAlpha: 0.5, topK: 2, maxNewTokens: 2 }), ArgumentError);
  });
});
