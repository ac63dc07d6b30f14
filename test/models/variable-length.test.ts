/**
 * Notes section 10: parameters do not depend on length, so a padded batch must give, for
 * every real token, the logits of that sequence run alone (float tolerance). Checked for
 * GPT (gpt2 shape) with every positional scheme, LLaMA-style (GQA, RoPE, RMSNorm, SwiGLU),
 * BERT and the encoder-decoder: right padding (training), left padding with positions from
 * the mask (generation), and packed documents (documentIds) against each document alone.
 * Pad slots hold random ids, so nothing may leak from them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import type { GPTConfig } from '../../src/models/gpt.ts';
import { BERT, bertPreset } from '../../src/models/bert.ts';
import type { BertConfig } from '../../src/models/bert.ts';
import { EncoderDecoder, encoderDecoderPreset } from '../../src/models/encoder-decoder.ts';
import { assertRel, ids2d, leftPad, randomIds, rightPad, rowAt } from './helpers.ts';

const V = 41;
const TOL = 2e-5;

export function tinyGpt(over: Partial<GPTConfig> = {}, preset: 'gpt2' | 'llama' = 'gpt2', seed = 1): GPT {
  const base =
    preset === 'gpt2'
      ? { vocabSize: V, blockSize: 32, nLayer: 2, nHead: 4, nEmbd: 32, dropout: 0, attnDropout: 0, initStd: 0.2 }
      : { vocabSize: V, blockSize: 32, nLayer: 2, nHead: 4, nKvHead: 2, nEmbd: 32, intermediateSize: 48, initStd: 0.2 };
  return new GPT(gptPreset(preset, { ...base, ...over }), { seed }).eval();
}

function data(t: Tensor): Float32Array {
  return t.toTypedArray() as Float32Array;
}

/** Three sequences of different lengths (one of length 1) with random pad ids. */
function sequences(seed: number, lengths = [7, 4, 1]): number[][] {
  const g = new Generator(seed);
  return lengths.map((n) => randomIds(g, n, V));
}

function withRandomPads(rows: number[][], mask: number[][], seed: number): number[][] {
  const g = new Generator(seed);
  return rows.map((r, b) => r.map((id, t) => (mask[b]![t] === 1 ? id : g.randint(V))));
}

type Batched = (ids: Tensor, mask: Tensor) => Float32Array;
type Alone = (ids: Tensor) => Float32Array;

/** Compares each real token of the padded batch with the sequence alone. */
function checkPadding(batched: Batched, alone: Alone, seqs: number[][], side: 'right' | 'left', what: string): void {
  const padded = side === 'right' ? rightPad(seqs, 0) : leftPad(seqs, 0);
  const idsRows = withRandomPads(padded.ids, padded.mask, 99);
  const T = idsRows[0]!.length;
  const out = batched(ids2d(idsRows), ids2d(padded.mask));
  seqs.forEach((s, b) => {
    const single = alone(ids2d([s]));
    const offset = side === 'right' ? 0 : T - s.length;
    for (let t = 0; t < s.length; t++) {
      assertRel(
        rowAt(out, T, V, b, offset + t),
        rowAt(single, s.length, V, 0, t),
        TOL,
        `${what} ${side}-padded row ${b} token ${t}`,
      );
    }
  });
}

/** Documents packed into one row (documentIds) against each document alone. */
function checkPacking(model: GPT, docs: number[][], what: string): void {
  const row = docs.flat();
  const docIds = docs.flatMap((d, i) => d.map(() => i));
  const out = data(
    model.forward(ids2d([row, [...row].reverse()]), { documentIds: ids2d([docIds, [...docIds].reverse()]) }).logits!,
  );
  const T = row.length;
  let at = 0;
  docs.forEach((d, i) => {
    const single = data(model.forward(ids2d([d])).logits!);
    for (let t = 0; t < d.length; t++)
      assertRel(
        rowAt(out, T, V, 0, at + t),
        rowAt(single, d.length, V, 0, t),
        TOL,
        `${what} packed doc ${i} token ${t}`,
      );
    at += d.length;
  });
}

