/**
 * Paged attention (serving): the reference kernel against the dense reference attention (a
 * token at position p of a sequence is row p of causal attention over that sequence), and the
 * native kernel against the reference on every SIMD path: page sizes that do not divide the
 * lengths or the vector width, grouped-query and multi-query heads, ALiBi, queries read through
 * the strides of a packed projection, page boundaries, and pages scattered through the pool.
 * Batch invariance: on the native path each token's output is bit-identical whether it is
 * computed alone or among other sequences' tokens, and for 1 or 2 threads.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PagedAttentionArgs } from '../../src/backends/backend.ts';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import {
  assertClose,
  assertEqualArrays,
  isaPaths,
  normal,
  pathBackend,
  pathsSkipReason,
  rng,
  selectPath,
} from './helpers.ts';

interface Case {
  name: string;
  heads: number;
  kvHeads: number;
  d: number;
  pageSize: number;
  /** Sequence lengths (positions stored) and the positions of the query tokens of each. */
  seqs: { length: number; queries: number[] }[];
  alibi?: boolean;
  /** q read from a packed [N, (H + 2Hkv) D] projection instead of dense [N, H, D]. */
  packed?: boolean;
}

const CASES: Case[] = [
  {
    name: 'MHA, page 16, decode tokens at page boundaries',
    heads: 4,
    kvHeads: 4,
    d: 64,
    pageSize: 16,
    seqs: [
      { length: 1, queries: [0] },
      { length: 16, queries: [15] },
      { length: 17, queries: [16] },
      { length: 41, queries: [40] },
    ],
  },
  {
    name: 'GQA 6 / 2 heads, page 5, d = 20, a prefill chunk beside decodes',
    heads: 6,
    kvHeads: 2,
    d: 20,
    pageSize: 5,
    seqs: [
      { length: 23, queries: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22] },
      { length: 7, queries: [6] },
    ],
  },
  {
    name: 'MQA, page 1, d = 8',
    heads: 3,
    kvHeads: 1,
    d: 8,
    pageSize: 1,
    seqs: [
      { length: 9, queries: [8] },
      { length: 3, queries: [0, 1, 2] },
    ],
  },
  {
    name: 'ALiBi, packed q, d = 33 (not a vector multiple)',
    heads: 4,
    kvHeads: 4,
    d: 33,
    pageSize: 8,
    alibi: true,
    packed: true,
    seqs: [
      { length: 30, queries: [29] },
      { length: 12, queries: [4, 11] },
    ],
  },
  {
    name: 'one long sequence, whole prefill (crosses 64 keys)',
    heads: 2,
    kvHeads: 2,
    d: 16,
    pageSize: 16,
    seqs: [{ length: 90, queries: Array.from({ length: 90 }, (_, i) => i) }],
  },
];

interface Prepared {
  args: Omit<PagedAttentionArgs, 'out'>;
  /** dense per-sequence keys/values [length, Hkv, D] for the dense reference */
  dense: { k: Float32Array; v: Float32Array }[];
  queryOf: { seq: number; pos: number }[];
  outSize: number;
}

function prepare(c: Case, seed: number): Prepared {
  const g = rng(seed);
  const { heads: H, kvHeads: Hkv, d: D, pageSize: P } = c;
  const pagesPerRow = Math.max(...c.seqs.map((s) => Math.ceil(s.length / P)));
  const totalPages = c.seqs.reduce((n, s) => n + Math.ceil(s.length / P), 0) + 3; // a few unused pages
  // scatter the pages through the pool in a shuffled order
  const order = Array.from(g.permutation(totalPages));
  const kPages = normal(g, totalPages * P * Hkv * D);
  const vPages = normal(g, totalPages * P * Hkv * D);
  const pageTable = new Int32Array(c.seqs.length * pagesPerRow).fill(-1);
  const dense = c.seqs.map((s, r) => {
    const k = new Float32Array(s.length * Hkv * D);
    const v = new Float32Array(s.length * Hkv * D);
    for (let j = 0; j < Math.ceil(s.length / P); j++) pageTable[r * pagesPerRow + j] = order.pop()!;
    for (let p = 0; p < s.length; p++) {
      const at = (pageTable[r * pagesPerRow + Math.floor(p / P)]! * P + (p % P)) * Hkv * D;
      k.set(kPages.subarray(at, at + Hkv * D), p * Hkv * D);
      v.set(vPages.subarray(at, at + Hkv * D), p * Hkv * D);
    }
    return { k, v };
  });
  const queryOf = c.seqs.flatMap((s, seq) => s.queries.map((pos) => ({ seq, pos })));
  const N = queryOf.length;
  const width = c.packed ? (H + 2 * Hkv) * D : H * D;
  const q = normal(g, N * width);
  const alibiSlopes = c.alibi ? Float32Array.from({ length: H }, (_, h) => Math.pow(2, -(h + 1))) : null;
  return {
    args: {
      q,
      qTokenStride: width,
      qHeadStride: D,
      kPages,
      vPages,
      pageTable,
      pagesPerRow,
      rows: c.seqs.length,
      tokenRow: Int32Array.from(queryOf, (t) => t.seq),
      tokenPos: Int32Array.from(queryOf, (t) => t.pos),
      tokens: N,
      heads: H,
      kvHeads: Hkv,
      headDim: D,
      pageSize: P,
      numPages: totalPages,
      scale: 1 / Math.sqrt(D),
      alibiSlopes,
    },
    dense,
    queryOf,
    outSize: N * H * D,
  };
}

