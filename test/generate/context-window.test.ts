/**
 * Past the context of a model with learned positions, generation continues with a sliding
 * window over the last block_size tokens, as nanoGPT's generate() crops idx[:, -block_size:]:
 * checked against that loop written out with plain full forwards, for a left-padded batch with
 * and without the cache, with one notice per call; encoder-decoder models and contrastive
 * search still refuse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { gptForGeneration } from '../../src/models/generative.ts';
import { generate } from '../../src/generate/generate.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { ids2d, randomIds } from '../models/helpers.ts';

const V = 29;
const BLOCK = 12;

function model(): GPT {
  const cfg = { vocabSize: V, blockSize: BLOCK, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0, attnDropout: 0 };
  return new GPT(gptPreset('gpt2', { ...cfg, initStd: 0.3 }), { seed: 11 }).eval();
}

/** nanoGPT's generate(): crop to the last block_size tokens, full forward (positions from 0), argmax. */
function nanoGptGreedy(m: GPT, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  for (let s = 0; s < steps; s++) {
    const cond = ids.slice(-BLOCK);
    const row = (m.forward(ids2d([cond]), { logits: 'last' }).logits as Tensor).toTypedArray() as Float32Array;
    let best = 0;
    for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
    ids.push(best);
  }
  return ids.slice(prompt.length);
}

describe('generation past the context (sliding window)', () => {
  const m = model();
  const g = new Generator(3);
  const prompts = [randomIds(g, 5, V), randomIds(g, 9, V), randomIds(g, 14, V)]; // the last is longer than the context

  for (const useCache of [true, false])
    it(`greedy equals nanoGPT's cropped loop, left-padded batch, useCache ${useCache}`, () => {
      const notices: string[] = [];
      const r = generate(gptForGeneration(m), undefined, prompts, {
        maxNewTokens: 20,
        useCache,
        onNotice: (n) => notices.push(n),
      });
      assert.equal(notices.length, 1);
      assert.match(
        notices[0]!,
        /prompt \(14 tokens\) \+ 20 new tokens exceeds the model's context of 12: the model sees the last 12 tokens/,
      );
      prompts.forEach((p, i) => assert.deepEqual(r.sequences[i]!.ids, nanoGptGreedy(m, p, 20), `prompt ${i}`));
    });

  it('within the context nothing is cropped and nothing is said', () => {
    const notices: string[] = [];
    const r = generate(gptForGeneration(m), undefined, [prompts[0]!], {
      maxNewTokens: 7,
      onNotice: (n) => notices.push(n),
    });
    assert.deepEqual(notices, []);
    assert.deepEqual(r.sequences[0]!.ids, nanoGptGreedy(m, prompts[0]!, 7));
  });

  it('beam search crops too; contrastive search refuses', () => {
    const r = generate(gptForGeneration(m), undefined, [prompts[1]!], {
      maxNewTokens: 10,
      numBeams: 3,
      onNotice: () => {},
    });
    assert.equal(r.sequences[0]!.ids.length, 10);
    assert.throws(
      () =>
        generate(gptForGeneration(m), undefined, [prompts[1]!], {
          maxNewTokens: 10,
          penaltyAlpha: 0.6,
          topK: 4,
          onNotice: () => {},
        }),
      (e: unknown) => e instanceof ConfigError && /contrastive search cannot crop/.test(e.message),
    );
  });
});
