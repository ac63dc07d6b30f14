/**
 * Normalization layers (notes section 11) against their formulas in float64:
 * LayerNorm (biased variance, eps inside the sqrt, per token across features), RMSNorm,
 * and MaskedBatchNorm (per feature across batch and time, over real tokens only): a padded
 * batch normalizes its real tokens exactly like the unpadded tokens alone; running
 * statistics follow torch.nn.BatchNorm1d (momentum 0.1, unbiased variance for the running
 * estimate, biased for normalization); eval mode uses them; a GPT with BatchNorm gives the
 * same real-token logits for right and left padding. The notes' claim about batch size 1
 * is measured: one token normalizes to exactly the bias.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { getDefaultBackend } from '../../src/backends/select.ts';
import { LayerNorm, MaskedBatchNorm, RMSNorm } from '../../src/nn/norms.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { assertRel, ids2d, leftPad, randomIds, rightPad, rowAt } from '../models/helpers.ts';

const backend = getDefaultBackend();
const ctx = { backend };

function randn(g: Generator, n: number, mean = 0, std = 1): Float64Array {
  return Float64Array.from({ length: n }, () => g.normal(mean, std));
}

function setParam(p: Tensor, values: ArrayLike<number>): void {
  (p.data as Float32Array).set(Float32Array.from(values as ArrayLike<number>));
}

describe('LayerNorm and RMSNorm vs their formulas', () => {
  const C = 12;
  const N = 10;
  const g = new Generator(1);
  const x = randn(g, N * C, 3, 2); // off-center so mean subtraction matters
  const w = randn(g, C, 1, 0.3);
  const b = randn(g, C, 0, 0.3);
  const xt = tensor(Float32Array.from(x), { shape: [2, 5, C], backend });

  for (const eps of [1e-5, 1e-12, 0.5]) {
    it(`LayerNorm eps ${eps}: (x − mean)/sqrt(var_biased + eps)·w + b per token`, () => {
      const ln = new LayerNorm(C, ctx, eps);
      setParam(ln.weight!, w);
      setParam(ln.bias!, b);
      const got = ln.forward(xt).toTypedArray();
      const want = new Float64Array(N * C);
      for (let r = 0; r < N; r++) {
        const row = x.subarray(r * C, (r + 1) * C);
        const mean = row.reduce((s, v) => s + v, 0) / C;
        const v = row.reduce((s, u) => s + (u - mean) ** 2, 0) / C;
        for (let c = 0; c < C; c++) want[r * C + c] = ((row[c]! - mean) / Math.sqrt(v + eps)) * w[c]! + b[c]!;
      }
      assertRel(got, want, 2e-6, 'layernorm');
    });

    it(`RMSNorm eps ${eps}: x / sqrt(mean(x²) + eps)·w`, () => {
      const rms = new RMSNorm(C, ctx, eps);
      setParam(rms.weight, w);
      const got = rms.forward(xt).toTypedArray();
      const want = new Float64Array(N * C);
      for (let r = 0; r < N; r++) {
        const row = x.subarray(r * C, (r + 1) * C);
        const ms = row.reduce((s, v) => s + v * v, 0) / C;
        for (let c = 0; c < C; c++) want[r * C + c] = (row[c]! / Math.sqrt(ms + eps)) * w[c]!;
      }
      assertRel(got, want, 2e-6, 'rmsnorm');
    });
  }

  it('LayerNorm without bias, and without affine parameters', () => {
    const noBias = new LayerNorm(C, ctx, 1e-5, { bias: false });
    assert.equal(noBias.bias, null);
    const plain = new LayerNorm(C, ctx, 1e-5, { affine: false });
    assert.equal(plain.weight, null);
    const y = plain.forward(xt).toTypedArray();
    for (let r = 0; r < N; r++) {
      const row = Array.from(y.subarray(r * C, (r + 1) * C));
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) / C) < 1e-5);
      assert.ok(Math.abs(row.reduce((s, v) => s + v * v, 0) / C - 1) < 1e-3);
    }
  });
});

/** Per-feature mean and variances of the real tokens. */
function featureStats(
  x: Float64Array,
  mask: number[][],
  C: number,
): { mean: Float64Array; biased: Float64Array; unbiased: Float64Array; n: number } {
  const T = mask[0]!.length;
  const rows: number[] = [];
  mask.forEach((r, b) =>
    r.forEach((m, t) => {
      if (m) rows.push(b * T + t);
    }),
  );
  const n = rows.length;
  const mean = new Float64Array(C);
  const biased = new Float64Array(C);
  for (const r of rows) for (let c = 0; c < C; c++) mean[c]! += x[r * C + c]! / n;
  for (const r of rows) for (let c = 0; c < C; c++) biased[c]! += (x[r * C + c]! - mean[c]!) ** 2 / n;
  const unbiased = biased.map((v) => (v * n) / (n - 1));
  return { mean, biased, unbiased, n };
}

