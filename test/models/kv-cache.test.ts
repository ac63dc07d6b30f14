/**
 * Incremental decoding with the KV cache: a prefix then one token at a time (left-padded
 * batch, the attention mask growing as in generate(), positions from the mask) gives the
 * logits of the full forward, for GPT-2, LLaMA-style (GQA + RoPE), ALiBi and the
 * encoder-decoder; beam-style reordering (rows duplicated and dropped) continues the right
 * rows; the cache grows past its initial capacity and truncates; and greedy generate()
 * with and without the cache produces the same ids as a plain argmax loop over full
 * forwards.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import type { GPTConfig } from '../../src/models/gpt.ts';
import { EncoderDecoder, encoderDecoderPreset } from '../../src/models/encoder-decoder.ts';
import { encoderDecoderForGeneration, gptForGeneration } from '../../src/models/generative.ts';
import { generate } from '../../src/generate/generate.ts';
import { assertRel, ids2d, leftPad, randomIds, rowAt } from './helpers.ts';

const V = 37;
const TOL = 2e-5;

function gpt(over: Partial<GPTConfig>, preset: 'gpt2' | 'llama' = 'gpt2'): GPT {
  const base =
    preset === 'gpt2'
      ? { vocabSize: V, blockSize: 48, nLayer: 2, nHead: 4, nEmbd: 32, dropout: 0, attnDropout: 0, initStd: 0.2 }
      : { vocabSize: V, blockSize: 48, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 32, intermediateSize: 48, initStd: 0.2 };
  return new GPT(gptPreset(preset, { ...base, ...over }), { seed: 5 }).eval();
}

const f32 = (t: Tensor): Float32Array => t.toTypedArray() as Float32Array;

/** Full forward over [B, T] vs prefix P then one token at a time; compares every real position. */
function checkIncremental(model: GPT, rows: number[][], prefix: number, what: string): void {
  const { ids, mask } = leftPad(rows, 0);
  const T = ids[0]!.length;
  noGrad(() => {
    const full = f32(model.forward(ids2d(ids), { attentionMask: ids2d(mask) }).logits!);
    const cache = model.createCache();
    const steps: [number, number][] = [
      [0, prefix],
      ...Array.from({ length: T - prefix }, (_, i): [number, number] => [prefix + i, prefix + i + 1]),
    ];
    for (const [a, b] of steps) {
      const out = f32(
        model.forward(ids2d(ids.map((r) => r.slice(a, b))), {
          attentionMask: ids2d(mask.map((r) => r.slice(0, b))),
          cache,
        }).logits!,
      );
      for (let r = 0; r < rows.length; r++) {
        for (let t = a; t < b; t++) {
          if (mask[r]![t] === 1)
            assertRel(rowAt(out, b - a, V, r, t - a), rowAt(full, T, V, r, t), TOL, `${what} row ${r} position ${t}`);
        }
      }
    }
    assert.equal(cache.length, T);
  });
}

function prompts(seed: number, lengths: number[]): number[][] {
  const g = new Generator(seed);
  return lengths.map((n) => randomIds(g, n, V));
}

