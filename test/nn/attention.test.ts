/**
 * Attention variants against a plain-loop float64 reference (q = x·Wqᵀ + b per head,
 * softmax(q·kᵀ/√D + masks)·v, then the output projection): single-head, MHA, MQA
 * (nKvHead = 1) and GQA (kv head j serves query heads j·g … j·g+g−1, HF repeat_kv), with
 * the causal mask, a padding mask, both combined, and an additive float mask; the fused and
 * unfused (captureAttention) paths agree; captured probabilities are row-stochastic with
 * zeros above the diagonal and on padded keys; bad configs are ConfigErrors naming the field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { getDefaultBackend } from '../../src/backends/select.ts';
import { SelfAttention } from '../../src/nn/attention.ts';
import type { AttentionConfig } from '../../src/nn/attention.ts';
import { paddingMask } from '../../src/nn/masks.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { assertRel, ids2d } from '../models/helpers.ts';

const backend = getDefaultBackend();

function attention(nHead: number, nKvHead: number, C = 24, seed = 1): SelfAttention {
  const config: AttentionConfig = {
    nEmbd: C,
    nHead,
    nKvHead,
    bias: true,
    attnDropout: 0,
    residDropout: 0,
    initStd: 0.3,
    projInitStd: 0.3,
  };
  const g = new Generator(seed);
  const a = new SelfAttention(config, { generator: g, backend }, g);
  // non-zero biases so the reference checks them too
  for (const p of [a.c_attn.bias!, a.c_proj.bias!]) {
    const d = p.data as Float32Array;
    for (let i = 0; i < p.size; i++) d[i] = g.normal(0, 0.1);
  }
  return a.eval();
}

function randomInput(B: number, T: number, C: number, seed: number): { x: Tensor; values: Float64Array } {
  const g = new Generator(seed);
  const values = Float64Array.from({ length: B * T * C }, () => g.normal());
  return { x: tensor(Float32Array.from(values), { shape: [B, T, C], backend }), values };
}

/** y [B, T, C] by loops in float64. keyOk(b, t, s) says whether query t of row b sees key s. */
function reference(
  a: SelfAttention,
  x: Float64Array,
  B: number,
  T: number,
  keyOk: (b: number, t: number, s: number) => boolean,
  extra?: (b: number, h: number, t: number, s: number) => number,
): Float64Array {
  const C = a.config.nEmbd;
  const { nHead: H, nKvHead: Hkv, headDim: D } = a;
  const W = a.c_attn.weight.toTypedArray();
  const bias = a.c_attn.bias!.toTypedArray();
  const Wo = a.c_proj.weight.toTypedArray();
  const bo = a.c_proj.bias!.toTypedArray();
  const rows = (H + 2 * Hkv) * D;
  const qkv = new Float64Array(B * T * rows);
  for (let bt = 0; bt < B * T; bt++) {
    for (let o = 0; o < rows; o++) {
      let s = bias[o]!;
      for (let i = 0; i < C; i++) s += W[o * C + i]! * x[bt * C + i]!;
      qkv[bt * rows + o] = s;
    }
  }
  const g = H / Hkv;
  const merged = new Float64Array(B * T * H * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kvh = Math.floor(h / g);
      for (let t = 0; t < T; t++) {
        const scores: number[] = [];
        for (let s = 0; s < T; s++) {
          if (!keyOk(b, t, s)) {
            scores.push(-Infinity);
            continue;
          }
          let dot = 0;
          for (let d = 0; d < D; d++)
            dot += qkv[(b * T + t) * rows + h * D + d]! * qkv[(b * T + s) * rows + (H + kvh) * D + d]!;
          scores.push(dot / Math.sqrt(D) + (extra ? extra(b, h, t, s) : 0));
        }
        const m = Math.max(...scores);
        const e = scores.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
        const z = e.reduce((p, q) => p + q, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let s = 0; s < T; s++) acc += (e[s]! / z) * qkv[(b * T + s) * rows + (H + Hkv + kvh) * D + d]!;
          merged[(b * T + t) * H * D + h * D + d] = acc;
        }
      }
    }
  }
  const y = new Float64Array(B * T * C);
  for (let bt = 0; bt < B * T; bt++) {
    for (let o = 0; o < C; o++) {
      let s = bo[o]!;
      for (let i = 0; i < H * D; i++) s += Wo[o * H * D + i]! * merged[bt * H * D + i]!;
      y[bt * C + o] = s;
    }
  }
  return y;
}

/** Real (query) rows only: padded queries are garbage by design. */
function realRows(y: ArrayLike<number>, mask: number[][], C: number): Float64Array {
  const T = mask[0]!.length;
  const out: number[] = [];
  mask.forEach((row, b) =>
    row.forEach((m, t) => {
      if (m) for (let c = 0; c < C; c++) out.push(y[(b * T + t) * C + c]!);
    }),
  );
  return Float64Array.from(out);
}

