/**
 * Positional encodings (notes section 9), against their definitions:
 * - sinusoidal: PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(...); PE(pos + k)
 *   is a fixed linear map (a rotation per pair, built from PE(k) alone) of PE(pos);
 * - RoPE: q·k after rotation depends only on m − n (half-split and interleaved, with
 *   scaling); interleaved RoPE on Meta-layout weights equals half-split RoPE on weights with
 *   HF's q/k permutation (hf-parity.md 3.3) at the model level; inv_freq, linear and dynamic
 *   NTK scaling by hand;
 * - ALiBi: slopes 2^-1..2^-8 for 8 heads, the paper's interleaving for 6 and 12 heads, and
 *   the bias −slope·(q − k);
 * - position ids from a mask (cumsum − 1, pads 1) and packed documents.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, noGrad, tensor } from '../../src/engine/index.ts';
import { getDefaultBackend } from '../../src/backends/select.ts';
import {
  alibiBias,
  alibiSlopes,
  applyRope,
  ropeInverseFrequencies,
  ropeTables,
  sinusoidalTable,
} from '../../src/nn/positional.ts';
import type { RopeOptions } from '../../src/nn/positional.ts';
import { packedDocuments, positionsFromMask } from '../../src/nn/masks.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { assertRel, ids2d } from '../models/helpers.ts';

const backend = getDefaultBackend();

describe('sinusoidal positions', () => {
  const L = 128;
  const d = 32;
  const table = sinusoidalTable(L, d, backend).toTypedArray();
  const pe = (pos: number, j: number): number => table[pos * d + j]!;

  it('matches the definition of Vaswani et al.', () => {
    for (const pos of [0, 1, 7, 100, 127]) {
      for (let i = 0; i < d; i += 2) {
        const angle = pos / Math.pow(10000, i / d);
        assert.ok(Math.abs(pe(pos, i) - Math.sin(angle)) < 1e-6);
        assert.ok(Math.abs(pe(pos, i + 1) - Math.cos(angle)) < 1e-6);
      }
    }
  });

  it('PE(pos + k) = M_k · PE(pos) with M_k a per-pair rotation built from PE(k) only', () => {
    let worst = 0;
    for (const k of [1, 5, 17, 60]) {
      for (let pos = 0; pos + k < L; pos += 3) {
        for (let i = 0; i < d; i += 2) {
          const s = pe(k, i);
          const c = pe(k, i + 1);
          // [sin(a + b), cos(a + b)] = [[c, s], [-s, c]] · [sin a, cos a]
          const sinNext = c * pe(pos, i) + s * pe(pos, i + 1);
          const cosNext = -s * pe(pos, i) + c * pe(pos, i + 1);
          worst = Math.max(worst, Math.abs(sinNext - pe(pos + k, i)), Math.abs(cosNext - pe(pos + k, i + 1)));
        }
      }
    }
    assert.ok(worst < 1e-5, `worst ${worst}`);
  });
});

/** q·k for one head after RoPE at positions m (query) and n (key). */
function ropeDot(q: Float32Array, k: Float32Array, m: number, n: number, opts: RopeOptions): number {
  const D = q.length;
  const tq = ropeTables(tensor(Int32Array.from([m]), { shape: [1, 1], backend }), opts);
  const tk = ropeTables(tensor(Int32Array.from([n]), { shape: [1, 1], backend }), opts);
  const rq = applyRope(tensor(q, { shape: [1, 1, 1, D], backend }), tq, opts.style).toTypedArray();
  const rk = applyRope(tensor(k, { shape: [1, 1, 1, D], backend }), tk, opts.style).toTypedArray();
  let s = 0;
  for (let i = 0; i < D; i++) s += rq[i]! * rk[i]!;
  return s;
}