const gptVariants: [string, () => GPT][] = [
  ['gpt2 learned', () => tinyGpt({ position: 'learned' })],
  ['gpt2 sinusoidal', () => tinyGpt({ position: 'sinusoidal' })],
  ['gpt2 rope half', () => tinyGpt({ position: 'rope', ropeStyle: 'half' })],
  ['gpt2 rope interleaved', () => tinyGpt({ position: 'rope', ropeStyle: 'interleaved' })],
  ['gpt2 alibi', () => tinyGpt({ position: 'alibi' })],
  ['gpt2 none', () => tinyGpt({ position: 'none' })],
  ['gpt2 post-LN', () => tinyGpt({ normPlacement: 'post' })],
  ['llama (GQA, RoPE half, RMSNorm, SwiGLU)', () => tinyGpt({}, 'llama')],
  ['llama rope interleaved', () => tinyGpt({ ropeStyle: 'interleaved' }, 'llama')],
  [
    'llama MQA + linear rope scaling',
    () => tinyGpt({ nKvHead: 1, ropeScaling: { type: 'linear', factor: 4 } }, 'llama'),
  ],
];

describe('GPT: padded batch = each sequence alone', () => {
  for (const [name, make] of gptVariants) {
    it(`${name}: right padding, left padding (positions from the mask), packed documents`, () => {
      const model = make();
      const batched: Batched = (ids, mask) => data(model.forward(ids, { attentionMask: mask }).logits!);
      const alone: Alone = (ids) => data(model.forward(ids).logits!);
      checkPadding(batched, alone, sequences(1), 'right', name);
      checkPadding(batched, alone, sequences(2), 'left', name);
      checkPacking(model, sequences(3, [5, 3, 6]), name);
    });
  }

  it('the checks are sensitive: without the mask, padding changes the real tokens', () => {
    const model = tinyGpt({ position: 'learned' });
    const seqs = sequences(4);
    const padded = leftPad(seqs, 0);
    const ids = ids2d(withRandomPads(padded.ids, padded.mask, 5));
    const T = padded.ids[0]!.length;
    const out = data(model.forward(ids).logits!);
    const single = data(model.forward(ids2d([seqs[1]!])).logits!);
    assert.throws(() =>
      assertRel(rowAt(out, T, V, 1, T - 1), rowAt(single, seqs[1]!.length, V, 0, seqs[1]!.length - 1), TOL, 'unmasked'),
    );
  });

  it('left padding with captureAttention (the unfused path) gives finite logits equal to the fused path', () => {
    for (const make of [() => tinyGpt({ position: 'learned' }), () => tinyGpt({}, 'llama')]) {
      const model = make();
      const padded = leftPad(sequences(6), 0);
      const ids = ids2d(padded.ids);
      const mask = ids2d(padded.mask);
      const fused = data(model.forward(ids, { attentionMask: mask }).logits!);
      const captured = data(model.forward(ids, { attentionMask: mask, captureAttention: true }).logits!);
      const T = padded.ids[0]!.length;
      padded.mask.forEach((row, b) =>
        row.forEach((m, t) => {
          if (m === 1)
            assertRel(rowAt(captured, T, V, b, t), rowAt(fused, T, V, b, t), TOL, `captured row ${b} token ${t}`);
        }),
      );
    }
  });
});

function tinyBert(over: Partial<BertConfig> = {}): BERT {
  return new BERT(
    bertPreset('bert-tiny', {
      vocabSize: V,
      blockSize: 32,
      nLayer: 2,
      nHead: 4,
      nEmbd: 32,
      dropout: 0,
      attnDropout: 0,
      initStd: 0.2,
      ...over,
    }),
    { seed: 2 },
  ).eval();
}

describe('training mode (attention dropout) with left padding', () => {
  it('every logit is finite, and the loss of a left-padded batch has a finite gradient', () => {
    const model = new GPT(
      gptPreset('gpt2', {
        vocabSize: V,
        blockSize: 32,
        nLayer: 2,
        nHead: 4,
        nEmbd: 32,
        dropout: 0.1,
        attnDropout: 0.2,
      }),
      { seed: 3 },
    );
    const padded = leftPad(sequences(12), 0);
    const targets = padded.ids.map((r, b) =>
      r.map((_, t) => (padded.mask[b]![t] === 1 && t + 1 < r.length ? r[t + 1]! : -100)),
    );
    const out = model.forward(ids2d(padded.ids), { attentionMask: ids2d(padded.mask), targets: ids2d(targets) });
    assert.ok(Array.from(out.logits!.toTypedArray()).every(Number.isFinite));
    out.loss!.backward();
    for (const [name, p] of model.namedParameters())
      assert.ok(Array.from(p.grad!.toTypedArray()).every(Number.isFinite), name);
  });
});