describe('MaskedBatchNorm', () => {
  const C = 6;
  const B = 3;
  const T = 5;
  const mask = [
    [1, 1, 1, 1, 1],
    [1, 1, 0, 0, 0],
    [1, 1, 1, 0, 0],
  ];
  const g = new Generator(2);
  const x = randn(g, B * T * C, 2, 3);
  // pads hold huge values: any leak into the statistics shows
  mask.forEach((r, b) =>
    r.forEach((m, t) => {
      if (!m) for (let c = 0; c < C; c++) x[(b * T + t) * C + c] = 1e4;
    }),
  );
  const xt = (): Tensor => tensor(Float32Array.from(x), { shape: [B, T, C], backend });
  const w = randn(g, C, 1, 0.2);
  const bias = randn(g, C, 0, 0.2);

  function bn(): MaskedBatchNorm {
    const m = new MaskedBatchNorm(C, ctx);
    setParam(m.weight, w);
    setParam(m.bias, bias);
    return m;
  }

  it('training: statistics over real tokens only; the padded batch normalizes them like the unpadded tokens alone', () => {
    const { mean, biased } = featureStats(x, mask, C);
    const y = bn().forward(xt(), ids2d(mask)).toTypedArray();
    // reference by formula
    const real: number[] = [];
    const want: number[] = [];
    mask.forEach((r, b) =>
      r.forEach((m, t) => {
        if (!m) return;
        for (let c = 0; c < C; c++) {
          real.push(y[(b * T + t) * C + c]!);
          want.push(((x[(b * T + t) * C + c]! - mean[c]!) / Math.sqrt(biased[c]! + 1e-5)) * w[c]! + bias[c]!);
        }
      }),
    );
    assertRel(real, want, 1e-5, 'masked batchnorm');
    // the real tokens alone as [N, C] (no mask) give the same outputs
    const rows = want.length / C;
    const alone = new Float32Array(rows * C);
    let i = 0;
    mask.forEach((r, b) =>
      r.forEach((m, t) => {
        if (m) alone.set(Float32Array.from(x.subarray((b * T + t) * C, (b * T + t + 1) * C)), C * i++);
      }),
    );
    assertRel(
      bn()
        .forward(tensor(alone, { shape: [rows, C], backend }))
        .toTypedArray(),
      real,
      1e-5,
      'unpadded',
    );
  });

  it('running statistics: momentum 0.1 with the unbiased variance, as torch.nn.BatchNorm1d; eval uses them', () => {
    const m = bn();
    const { mean, unbiased } = featureStats(x, mask, C);
    m.forward(xt(), ids2d(mask));
    assertRel(
      m.running_mean.toTypedArray(),
      mean.map((v) => 0.1 * v),
      1e-6,
      'running mean after 1 step',
    );
    assertRel(
      m.running_var.toTypedArray(),
      unbiased.map((v) => 0.9 + 0.1 * v),
      1e-6,
      'running var after 1 step',
    );
    m.forward(xt(), ids2d(mask));
    assertRel(
      m.running_mean.toTypedArray(),
      mean.map((v) => 0.9 * 0.1 * v + 0.1 * v),
      1e-6,
      'running mean after 2 steps',
    );
    assertRel(
      m.running_var.toTypedArray(),
      unbiased.map((v) => 0.9 * (0.9 + 0.1 * v) + 0.1 * v),
      1e-6,
      'running var after 2 steps',
    );
    m.eval();
    const rm = m.running_mean.toTypedArray();
    const rv = m.running_var.toTypedArray();
    const y = m.forward(xt(), ids2d(mask)).toTypedArray();
    const want = Float64Array.from(
      { length: B * T * C },
      (_, i) => ((x[i]! - rm[i % C]!) / Math.sqrt(rv[i % C]! + 1e-5)) * w[i % C]! + bias[i % C]!,
    );
    assertRel(y, want, 1e-5, 'eval mode');
    // eval leaves the running statistics alone
    assert.deepEqual(m.running_mean.toTypedArray(), rm);
  });

  it('no real token at all is a ShapeError; a mask of the wrong shape too', () => {
    assert.throws(() => bn().forward(xt(), ids2d(mask.map((r) => r.map(() => 0)))), ShapeError);
    assert.throws(() => bn().forward(xt(), ids2d([[1, 1, 1, 1, 1]])), ShapeError);
  });

  it('batch of one token (the notes\' "batches can be tiny, even 1"): the output is exactly the bias', (t) => {
    const m = bn();
    const one = tensor(Float32Array.from([0.3, -2, 5, 1, 0, 7]), { shape: [1, 1, C], backend });
    const y = m.forward(one).toTypedArray();
    const gap = Math.max(...Array.from(y, (v, i) => Math.abs(v - Math.fround(bias[i]!))));
    t.diagnostic(
      `one token through BatchNorm: max |y − bias| = ${gap}; the token's content is erased (torch raises for this case)`,
    );
    assert.ok(gap < 1e-6);
    // LayerNorm on the same token keeps its content
    const ln = new LayerNorm(C, ctx).forward(one).toTypedArray();
    assert.ok(Math.max(...Array.from(ln, Math.abs)) > 0.5);
  });

  it('a GPT with BatchNorm in training mode: right- and left-padded batches give the same real-token logits', () => {
    const V = 23;
    const model = new GPT(
      gptPreset('gpt2', {
        vocabSize: V,
        blockSize: 16,
        nLayer: 2,
        nHead: 2,
        nEmbd: 16,
        dropout: 0,
        attnDropout: 0,
        norm: 'batchnorm',
        initStd: 0.2,
      }),
      { seed: 4 },
    );
    const g2 = new Generator(5);
    const seqs = [randomIds(g2, 6, V), randomIds(g2, 3, V)];
    const r = rightPad(seqs, 7);
    const l = leftPad(seqs, 11);
    const yr = model.forward(ids2d(r.ids), { attentionMask: ids2d(r.mask) }).logits!.toTypedArray();
    const yl = model.forward(ids2d(l.ids), { attentionMask: ids2d(l.mask) }).logits!.toTypedArray();
    seqs.forEach((s, b) => {
      for (let t = 0; t < s.length; t++)
        assertRel(rowAt(yr, 6, V, b, t), rowAt(yl, 6, V, b, 6 - s.length + t), 2e-5, `row ${b} token ${t}`);
    });
  });
});