describe('KV cache: incremental logits = full forward', () => {
  const variants: [string, () => GPT][] = [
    ['gpt2', () => gpt({})],
    ['llama (GQA, RoPE half)', () => gpt({}, 'llama')],
    ['llama MQA, RoPE interleaved', () => gpt({ nKvHead: 1, ropeStyle: 'interleaved' }, 'llama')],
    [
      'llama dynamic NTK scaling within the context',
      () => gpt({ ropeScaling: { type: 'dynamic', factor: 2 } }, 'llama'),
    ],
    ['alibi', () => gpt({ position: 'alibi' })],
    ['sinusoidal', () => gpt({ position: 'sinusoidal' })],
  ];
  for (const [name, make] of variants) {
    it(`${name}: left-padded batch, prefix then one token at a time, past the cache's initial capacity`, () => {
      // 24 positions > the cache's first allocation of 16
      checkIncremental(make(), prompts(1, [24, 17, 9]), 6, name);
    });
  }

  it('the unfused path (captureAttention) with the cache = full forward', () => {
    const model = gpt({}, 'llama');
    const { ids, mask } = leftPad(prompts(11, [8, 3]), 0);
    noGrad(() => {
      const full = f32(model.forward(ids2d(ids), { attentionMask: ids2d(mask) }).logits!);
      const cache = model.createCache();
      for (let t = 0; t < 8; t++) {
        const out = f32(
          model.forward(ids2d(ids.map((r) => r.slice(t, t + 1))), {
            attentionMask: ids2d(mask.map((r) => r.slice(0, t + 1))),
            cache,
            captureAttention: true,
          }).logits!,
        );
        for (let r = 0; r < 2; r++)
          if (mask[r]![t] === 1) assertRel(rowAt(out, 1, V, r, 0), rowAt(full, 8, V, r, t), TOL, `row ${r} step ${t}`);
      }
    });
  });

  it('beam-style reorder: rows duplicated and dropped continue the right histories', () => {
    const model = gpt({}, 'llama');
    const [p0, p1] = prompts(2, [8, 8]) as [number[], number[]];
    const cont = prompts(3, [3, 3, 3]);
    noGrad(() => {
      const cache = model.createCache();
      model.forward(ids2d([p0, p1]), { cache });
      cache.reorder(tensor(Int32Array.from([1, 1, 0]), { shape: [3] }));
      const hist = [p1, p1, p0];
      const out = f32(model.forward(ids2d(cont), { cache }).logits!);
      hist.forEach((h, r) => {
        const full = f32(model.forward(ids2d([[...h, ...cont[r]!]])).logits!);
        for (let t = 0; t < 3; t++)
          assertRel(rowAt(out, 3, V, r, t), rowAt(full, 11, V, 0, 8 + t), TOL, `reordered row ${r} token ${t}`);
      });
    });
  });

  it('truncate drops positions: continuing after truncate(k) equals a fresh prefix of k tokens', () => {
    const model = gpt({});
    const [p] = prompts(4, [10]) as [number[]];
    noGrad(() => {
      const cache = model.createCache();
      model.forward(ids2d([p]), { cache });
      cache.truncate(6);
      const out = f32(model.forward(ids2d([p.slice(6, 8)]), { cache }).logits!);
      const full = f32(model.forward(ids2d([p.slice(0, 8)])).logits!);
      for (let t = 0; t < 2; t++)
        assertRel(rowAt(out, 2, V, 0, t), rowAt(full, 8, V, 0, 6 + t), TOL, `after truncate token ${t}`);
      assert.throws(() => cache.truncate(99));
    });
  });

  it('encoder-decoder: decoder with the cache and a precomputed memory = full decoder forward', () => {
    const model = new EncoderDecoder(
      encoderDecoderPreset({
        vocabSize: V,
        blockSize: 48,
        nEncoderLayer: 2,
        nLayer: 2,
        nHead: 4,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
        initStd: 0.2,
      }),
      { seed: 6 },
    ).eval();
    const src = leftPad(prompts(5, [7, 4]), 0);
    const tgt = prompts(6, [20, 20]);
    noGrad(() => {
      const sourceMask = ids2d(src.mask);
      const full = f32(model.forward(ids2d(src.ids), ids2d(tgt), { sourceMask }).logits);
      const memory = model.encode(ids2d(src.ids), sourceMask);
      const cache = model.createCache();
      for (let t = 0; t < 20; t++) {
        const out = f32(
          model.forward(ids2d(src.ids), ids2d(tgt.map((r) => [r[t]!])), { memory, sourceMask, cache }).logits,
        );
        for (let r = 0; r < 2; r++)
          assertRel(rowAt(out, 1, V, r, 0), rowAt(full, 20, V, r, t), TOL, `encdec row ${r} step ${t}`);
      }
    });
  });
});

/** Greedy decoding by argmax over full forwards, no cache, one row at a time (the reference). */
function greedyReference(next: (ids: number[]) => Float32Array, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const row = next(ids);
    let best = 0;
    for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
    out.push(best);
    ids.push(best);
  }
  return out;
}

