/**
 * Native fused attention (forward: out and lse; backward: dQ, dK, dV) against the reference on
 * every SIMD path: causal with tq = tk and tq < tk (KV-cache offset), grouped-query heads,
 * additive masks broadcast through strides (per batch, padding masks, fully masked rows),
 * the [B, T, H, D] layout a fused qkv projection produces, head sizes that are not a multiple
 * of the vector width, sequences crossing the kernel's 64-query / 64-key blocks, decode (tq = 1)
 * and a few queries (the dot-product path for tq <= 4).
 */
import { describe, it, before } from 'node:test';
import type { AttentionArgs, AttentionLayout, StridedArray } from '../../src/backends/backend.ts';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import { assertClose, isaPaths, memo, pathBackend, selectPath, normal, rng, pathsSkipReason } from './helpers.ts';

interface Case {
  name: string;
  batch: number;
  heads: number;
  kvHeads: number;
  tq: number;
  tk: number;
  d: number;
  causal: boolean;
  /** 'bthd': q/k/v/out stored [B, T, H, D] (heads interleaved), else [B, H, T, D] */
  layout?: 'bthd' | undefined;
  mask?: 'batch' | 'padding' | 'full-row';
}

const CASES: Case[] = [
  { name: 'plain', batch: 2, heads: 3, kvHeads: 3, tq: 17, tk: 17, d: 8, causal: false },
  { name: 'causal, crosses 64-blocks', batch: 1, heads: 2, kvHeads: 2, tq: 70, tk: 70, d: 32, causal: true },
  { name: 'causal, tq < tk (KV cache)', batch: 2, heads: 2, kvHeads: 2, tq: 5, tk: 37, d: 16, causal: true },
  { name: 'GQA 4 heads / 2 kv heads, causal', batch: 2, heads: 4, kvHeads: 2, tq: 20, tk: 20, d: 24, causal: true },
  {
    name: 'MQA, [B,T,H,D] layout',
    batch: 2,
    heads: 4,
    kvHeads: 1,
    tq: 33,
    tk: 33,
    d: 20,
    causal: false,
    layout: 'bthd',
  },
  {
    name: 'additive mask per batch (broadcast over heads)',
    batch: 2,
    heads: 2,
    kvHeads: 2,
    tq: 9,
    tk: 13,
    d: 12,
    causal: false,
    mask: 'batch',
  },
  {
    name: 'padding mask + causal',
    batch: 3,
    heads: 2,
    kvHeads: 2,
    tq: 21,
    tk: 21,
    d: 16,
    causal: true,
    mask: 'padding',
  },
  { name: 'fully masked rows', batch: 1, heads: 2, kvHeads: 2, tq: 6, tk: 10, d: 8, causal: false, mask: 'full-row' },
  { name: 'decode tq = 1', batch: 1, heads: 4, kvHeads: 4, tq: 1, tk: 300, d: 64, causal: true },
  {
    name: 'few queries (3), KV cache, d = 20, padding mask',
    batch: 2,
    heads: 2,
    kvHeads: 1,
    tq: 3,
    tk: 50,
    d: 20,
    causal: true,
    mask: 'padding',
  },
  { name: 'shakespeare block', batch: 12, heads: 4, kvHeads: 4, tq: 64, tk: 64, d: 32, causal: true, layout: 'bthd' },
  { name: 'causal, tq < tk, long', batch: 1, heads: 1, kvHeads: 1, tq: 70, tk: 150, d: 40, causal: true },
  { name: 'd = 1', batch: 1, heads: 1, kvHeads: 1, tq: 3, tk: 4, d: 1, causal: false },
];

function layoutFor(c: Case, heads: number, t: number): { layout: AttentionLayout; size: number } {
  if (c.layout === 'bthd')
    return { layout: { sB: t * heads * c.d, sH: c.d, sT: heads * c.d }, size: c.batch * t * heads * c.d };
  return { layout: { sB: heads * t * c.d, sH: t * c.d, sT: c.d }, size: c.batch * heads * t * c.d };
}