describe('SelfAttention vs an explicit matmul + softmax reference', () => {
  const B = 2;
  const T = 6;
  const C = 24;
  const mask = [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 0],
  ];
  for (const [name, H, Hkv] of [
    ['single-head', 1, 1],
    ['MHA', 4, 4],
    ['MQA', 4, 1],
    ['GQA', 6, 2],
    ['GQA 6/3', 6, 3],
  ] as const) {
    it(`${name} (${H} query heads, ${Hkv} kv heads): causal, padding, causal + padding, additive bias`, () => {
      const a = attention(H, Hkv, C);
      const { x, values } = randomInput(B, T, C, 2);
      const pad = paddingMask(ids2d(mask));
      const cases: [string, boolean, Tensor | null, (b: number, t: number, s: number) => boolean][] = [
        ['causal', true, null, (_b, t, s) => s <= t],
        ['padding', false, pad, (b, _t, s) => mask[b]![s] === 1],
        ['causal + padding', true, pad, (b, t, s) => s <= t && mask[b]![s] === 1],
        ['none', false, null, () => true],
      ];
      for (const [what, causal, m, ok] of cases) {
        for (const capture of [false, true]) {
          const y = a.forward(x, { causal, mask: m, rope: null, cache: null, capture }).toTypedArray();
          const want = reference(a, values, B, T, ok);
          const rowsMask = m === null ? mask.map((r) => r.map(() => 1)) : mask;
          assertRel(
            realRows(y, rowsMask, C),
            realRows(want, rowsMask, C),
            1e-5,
            `${name} ${what}${capture ? ' (unfused)' : ''}`,
          );
        }
      }
      // an additive float bias [B, H, T, T] (ALiBi-like) on top of the causal mask
      const g = new Generator(3);
      const biasValues = Float32Array.from({ length: B * H * T * T }, () => g.normal());
      const biasT = tensor(biasValues, { shape: [B, H, T, T], backend });
      const y = a.forward(x, { causal: true, mask: biasT, rope: null, cache: null }).toTypedArray();
      const want = reference(
        a,
        values,
        B,
        T,
        (_b, t, s) => s <= t,
        (b, h, t, s) => biasValues[((b * H + h) * T + t) * T + s]!,
      );
      assertRel(y, want, 1e-5, `${name} additive bias`);
    });
  }

  it('GQA pairs kv head j with query heads j·g … j·g+g−1 (not j, j+Hkv, ...)', () => {
    // zero every kv head but one: only that head's query group may change when its values change
    const a = attention(4, 2, 16);
    const { x } = randomInput(1, 5, 16, 4);
    const inputs = { causal: true, mask: null, rope: null, cache: null, capture: true } as const;
    a.forward(x, inputs);
    const before = a.lastAttention!.toTypedArray().slice();
    // perturb kv head 1's keys (rows (H + 1)·D … (H + 2)·D of c_attn)
    const W = a.c_attn.weight.data as Float32Array;
    const D = 4;
    for (let r = (4 + 1) * D; r < (4 + 2) * D; r++) for (let i = 0; i < 16; i++) W[r * 16 + i]! += 0.5;
    a.forward(x, inputs);
    const after = a.lastAttention!.toTypedArray();
    const headChanged = (h: number): boolean => {
      for (let i = h * 25; i < (h + 1) * 25; i++) if (Math.abs(after[i]! - before[i]!) > 1e-6) return true;
      return false;
    };
    assert.deepEqual([0, 1, 2, 3].map(headChanged), [false, false, true, true]);
  });

  it('bad head configurations are ConfigErrors naming the field', () => {
    const g = new Generator(1);
    const make = (c: Partial<AttentionConfig>): SelfAttention =>
      new SelfAttention(
        { nEmbd: 24, nHead: 4, bias: true, attnDropout: 0, residDropout: 0, initStd: 0.02, projInitStd: 0.02, ...c },
        { generator: g },
        g,
      );
    assert.throws(
      () => make({ nHead: 5 }),
      (e: unknown) => e instanceof ConfigError && e.field === 'n_embd',
    );
    assert.throws(
      () => make({ nKvHead: 3 }),
      (e: unknown) => e instanceof ConfigError && e.field === 'n_kv_head',
    );
    assert.throws(
      () => make({ nHead: 0 }),
      (e: unknown) => e instanceof ConfigError && e.field === 'n_head',
    );
  });
});

describe('captureAttention on a GPT', () => {
  it('every layer and head: rows sum to 1, zeros above the diagonal and on padded keys', () => {
    const model = new GPT(
      gptPreset('gpt2', {
        vocabSize: 29,
        blockSize: 16,
        nLayer: 2,
        nHead: 4,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
        initStd: 0.2,
      }),
      { seed: 1 },
    ).eval();
    const mask = [
      [1, 1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 0, 0],
    ];
    model.forward(
      ids2d([
        [1, 2, 3, 4, 5, 6, 7],
        [8, 9, 10, 11, 12, 0, 0],
      ]),
      { attentionMask: ids2d(mask), captureAttention: true },
    );
    for (const [l, block] of model.transformer.h.entries()) {
      const p = block.attn.lastAttention;
      assert.ok(p !== null, `layer ${l} captured nothing`);
      assert.deepEqual(p.shape, [2, 4, 7, 7]);
      const d = p.toTypedArray();
      for (let b = 0; b < 2; b++) {
        for (let h = 0; h < 4; h++) {
          for (let t = 0; t < 7; t++) {
            let sum = 0;
            for (let s = 0; s < 7; s++) {
              const v = d[((b * 4 + h) * 7 + t) * 7 + s]!;
              if (s > t || mask[b]![s] === 0) assert.equal(v, 0, `layer ${l} b${b} h${h} (${t}, ${s})`);
              assert.ok(v >= 0);
              sum += v;
            }
            if (mask[b]![t] === 1) assert.ok(Math.abs(sum - 1) < 1e-5, `row sum ${sum}`);
          }
        }
      }
    }
    // the fused path keeps nothing
    model.forward(ids2d([[1, 2, 3]]));
    assert.equal(model.transformer.h[0]!.attn.lastAttention, null);
  });
});