describe('RoPE', () => {
  const D = 16;
  const g = new Generator(3);
  const q = Float32Array.from({ length: D }, () => g.normal());
  const k = Float32Array.from({ length: D }, () => g.normal());
  let norm = 0;
  for (let i = 0; i < D; i++) norm += q[i]! * q[i]! + k[i]! * k[i]!;

  for (const style of ['half', 'interleaved'] as const) {
    for (const scaling of [null, { type: 'linear' as const, factor: 4 }]) {
      it(`${style}${scaling ? ' with linear scaling' : ''}: scores depend only on m − n (shifting both positions changes nothing)`, () => {
        const opts: RopeOptions = { headDim: D, style, scaling };
        let worst = 0;
        for (const [m, n] of [
          [0, 0],
          [5, 2],
          [9, 9],
          [3, 11],
          [40, 1],
        ] as const) {
          const base = ropeDot(q, k, m, n, opts);
          for (const shift of [1, 7, 33])
            worst = Math.max(worst, Math.abs(ropeDot(q, k, m + shift, n + shift, opts) - base) / norm);
        }
        assert.ok(worst < 1e-5, `worst ${worst}`);
        // and the scores do depend on the distance
        assert.ok(Math.abs(ropeDot(q, k, 5, 2, opts) - ropeDot(q, k, 5, 4, opts)) > 1e-3);
      });
    }
  }

  it('position 0 is the identity; half-split pairs dim i with i + D/2, interleaved pairs 2i with 2i+1', () => {
    const x = Float32Array.from({ length: D }, (_, i) => i + 1);
    for (const style of ['half', 'interleaved'] as const) {
      const t0 = ropeTables(tensor(Int32Array.from([0]), { shape: [1, 1], backend }), { headDim: D, style });
      assert.deepEqual(
        Array.from(applyRope(tensor(x, { shape: [1, 1, 1, D], backend }), t0, style).toTypedArray()),
        Array.from(x),
      );
    }
    // rotate only pair 0 (theta huge: inv_freq[i > 0] ~ 0) by position 1 (angle 1 for i = 0)
    const p1 = tensor(Int32Array.from([1]), { shape: [1, 1], backend });
    const half = applyRope(
      tensor(x, { shape: [1, 1, 1, D], backend }),
      ropeTables(p1, { headDim: D, style: 'half', theta: 1e30 }),
      'half',
    ).toTypedArray();
    assert.ok(
      Math.abs(half[0]! - (Math.cos(1) * 1 - Math.sin(1) * 9)) < 1e-5 &&
        Math.abs(half[8]! - (Math.cos(1) * 9 + Math.sin(1) * 1)) < 1e-5,
    );
    const inter = applyRope(
      tensor(x, { shape: [1, 1, 1, D], backend }),
      ropeTables(p1, { headDim: D, style: 'interleaved', theta: 1e30 }),
      'interleaved',
    ).toTypedArray();
    assert.ok(
      Math.abs(inter[0]! - (Math.cos(1) * 1 - Math.sin(1) * 2)) < 1e-5 &&
        Math.abs(inter[1]! - (Math.cos(1) * 2 + Math.sin(1) * 1)) < 1e-5,
    );
  });

  it('inv_freq = 1 / theta^(2i/D); linear scaling divides positions; dynamic NTK rescales the base past the context', () => {
    const inv = ropeInverseFrequencies(D, 10000);
    for (let i = 0; i < D / 2; i++)
      assert.ok(Math.abs(inv[i]! - 1 / Math.pow(10000, (2 * i) / D)) < 1e-7 * Math.max(1, inv[i]!));
    const at = (pos: number, opts: Partial<RopeOptions>): Float32Array =>
      ropeTables(tensor(Int32Array.from([pos]), { shape: [1, 1], backend }), {
        headDim: D,
        ...opts,
      }).cos.toTypedArray() as Float32Array;
    assertRel(at(14, { scaling: { type: 'linear', factor: 2 } }), at(7, {}), 1e-6, 'linear');
    // dynamic: unchanged within max_position_embeddings
    assertRel(at(15, { scaling: { type: 'dynamic', factor: 2 }, maxPositions: 16 }), at(15, {}), 0, 'dynamic within');
    // past it: base' = base · (f·L/max − (f − 1))^(D/(D − 2)) with L = max position + 1 (HF v4.38)
    const L = 40;
    const base = 10000 * Math.pow((2 * L) / 16 - 1, D / (D - 2));
    const got = at(L - 1, { scaling: { type: 'dynamic', factor: 2 }, maxPositions: 16 });
    for (let i = 0; i < D / 2; i++)
      assert.ok(Math.abs(got[i]! - Math.cos((L - 1) / Math.pow(base, (2 * i) / D))) < 1e-4, `dim ${i}`);
  });

  it('interleaved RoPE on Meta weights = half-split RoPE on HF-permuted q/k weights (whole model)', () => {
    const cfg = gptPreset('llama', {
      vocabSize: 31,
      blockSize: 32,
      nLayer: 2,
      nHead: 4,
      nKvHead: 2,
      nEmbd: 32,
      intermediateSize: 48,
      initStd: 0.2,
    });
    const meta = new GPT({ ...cfg, ropeStyle: 'interleaved' }, { seed: 9 }).eval();
    const hf = new GPT({ ...cfg, ropeStyle: 'half' }, { seed: 1 }).eval();
    hf.loadStateDict(meta.stateDict());
    // convert_llama_weights_to_hf permute: within each q and k head, rows [0, 1, 2, 3, ...] -> [0, 2, 4, ..., 1, 3, 5, ...]
    const D = 8;
    const C = 32;
    noGrad(() => {
      for (const block of hf.transformer.h) {
        const w = block.attn.c_attn.weight.data as Float32Array;
        const old = Float32Array.from(w);
        for (let head = 0; head < 4 + 2; head++) {
          // 4 q heads then 2 k heads; v untouched
          for (let j = 0; j < 2; j++) {
            for (let i = 0; i < D / 2; i++) {
              const dst = head * D + j * (D / 2) + i;
              const src = head * D + 2 * i + j;
              w.set(old.subarray(src * C, (src + 1) * C), dst * C);
            }
          }
        }
      }
    });
    const ids = ids2d([[3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]]);
    const a = meta.forward(ids).logits!.toTypedArray();
    const b = hf.forward(ids).logits!.toTypedArray();
    assertRel(b, a, 1e-5, 'permuted half-split vs interleaved');
    // and without the permutation the two styles disagree
    const unpermuted = new GPT({ ...cfg, ropeStyle: 'half' }, { seed: 1 }).eval();
    unpermuted.loadStateDict(meta.stateDict());
    assert.throws(() => assertRel(unpermuted.forward(ids).logits!.toTypedArray(), a, 1e-3, 'unpermuted'));
  });
});