function makeMask(c: Case): StridedArray<Float32Array> | null {
  const g = rng(77);
  if (c.mask === 'batch') {
    // [B, 1, T, S] broadcast over heads, with some -inf
    const d = normal(g, c.batch * c.tq * c.tk);
    for (let i = 0; i < d.length; i += 5) d[i] = -Infinity;
    return { data: d, offset: 0, strides: [c.tq * c.tk, 0, c.tk, 1] };
  }
  if (c.mask === 'padding') {
    // [B, 1, 1, S]: the last keys of each batch row are padding
    const d = new Float32Array(3 + c.batch * c.tk);
    for (let b = 0; b < c.batch; b++) for (let s = c.tk - 2 * b; s < c.tk; s++) d[3 + b * c.tk + s] = -Infinity;
    return { data: d, offset: 3, strides: [c.tk, 0, 0, 1] };
  }
  if (c.mask === 'full-row') {
    // [T, S] shared by batch and heads; rows 1 and 4 hide every key
    const d = normal(g, c.tq * c.tk);
    d.fill(-Infinity, 1 * c.tk, 2 * c.tk);
    d.fill(-Infinity, 4 * c.tk, 5 * c.tk);
    return { data: d, offset: 0, strides: [0, 0, c.tk, 1] };
  }
  return null;
}

function prepare(c: Case, seed: number) {
  const g = rng(seed);
  const ql = layoutFor(c, c.heads, c.tq),
    kl = layoutFor(c, c.kvHeads, c.tk);
  const q = normal(g, ql.size),
    k = normal(g, kl.size),
    v = normal(g, kl.size);
  const gradOut = normal(g, ql.size);
  // gradients of the interleaved-layout cases go to dense [B, H, T, D] buffers (their own layouts)
  const gq = c.layout === 'bthd' ? layoutFor({ ...c, layout: undefined }, c.heads, c.tq).layout : ql.layout;
  const gk = c.layout === 'bthd' ? layoutFor({ ...c, layout: undefined }, c.kvHeads, c.tk).layout : kl.layout;
  const base = {
    q,
    k,
    v,
    qLayout: ql.layout,
    kLayout: kl.layout,
    vLayout: kl.layout,
    outLayout: ql.layout,
    batch: c.batch,
    heads: c.heads,
    kvHeads: c.kvHeads,
    tq: c.tq,
    tk: c.tk,
    headDim: c.d,
    scale: 1 / Math.sqrt(c.d),
    causal: c.causal,
    mask: makeMask(c),
  };
  const gradLayouts = { gradQLayout: gq, gradKLayout: gk, gradVLayout: gk };
  const expected = memo(() => {
    const out = new Float32Array(ql.size),
      lse = new Float32Array(c.batch * c.heads * c.tq);
    ref.attention({ ...base, out, lse });
    const gradQ = new Float32Array(ql.size),
      gradK = new Float32Array(kl.size),
      gradV = new Float32Array(kl.size);
    ref.attentionGrad({ ...base, ...gradLayouts, out, lse, gradOut, gradQ, gradK, gradV });
    return { out, lse, gradQ, gradK, gradV };
  });
  return { base, gradLayouts, ql, kl, gradOut, expected };
}

describe('attention (+grad) vs reference', { skip: pathsSkipReason() }, () => {
  const prepared = CASES.map((c, i) => prepare(c, 900 + i));
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      CASES.forEach((c, i) => {
        it(c.name, () => {
          const p = prepared[i]!;
          const want = p.expected();
          const out = new Float32Array(p.ql.size),
            lse = new Float32Array(c.batch * c.heads * c.tq);
          const fwd: AttentionArgs = { ...p.base, out, lse };
          pathBackend(isa).attention(fwd);
          assertClose(out, want.out, { rtol: 1e-5, atolRel: 2e-6 }, `${isa} ${c.name} out`);
          assertClose(lse, want.lse, { rtol: 1e-6, atolRel: 1e-7 }, `${isa} ${c.name} lse`);
          // backward from the reference's forward results, so only the backward kernel is compared
          const gradQ = new Float32Array(p.ql.size).fill(NaN);
          const gradK = new Float32Array(p.kl.size).fill(NaN);
          const gradV = new Float32Array(p.kl.size).fill(NaN);
          pathBackend(isa).attentionGrad({
            ...p.base,
            ...p.gradLayouts,
            out: want.out,
            lse: want.lse,
            gradOut: p.gradOut,
            gradQ,
            gradK,
            gradV,
          });
          const tol = { rtol: 1e-4, atolRel: 1e-5 };
          assertClose(gradQ, want.gradQ, tol, `${isa} ${c.name} gradQ`);
          assertClose(gradK, want.gradK, tol, `${isa} ${c.name} gradK`);
          assertClose(gradV, want.gradV, tol, `${isa} ${c.name} gradV`);
        });
      });
    });
  }
});