describe('BERT: right-padded batch = each sequence alone', () => {
  for (const position of ['learned', 'sinusoidal', 'rope', 'none'] as const) {
    it(`${position} positions`, () => {
      const model = tinyBert({ position });
      const batched: Batched = (ids, mask) =>
        data(model.forward(ids, { attentionMask: mask, mlmLogits: true }).mlmLogits!);
      const alone: Alone = (ids) => data(model.forward(ids, { mlmLogits: true }).mlmLogits!);
      checkPadding(batched, alone, sequences(7), 'right', `bert ${position}`);
    });
  }

  it('pre-LN BERT with token types', () => {
    const model = tinyBert({ normPlacement: 'pre' });
    const seqs = sequences(8);
    const types = (n: number): number[] => Array.from({ length: n }, (_, i) => (i >= n / 2 ? 1 : 0));
    const padded = rightPad(seqs, 0);
    const T = padded.ids[0]!.length;
    const out = data(
      model.forward(ids2d(withRandomPads(padded.ids, padded.mask, 1)), {
        attentionMask: ids2d(padded.mask),
        tokenTypeIds: ids2d(seqs.map((s) => [...types(s.length), ...Array<number>(T - s.length).fill(1)])),
        mlmLogits: true,
      }).mlmLogits!,
    );
    seqs.forEach((s, b) => {
      const single = data(
        model.forward(ids2d([s]), { tokenTypeIds: ids2d([types(s.length)]), mlmLogits: true }).mlmLogits!,
      );
      for (let t = 0; t < s.length; t++)
        assertRel(rowAt(out, T, V, b, t), rowAt(single, s.length, V, 0, t), TOL, `bert row ${b} token ${t}`);
    });
  });
});

describe('encoder-decoder: padded source and target = each pair alone', () => {
  for (const position of ['learned', 'sinusoidal', 'rope', 'none'] as const) {
    it(`${position} positions`, () => {
      const model = new EncoderDecoder(
        encoderDecoderPreset({
          vocabSize: V,
          blockSize: 32,
          nEncoderLayer: 2,
          nLayer: 2,
          nHead: 4,
          nEmbd: 32,
          dropout: 0,
          attnDropout: 0,
          initStd: 0.2,
          position,
        }),
        { seed: 3 },
      ).eval();
      const src = sequences(9, [6, 2, 4]);
      const tgt = sequences(10, [3, 5, 1]);
      const ps = rightPad(src, 0);
      const pt = rightPad(tgt, 0);
      const T = pt.ids[0]!.length;
      const out = data(
        model.forward(ids2d(withRandomPads(ps.ids, ps.mask, 1)), ids2d(withRandomPads(pt.ids, pt.mask, 2)), {
          sourceMask: ids2d(ps.mask),
          targetMask: ids2d(pt.mask),
        }).logits,
      );
      src.forEach((s, b) => {
        const single = data(model.forward(ids2d([s]), ids2d([tgt[b]!])).logits);
        for (let t = 0; t < tgt[b]!.length; t++) {
          assertRel(
            rowAt(out, T, V, b, t),
            rowAt(single, tgt[b]!.length, V, 0, t),
            TOL,
            `encdec ${position} row ${b} token ${t}`,
          );
        }
      });
    });
  }
});

describe('loss masks', () => {
  it('GPT loss over a right-padded batch with -100 on pads = the token-weighted mean of each sequence alone', () => {
    const model = tinyGpt({}, 'llama');
    const seqs = sequences(11, [6, 3]);
    const padded = rightPad(seqs, 0);
    const T = padded.ids[0]!.length;
    const targets = padded.ids.map((r, b) => r.map((_, t) => (t + 1 < seqs[b]!.length ? r[t + 1]! : -100)));
    const batch = model
      .forward(ids2d(withRandomPads(padded.ids, padded.mask, 3)), {
        attentionMask: ids2d(padded.mask),
        targets: ids2d(targets),
      })
      .loss!.item();
    let sum = 0;
    let count = 0;
    for (const s of seqs) {
      const n = s.length - 1;
      const loss = model
        .forward(ids2d([s]), { targets: tensor(Int32Array.from([...s.slice(1), -100]), { shape: [1, s.length] }) })
        .loss!.item();
      sum += loss * n;
      count += n;
    }
    assert.ok(Math.abs(batch - sum / count) < 1e-5 * Math.abs(batch), `${batch} vs ${sum / count}`);
    void T;
  });
});