describe('ALiBi', () => {
  it('8 heads: slopes 2^-1 … 2^-8', () => {
    assert.deepEqual(
      alibiSlopes(8),
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 ** -i),
    );
  });

  it('non-powers of 2 follow the paper: the closest power, then every other slope of twice as many heads', () => {
    assert.deepEqual(alibiSlopes(6), [2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
    const twelve = alibiSlopes(12);
    const want = [...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => 2 ** -i), 2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5];
    twelve.forEach((s, i) => assert.ok(Math.abs(s - want[i]!) < 1e-15, `head ${i}: ${s} vs ${want[i]}`));
    assert.deepEqual(alibiSlopes(1), [2 ** -8]);
  });

  it('bias = −slope · (query position − key position) for keys at or before the query', () => {
    const pos = tensor(Int32Array.from([0, 1, 2, 3]), { shape: [1, 4], backend });
    const bias = alibiBias([0.5, 0.25], pos, pos).toTypedArray();
    for (let h = 0; h < 2; h++) {
      for (let t = 0; t < 4; t++) {
        for (let s = 0; s <= t; s++) assert.equal(bias[(h * 4 + t) * 4 + s], -[0.5, 0.25][h]! * (t - s));
      }
    }
  });
});

describe('position ids and packing', () => {
  it('positions from a mask: cumsum − 1 on real tokens, 1 on pads (hf-parity.md 7)', () => {
    const p = positionsFromMask(
      ids2d([
        [0, 0, 1, 1, 1],
        [1, 1, 1, 0, 0],
        [1, 0, 1, 0, 1],
      ]),
    ).toTypedArray();
    assert.deepEqual(Array.from(p), [1, 1, 0, 1, 2, 0, 1, 2, 1, 1, 0, 1, 1, 1, 2]);
  });

  it('packed documents: block-diagonal causal mask and positions restarting per document', () => {
    const { mask, positions } = packedDocuments(ids2d([[7, 7, 7, 2, 2, 5]]), true);
    assert.deepEqual(Array.from(positions.toTypedArray()), [0, 1, 2, 0, 1, 0]);
    const m = mask.toTypedArray();
    const doc = [7, 7, 7, 2, 2, 5];
    for (let t = 0; t < 6; t++)
      for (let s = 0; s < 6; s++)
        assert.equal(m[t * 6 + s], doc[t] === doc[s] && s <= t ? 0 : -Infinity, `(${t}, ${s})`);
  });
});
