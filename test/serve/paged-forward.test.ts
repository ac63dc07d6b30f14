/**
 * The serving forward pass (GPT.forward with a paged KV cache): logits equal the plain
 * full-sequence forward (GPT-2 layout; LLaMA layout with RoPE and GQA; ALiBi), whether the
 * prompt is prefilled whole, in chunks, or token by token, and with pages scattered through
 * the pool. Batch invariance: a sequence's logits are bit-identical computed alone or beside
 * other sequences at other positions (the property `llmts serve` relies on for greedy requests).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getDefaultBackend } from '../../src/backends/select.ts';
import { Generator } from '../../src/core/random.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { tidy } from '../../src/engine/memory.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { GPT, gptPreset, type GPTConfig } from '../../src/models/gpt.ts';
import { PagedKVCache } from '../../src/nn/paged-kv-cache.ts';
import { assertClose } from '../backends/helpers.ts';

const CONFIGS: Record<string, GPTConfig> = {
  gpt2: gptPreset('gpt2', { vocabSize: 61, blockSize: 64, nLayer: 2, nHead: 4, nEmbd: 32, dropout: 0, attnDropout: 0 }),
  'llama (RoPE, GQA)': gptPreset('llama', { vocabSize: 61, blockSize: 64, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 32 }),
  alibi: gptPreset('gpt2', {
    vocabSize: 61,
    blockSize: 64,
    nLayer: 2,
    nHead: 4,
    nEmbd: 32,
    position: 'alibi',
    dropout: 0,
    attnDropout: 0,
  }),
};

const PAGE = 4;

/** A tiny serving loop: sequences own pages from a shuffled pool, each step feeds a chunk of each. */
class Runner {
  readonly cache: PagedKVCache;
  private free: number[];
  readonly pages = new Map<number, number[]>();
  constructor(
    readonly model: GPT,
    numPages = 64,
    seed = 5,
  ) {
    const c = model.config;
    this.cache = new PagedKVCache({
      nLayers: c.nLayer,
      numPages,
      pageSize: PAGE,
      kvHeads: c.nKvHead,
      headDim: c.nEmbd / c.nHead,
      dtype: 'float32',
      backend: getDefaultBackend(),
    });
    this.free = Array.from(new Generator(seed).permutation(numPages));
  }

  /** Feeds tokens[from, to) of each sequence; returns the logits of each sequence's last fed token. */
  step(feeds: { seq: number; tokens: readonly number[]; from: number; to: number }[]): Float32Array[] {
    const ids: number[] = [];
    const pos: number[] = [];
    const rows: number[] = [];
    const slots: number[] = [];
    const last: number[] = [];
    const perRow = 16;
    const table = new Int32Array(feeds.length * perRow);
    feeds.forEach((f, r) => {
      const own = this.pages.get(f.seq) ?? [];
      while (own.length * PAGE < f.to) own.push(this.free.pop()!);
      this.pages.set(f.seq, own);
      table.set(own, r * perRow);
      for (let p = f.from; p < f.to; p++) {
        ids.push(f.tokens[p]!);
        pos.push(p);
        rows.push(r);
        slots.push(own[Math.floor(p / PAGE)]! * PAGE + (p % PAGE));
      }
      last.push(ids.length - 1);
    });
    const V = this.model.config.vocabSize;
    return noGrad(() =>
      tidy(() => {
        const out = this.model.forward(tensor(Int32Array.from(ids), { shape: [1, ids.length] }), {
          positionIds: tensor(Int32Array.from(pos), { shape: [1, pos.length] }),
          paged: {
            cache: this.cache,
            step: {
              pageTable: table,
              pagesPerRow: perRow,
              tokenRow: Int32Array.from(rows),
              tokenPos: Int32Array.from(pos),
              slots: Int32Array.from(slots),
            },
          },
          logitRows: tensor(Int32Array.from(last), { shape: [last.length] }),
        });
        const data = out.logits!.toTypedArray() as Float32Array;
        return feeds.map((_, i) => data.slice(i * V, (i + 1) * V));
      }),
    );
  }
}