describe('greedy generate() with and without the cache', () => {
  it('GPT (llama-style): identical ids, equal to the argmax loop, for a left-padded batch', () => {
    const model = gpt({}, 'llama');
    const ps = prompts(7, [5, 2, 8]);
    const a = generate(gptForGeneration(model), undefined, ps, { maxNewTokens: 12, useCache: true });
    const b = generate(gptForGeneration(model), undefined, ps, { maxNewTokens: 12, useCache: false });
    assert.deepEqual(
      a.sequences.map((s) => s.ids),
      b.sequences.map((s) => s.ids),
    );
    ps.forEach((p, i) => {
      const want = greedyReference(
        (ids) => {
          const logits = f32(model.forward(ids2d([ids]), { logits: 'last' }).logits!);
          return logits;
        },
        p,
        12,
      );
      assert.deepEqual(a.sequences[i]!.ids, want, `prompt ${i}`);
    });
  });

  it('encoder-decoder: identical ids with and without the cache, equal to the argmax loop', () => {
    const model = new EncoderDecoder(
      encoderDecoderPreset({
        vocabSize: V,
        blockSize: 48,
        nEncoderLayer: 1,
        nLayer: 2,
        nHead: 4,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
        initStd: 0.2,
        decoderStartTokenId: 1,
      }),
      { seed: 8 },
    ).eval();
    const ps = prompts(9, [6, 3]);
    const a = generate(encoderDecoderForGeneration(model), undefined, ps, { maxNewTokens: 10, useCache: true });
    const b = generate(encoderDecoderForGeneration(model), undefined, ps, { maxNewTokens: 10, useCache: false });
    assert.deepEqual(
      a.sequences.map((s) => s.ids),
      b.sequences.map((s) => s.ids),
    );
    ps.forEach((p, i) => {
      const want = greedyReference(
        (dec) => f32(model.forward(ids2d([p]), ids2d([dec]), { logits: 'last' }).logits),
        [1],
        10,
      );
      assert.deepEqual(a.sequences[i]!.ids, want, `prompt ${i}`);
    });
  });

  it('beam search with and without the cache returns the same beams', () => {
    const model = gpt({});
    const ps = prompts(10, [4, 6]);
    const a = generate(gptForGeneration(model), undefined, ps, {
      maxNewTokens: 6,
      numBeams: 3,
      numReturnSequences: 3,
      useCache: true,
    });
    const b = generate(gptForGeneration(model), undefined, ps, {
      maxNewTokens: 6,
      numBeams: 3,
      numReturnSequences: 3,
      useCache: false,
    });
    assert.deepEqual(
      a.sequences.map((s) => s.ids),
      b.sequences.map((s) => s.ids),
    );
    a.sequences.forEach((s, i) => assert.ok(Math.abs(s.score - b.sequences[i]!.score) < 1e-4, `beam ${i} score`));
  });

  it('encoder-decoder beam search with and without the cache (memory and source mask reordered with the beams)', () => {
    const model = new EncoderDecoder(
      encoderDecoderPreset({
        vocabSize: V,
        blockSize: 48,
        nEncoderLayer: 1,
        nLayer: 2,
        nHead: 4,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
        initStd: 0.2,
        decoderStartTokenId: 1,
      }),
      { seed: 12 },
    ).eval();
    const ps = prompts(13, [7, 3]);
    const opts = { maxNewTokens: 6, numBeams: 3, numReturnSequences: 2 };
    const a = generate(encoderDecoderForGeneration(model), undefined, ps, { ...opts, useCache: true });
    const b = generate(encoderDecoderForGeneration(model), undefined, ps, { ...opts, useCache: false });
    assert.deepEqual(
      a.sequences.map((s) => s.ids),
      b.sequences.map((s) => s.ids),
    );
    // each prompt alone gives the same beams as the batch
    ps.forEach((p, i) => {
      const alone = generate(encoderDecoderForGeneration(model), undefined, [p], { ...opts, useCache: true });
      assert.deepEqual(
        alone.sequences.map((s) => s.ids),
        a.sequences.filter((s) => s.promptIndex === i).map((s) => s.ids),
        `prompt ${i}`,
      );
    });
  });
});