/** The dense reference attention of one token: row pos of causal attention over its sequence. */
function denseRow(c: Case, p: Prepared, n: number): Float32Array {
  const { seq, pos } = p.queryOf[n]!;
  const { heads: H, kvHeads: Hkv, d: D } = c;
  const S = pos + 1;
  const q = new Float32Array(H * D);
  for (let h = 0; h < H; h++)
    q.set(p.args.q.subarray(n * p.args.qTokenStride + h * D, n * p.args.qTokenStride + h * D + D), h * D);
  let mask = null;
  if (p.args.alibiSlopes !== null) {
    const m = new Float32Array(H * S);
    for (let h = 0; h < H; h++) for (let s = 0; s < S; s++) m[h * S + s] = -p.args.alibiSlopes[h]! * (pos - s);
    mask = { data: m, offset: 0, strides: [0, S, 0, 1] };
  }
  const out = new Float32Array(H * D);
  ref.attention({
    q,
    k: p.dense[seq]!.k,
    v: p.dense[seq]!.v,
    out,
    lse: new Float32Array(H),
    qLayout: { sB: H * D, sH: D, sT: H * D },
    kLayout: { sB: S * Hkv * D, sH: D, sT: Hkv * D },
    vLayout: { sB: S * Hkv * D, sH: D, sT: Hkv * D },
    outLayout: { sB: H * D, sH: D, sT: H * D },
    batch: 1,
    heads: H,
    kvHeads: Hkv,
    tq: 1,
    tk: S,
    headDim: D,
    scale: 1 / Math.sqrt(D),
    causal: false,
    mask,
  });
  return out;
}

const prepared = CASES.map((c, i) => prepare(c, 300 + i));

describe('reference paged attention', () => {
  CASES.forEach((c, i) => {
    it(`equals dense causal attention: ${c.name}`, () => {
      const p = prepared[i]!;
      const out = new Float32Array(p.outSize).fill(NaN);
      ref.pagedAttention({ ...p.args, out });
      const row = c.heads * c.d;
      for (let n = 0; n < p.args.tokens; n++)
        assertClose(
          out.subarray(n * row, (n + 1) * row),
          denseRow(c, p, n),
          { rtol: 1e-6, atolRel: 1e-7 },
          `token ${n}`,
        );
    });
  });
});

describe('paged attention vs reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      CASES.forEach((c, i) => {
        it(c.name, () => {
          const p = prepared[i]!;
          const want = new Float32Array(p.outSize);
          ref.pagedAttention({ ...p.args, out: want });
          const out = new Float32Array(p.outSize).fill(NaN);
          pathBackend(isa).pagedAttention({ ...p.args, out });
          assertClose(out, want, { rtol: 1e-5, atolRel: 2e-6 }, `${isa} ${c.name}`);
        });
        it(`${c.name}: each token alone gives the same bits as in the batch, on 1 or 2 threads`, () => {
          const p = prepared[i]!;
          const N = p.args.tokens;
          const row = c.heads * c.d;
          const batched = new Float32Array(p.outSize);
          pathBackend(isa).pagedAttention({ ...p.args, out: batched });
          const threads = pathBackend(isa).threads;
          try {
            pathBackend(isa).setThreads?.(threads === 1 ? 2 : 1);
            const other = new Float32Array(p.outSize);
            pathBackend(isa).pagedAttention({ ...p.args, out: other });
            assertEqualArrays(other, batched, 'thread count');
          } finally {
            pathBackend(isa).setThreads?.(threads);
          }
          for (let n = 0; n < N; n++) {
            const alone = new Float32Array(row);
            pathBackend(isa).pagedAttention({
              ...p.args,
              q: p.args.q.subarray(n * p.args.qTokenStride),
              tokenRow: p.args.tokenRow.subarray(n, n + 1),
              tokenPos: p.args.tokenPos.subarray(n, n + 1),
              tokens: 1,
              out: alone,
            });
            assertEqualArrays(alone, batched.subarray(n * row, (n + 1) * row), `token ${n}`);
          }
        });
      });
      it('rejects a page id outside the pool instead of reading past it', () => {
        const p = prepared[0]!;
        const pageTable = Int32Array.from(p.args.pageTable);
        pageTable[0] = p.args.numPages;
        assert.throws(
          () => pathBackend(isa).pagedAttention({ ...p.args, pageTable, out: new Float32Array(p.outSize) }),
          /page id out of range/,
        );
      });
    });
  }
});