function fullLogits(model: GPT, tokens: readonly number[]): Float32Array {
  return noGrad(() =>
    tidy(() => {
      const out = model.forward(tensor(Int32Array.from(tokens), { shape: [1, tokens.length] }), { logits: 'last' });
      return Float32Array.from(out.logits!.toTypedArray() as Float32Array);
    }),
  );
}

function seqOf(seed: number, n: number, V: number): number[] {
  const g = new Generator(seed);
  return Array.from({ length: n }, () => g.randint(V));
}

for (const [name, config] of Object.entries(CONFIGS)) {
  describe(`paged forward: ${name}`, () => {
    const model = new GPT(config, { seed: 3 });
    model.train(false);
    const V = config.vocabSize;

    it('matches the full forward: whole prefill, chunked prefill, then decoding', () => {
      const runner = new Runner(model);
      const a = seqOf(1, 19, V);
      const b = seqOf(2, 9, V);
      // a is prefilled in chunks of 5 beside b prefilled whole, then both decode 3 tokens
      let [la, lb] = runner.step([
        { seq: 0, tokens: a, from: 0, to: 5 },
        { seq: 1, tokens: b, from: 0, to: 9 },
      ]);
      assertClose(lb!, fullLogits(model, b), { rtol: 1e-4, atolRel: 1e-5 }, 'b prefill');
      for (let from = 5; from < a.length; from += 5) {
        [la] = runner.step([{ seq: 0, tokens: a, from, to: Math.min(a.length, from + 5) }]);
      }
      assertClose(la!, fullLogits(model, a), { rtol: 1e-4, atolRel: 1e-5 }, 'a prefill');
      for (let i = 0; i < 3; i++) {
        a.push(i + 7);
        b.push(i + 11);
        [la, lb] = runner.step([
          { seq: 0, tokens: a, from: a.length - 1, to: a.length },
          { seq: 1, tokens: b, from: b.length - 1, to: b.length },
        ]);
        assertClose(la!, fullLogits(model, a), { rtol: 1e-4, atolRel: 1e-5 }, `a decode ${i}`);
        assertClose(lb!, fullLogits(model, b), { rtol: 1e-4, atolRel: 1e-5 }, `b decode ${i}`);
      }
    });

    it("a sequence's logits are bit-identical alone and in a batch, prefilled whole or in chunks", () => {
      const a = seqOf(3, 13, V);
      const others = [seqOf(4, 7, V), seqOf(5, 22, V), seqOf(6, 2, V)];
      // alone, whole prompt, then 4 decode steps
      const alone = new Runner(model, 64, 1);
      const want: Float32Array[] = [];
      const tokens = [...a];
      want.push(alone.step([{ seq: 0, tokens, from: 0, to: tokens.length }])[0]!);
      for (let i = 0; i < 4; i++) {
        tokens.push(20 + i);
        want.push(alone.step([{ seq: 0, tokens, from: tokens.length - 1, to: tokens.length }])[0]!);
      }
      // in a batch: other sequences first in the row, a prefilled in chunks of 3 on different pages
      const batch = new Runner(model, 64, 9);
      const t2 = [...a];
      let got: Float32Array | undefined;
      for (let from = 0; from < t2.length; from += 3) {
        const feeds = others.map((o, i) => ({ seq: i + 1, tokens: o, from: 0, to: o.length }));
        const r = batch.step([...feeds, { seq: 0, tokens: t2, from, to: Math.min(t2.length, from + 3) }]);
        got = r[r.length - 1];
        others.forEach((o, i) => o.push(30 + i)); // the others keep growing by one token per step
      }
      assert.deepEqual(got, want[0], 'prefill logits');
      for (let i = 0; i < 4; i++) {
        t2.push(20 + i);
        const feeds = others.map((o, j) => ({ seq: j + 1, tokens: o, from: o.length - 1, to: o.length }));
        const r = batch.step([{ seq: 0, tokens: t2, from: t2.length - 1, to: t2.length }, ...feeds]);
        others.forEach((o, j) => o.push(40 + j));
        assert.deepEqual(r[0], want[i + 1], `decode step ${i}`);
      }
    });
  });
}
