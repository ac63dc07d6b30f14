/**
 * The native addon's boundary under fire: every exported entry point is called directly (no
 * TS wrapper) with valid calls and with mutated ones - an array one element short, of another
 * kind with the same element count (a 16-byte Uint8Array where 16 floats are due), a view into
 * a larger buffer, null, a number; a size, stride, offset, leading dimension, flag or op code
 * made negative, NaN, infinite, fractional, huge or off by one. Each call must return or throw
 * llmts's ArgumentError (never another error, never a crash), and the guard bytes around every
 * array must be untouched (no out-of-bounds write). Out-of-bounds reads are caught by running
 * this file against the AddressSanitizer build (`npm run test:asan`), where arrays are
 * allocated without guards so the sanitizer's redzones sit right after them.
 *
 * Seeded (fast-check, LLMTS_FUZZ_SEED to replay) and bounded (LLMTS_FUZZ_RUNS calls per entry
 * point, 250 by default). A new entry point without a generator here fails the coverage test.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ArgumentError } from '../../src/core/errors.ts';
import type { NativeAddon } from '../../src/backends/native/addon.ts';
import { requireNative } from '../helpers/requirements.ts';
import { native } from './helpers.ts';

const loaded = native();
const skip = requireNative(typeof loaded !== 'string');
const SEED = Number(process.env['LLMTS_FUZZ_SEED'] ?? 20261207);
const RUNS = Number(process.env['LLMTS_FUZZ_RUNS'] ?? 250);
/** under ASan: no guard bytes, so the sanitizer's redzone follows each array */
const EXACT = process.env['LLMTS_FUZZ_EXACT'] === '1';

type Kind = 'f32' | 'f64' | 'i32' | 'u8' | 'u32' | 'u16' | 'i16' | 'u8c';
const CTOR = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u8: Uint8Array,
  u32: Uint32Array,
  u16: Uint16Array,
  i16: Int16Array,
  u8c: Uint8ClampedArray,
} as const;
const KINDS: Kind[] = ['f32', 'f64', 'i32', 'u8', 'u32', 'u16', 'i16', 'u8c'];

/** One array argument of a valid call. */
interface ArrDesc {
  kind: Kind;
  elems: number;
  /** integer contents in [lo, hi) (indices, targets, page ids); default: small floats / bytes */
  ints?: [number, number];
}

/** A valid call: its array arguments (null: an absent optional one) and args[0..]. */
interface Valid {
  arrays: (ArrDesc | null)[];
  args: number[];
}

interface Spec {
  /** arrays that may be null */
  optional?: number[];
  gen: fc.Arbitrary<Valid>;
}

// ---------- helpers for valid layouts ----------

const dim = (max: number, min = 0): fc.Arbitrary<number> => fc.integer({ min, max });
const f32 = (elems: number): ArrDesc => ({ kind: 'f32', elems });
const ints = (elems: number, lo: number, hi: number): ArrDesc => ({ kind: 'i32', elems, ints: [lo, hi] });

function span(sizes: number[], strides: number[], offset = 0): number {
  if (sizes.some((s) => s === 0)) return 0;
  return offset + sizes.reduce((e, s, i) => e + (s - 1) * strides[i]!, 0) + 1;
}

function dense(sizes: number[]): number[] {
  const st = new Array<number>(sizes.length);
  let acc = 1;
  for (let i = sizes.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= sizes[i]!;
  }
  return st;
}

/** strides of a dense tensor stored in permuted order (perm[i] = storage position of dim i) */
function permuted(sizes: number[], order: number[]): number[] {
  const storageSizes = order.map((d) => sizes[d]!);
  const storageStrides = dense(storageSizes);
  const st = new Array<number>(sizes.length).fill(0);
  order.forEach((d, pos) => (st[d] = storageStrides[pos]!));
  return st;
}

/** A walk operand: dense, permuted, broadcast along some dims, at an offset. */
const operandArb = (shape: number[]): fc.Arbitrary<{ strides: number[]; offset: number }> =>
  fc
    .record({
      order: fc.shuffledSubarray(
        shape.map((_, i) => i),
        { minLength: shape.length, maxLength: shape.length },
      ),
      broadcast: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      offset: dim(3),
    })
    .map(({ order, broadcast, offset }) => ({
      strides: permuted(shape, order).map((s, i) => (broadcast[i] ? 0 : s)),
      offset,
    }));

/** args of a walk: [ndim, off0, off1, off2, shape x8, strides x8 per operand] */
function walkArgs(shape: number[], ops: { strides: number[]; offset: number }[]): number[] {
  const a = new Array<number>(4 + 8 + 8 * 3).fill(0);
  a[0] = shape.length;
  ops.forEach((o, i) => (a[1 + i] = o.offset));
  shape.forEach((s, d) => (a[4 + d] = s));
  ops.forEach((o, i) => o.strides.forEach((s, d) => (a[12 + 8 * i + d] = s)));
  return a;
}

const shapeArb = fc.array(dim(4), { minLength: 1, maxLength: 3 });

/** A walk with `nops` read operands and a dense output (or, for assign, a strided destination). */
function walkCall(
  nops: number,
  lead: number[],
  kinds: (Kind | 'out')[],
  outKind: Kind | null,
  build?: (w: { shape: number[]; ops: { strides: number[]; offset: number }[] }) => Valid,
): fc.Arbitrary<Valid> {
  return shapeArb.chain((shape) =>
    fc.tuple(...Array.from({ length: nops }, () => operandArb(shape))).map((ops) => {
      if (build) return build({ shape, ops });
      const total = shape.reduce((a, b) => a * b, 1);
      const arrays: ArrDesc[] = ops.map((o, i) => ({
        kind: kinds[i] as Kind,
        elems: span(shape, o.strides, o.offset),
      }));
      if (outKind !== null) arrays.push({ kind: outKind, elems: total });
      return { arrays, args: [...lead, ...walkArgs(shape, ops)] };
    }),
  );
}

const opCode = (count: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: count - 1 });

// ---------- one generator per entry point ----------

const attnLayout = (h: number, t: number, d: number, transposed: boolean): number[] =>
  transposed ? [t * h * d, d, h * d] : [h * t * d, t * d, d];

const attentionArb = (backward: boolean): fc.Arbitrary<Valid> =>
  fc
    .record({
      b: dim(2, 1),
      kvh: dim(2, 1),
      group: dim(2, 1),
      tq: dim(4),
      tk: dim(4),
      d: dim(4, 1),
      causal: fc.integer({ min: 0, max: 1 }),
      tr: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
      mask: fc.constantFrom('none', 'dense', 'broadcast'),
    })
    .map(({ b, kvh, group, tq, tk, d, causal, tr, mask }) => {
      const h = kvh * group;
      const q = attnLayout(h, tq, d, tr[0]!);
      const k = attnLayout(kvh, tk, d, tr[1]!);
      const v = attnLayout(kvh, tk, d, tr[2]!);
      const o = attnLayout(h, tq, d, tr[3]!);
      const m = mask === 'dense' ? [h * tq * tk, tq * tk, tk, 1] : [0, 0, tk, 1];
      const size = (l: number[], hh: number, t: number): number => span([b, hh, t, d], [...l, 1]);
      const arrays: (ArrDesc | null)[] = [
        f32(size(q, h, tq)),
        f32(size(k, kvh, tk)),
        f32(size(v, kvh, tk)),
        f32(size(o, h, tq)),
        f32(b * h * tq),
        mask === 'none' ? null : f32(span([b, h, tq, tk], m)),
      ];
      const args = [b, h, kvh, tq, tk, d, 1 / Math.sqrt(d), causal, ...q, ...k, ...v, ...o, ...m];
      if (backward) {
        const gq = attnLayout(h, tq, d, tr[4]!);
        const gk = attnLayout(kvh, tk, d, tr[5]!);
        const gv = attnLayout(kvh, tk, d, tr[6]!);
        arrays.push(f32(size(o, h, tq)), f32(size(gq, h, tq)), f32(size(gk, kvh, tk)), f32(size(gv, kvh, tk)));
        args.push(...gq, ...gk, ...gv);
      }
      return { arrays, args };
    });

const normArb = (arrays: (rows: number, cols: number, w: boolean, b: boolean) => (ArrDesc | null)[], eps: boolean) =>
  fc.record({ rows: dim(5), cols: dim(9), w: fc.boolean(), b: fc.boolean() }).map(({ rows, cols, w, b }) => ({
    arrays: arrays(rows, cols, w, b),
    args: eps ? [rows, cols, 1e-5] : [rows, cols],
  }));

const SPECS: Record<string, Spec> = {
  sgemm: {
    gen: fc
      .record({
        batch: dim(3),
        m: dim(5),
        n: dim(5),
        k: dim(5),
        ta: fc.integer({ min: 0, max: 1 }),
        tb: fc.integer({ min: 0, max: 1 }),
        pad: fc.array(dim(2), { minLength: 6, maxLength: 6 }),
        shareA: fc.boolean(),
        shareB: fc.boolean(),
        acc: fc.integer({ min: 0, max: 1 }),
      })
      .map(({ batch, m, n, k, ta, tb, pad, shareA, shareB, acc }) => {
        const [ar, ac] = ta ? [k, m] : [m, k];
        const [br, bc] = tb ? [n, k] : [k, n];
        const lda = ac + pad[0]!,
          ldb = bc + pad[1]!,
          ldc = n + pad[2]!;
        const sa = shareA ? 0 : ar * lda + pad[3]!,
          sb = shareB ? 0 : br * ldb + pad[4]!,
          sc = Math.max(1, m) * ldc + pad[5]!;
        return {
          arrays: [
            f32(span([batch, ar, ac], [sa, lda, 1])),
            f32(span([batch, br, bc], [sb, ldb, 1])),
            f32(span([batch, m, n], [sc, ldc, 1])),
          ],
          args: [batch, m, n, k, ta, tb, lda, ldb, ldc, sa, sb, sc, acc],
        };
      }),
  },
  unary: {
    gen: fc
      .record({ op: opCode(21), n: dim(40), p: fc.double({ min: -3, max: 3, noNaN: true }) })
      .map(({ op, n, p }) => ({ arrays: [f32(n), f32(n)], args: [op, n, p] })),
  },
  unaryGrad: {
    gen: fc
      .record({ op: opCode(21), n: dim(40), p: fc.double({ min: -3, max: 3, noNaN: true }) })
      .map(({ op, n, p }) => ({ arrays: [f32(n), f32(n), f32(n), f32(n)], args: [op, n, p] })),
  },
  binary: { gen: opCode(7).chain((op) => walkCall(2, [op], ['f32', 'f32'], 'f32')) },
  compare: { gen: opCode(6).chain((op) => walkCall(2, [op], ['f32', 'f32'], 'u8')) },
  where: { gen: walkCall(3, [0], ['u8', 'f32', 'f32'], 'f32') },
  copy: {
    gen: fc.constantFrom<Kind>('f32', 'f64', 'i32', 'u8').chain((kind) => walkCall(1, [0], [kind], kind)),
  },
  assign: {
    // destination: dense in some storage order (written once per element); source: any walk operand
    gen: fc.constantFrom<Kind>('f32', 'f64', 'i32', 'u8').chain((kind) =>
      shapeArb.chain((shape) =>
        fc
          .tuple(
            fc.shuffledSubarray(
              shape.map((_, i) => i),
              { minLength: shape.length, maxLength: shape.length },
            ),
            dim(3),
            operandArb(shape),
          )
          .map(([order, off, src]) => {
            const dst = { strides: permuted(shape, order), offset: off };
            return {
              arrays: [
                { kind, elems: span(shape, dst.strides, off) },
                { kind, elems: span(shape, src.strides, src.offset) },
              ],
              args: [0, ...walkArgs(shape, [dst, src])],
            };
          }),
      ),
    ),
  },
  fill: {
    gen: fc
      .record({ n: dim(40), int: fc.boolean(), v: fc.integer({ min: -1000, max: 1000 }) })
      .map(({ n, int, v }) => ({ arrays: [{ kind: int ? 'i32' : 'f32', elems: n }], args: [n, v] })),
  },
  reduce: {
    gen: fc.record({ op: opCode(4), outer: dim(4), r: dim(5), inner: dim(4) }).map(({ op, outer, r, inner }) => ({
      arrays: [f32(outer * r * inner), f32(outer * inner)],
      args: [op, outer, r, inner],
    })),
  },
  sumSquares: { gen: dim(40).map((n) => ({ arrays: [f32(n)], args: [n] })) },
  softmax: {
    gen: fc
      .record({ rows: dim(5), cols: dim(9), log: fc.integer({ min: 0, max: 1 }) })
      .map(({ rows, cols, log }) => ({ arrays: [f32(rows * cols), f32(rows * cols)], args: [rows, cols, log] })),
  },
  softmaxGrad: {
    gen: fc.record({ rows: dim(5), cols: dim(9), log: fc.integer({ min: 0, max: 1 }) }).map(({ rows, cols, log }) => ({
      arrays: [f32(rows * cols), f32(rows * cols), f32(rows * cols)],
      args: [rows, cols, log],
    })),
  },
  layerNorm: {
    optional: [1, 2],
    gen: normArb((r, c, w, b) => [f32(r * c), w ? f32(c) : null, b ? f32(c) : null, f32(r * c), f32(r), f32(r)], true),
  },
  layerNormGrad: {
    optional: [1, 6, 7],
    gen: normArb(
      (r, c, w, b) => [
        f32(r * c),
        w ? f32(c) : null,
        f32(r),
        f32(r),
        f32(r * c),
        f32(r * c),
        w ? f32(c) : null,
        b ? f32(c) : null,
      ],
      false,
    ),
  },
  rmsNorm: {
    optional: [1],
    gen: normArb((r, c, w) => [f32(r * c), w ? f32(c) : null, f32(r * c), f32(r)], true),
  },
  rmsNormGrad: {
    optional: [1, 5],
    gen: normArb(
      (r, c, w, b) => [f32(r * c), w ? f32(c) : null, f32(r), f32(r * c), f32(r * c), b ? f32(c) : null],
      false,
    ),
  },
  crossEntropy: {
    gen: fc
      .record({ rows: dim(5), classes: dim(7, 1), smoothing: fc.double({ min: 0, max: 0.5, noNaN: true }) })
      .map(({ rows, classes, smoothing }) => ({
        arrays: [f32(rows * classes), ints(rows, -1, classes), f32(rows), f32(rows)],
        args: [rows, classes, -1, smoothing],
      })),
  },
  crossEntropyGrad: {
    gen: fc
      .record({ rows: dim(5), classes: dim(7, 1), smoothing: fc.double({ min: 0, max: 0.5, noNaN: true }) })
      .map(({ rows, classes, smoothing }) => ({
        arrays: [f32(rows * classes), ints(rows, -1, classes), f32(rows), f32(rows), f32(rows * classes)],
        args: [rows, classes, -1, smoothing],
      })),
  },
  indexSelect: {
    gen: fc
      .record({
        kind: fc.constantFrom<Kind>('f32', 'f64', 'i32', 'u8'),
        outer: dim(3),
        srcDim: dim(5, 1),
        inner: dim(4),
        n: dim(5),
      })
      .map(({ kind, outer, srcDim, inner, n }) => ({
        arrays: [{ kind, elems: outer * srcDim * inner }, ints(n, 0, srcDim), { kind, elems: outer * n * inner }],
        args: [outer, srcDim, inner, n],
      })),
  },
  indexAdd: {
    gen: fc
      .record({ outer: dim(3), n: dim(5), inner: dim(4), dstDim: dim(5, 1) })
      .map(({ outer, n, inner, dstDim }) => ({
        arrays: [f32(outer * n * inner), ints(n, 0, dstDim), f32(outer * dstDim * inner)],
        args: [outer, n, inner, dstDim],
      })),
  },
  attention: { optional: [5], gen: attentionArb(false) },
  attentionGrad: { optional: [5], gen: attentionArb(true) },
  pagedAttention: {
    optional: [7],
    gen: fc
      .record({
        tokens: dim(3),
        kvh: dim(2, 1),
        group: dim(2, 1),
        d: dim(4, 1),
        page: dim(3, 1),
        pages: dim(4, 1),
        perRow: dim(3, 1),
        rows: dim(2, 1),
        alibi: fc.boolean(),
      })
      .map(({ tokens, kvh, group, d, page, pages, perRow, rows, alibi }) => {
        const heads = kvh * group;
        return {
          arrays: [
            f32(tokens * heads * d),
            f32(pages * page * kvh * d),
            f32(pages * page * kvh * d),
            f32(tokens * heads * d),
            ints(rows * perRow, 0, pages),
            ints(tokens, 0, rows),
            ints(tokens, 0, perRow * page),
            alibi ? f32(heads) : null,
          ],
          args: [tokens, heads, kvh, d, page, pages, perRow, rows, 1 / Math.sqrt(d), heads * d, d],
        };
      }),
  },
  adamw: {
    gen: fc.record({ n: dim(40), step: dim(50, 1) }).map(({ n, step }) => ({
      arrays: [f32(n), f32(n), f32(n), f32(n)],
      args: [n, 1e-3, 0.9, 0.999, 1e-8, 0.1, step, 1],
    })),
  },
  qmatmul: {
    gen: fc
      .record({
        scheme: fc.integer({ min: 0, max: 1 }),
        m: dim(3),
        n: dim(5),
        blocks: dim(3, 1),
        padA: dim(3),
        padC: dim(2),
        acc: fc.integer({ min: 0, max: 1 }),
      })
      .map(({ scheme, m, n, blocks, padA, padC, acc }) => {
        const k = 32 * blocks;
        const lda = k + padA,
          ldc = n + padC;
        return {
          arrays: [
            f32(m === 0 ? 0 : (m - 1) * lda + k),
            { kind: 'u8', elems: n * (scheme === 0 ? k : k / 2) },
            // fp16 scales: small positive halves (0x2000..0x3bff)
            { kind: 'u16', elems: n * blocks, ints: [0x2000, 0x3c00] },
            f32(m === 0 ? 0 : (m - 1) * ldc + n),
          ],
          args: [scheme, m, n, k, lda, ldc, acc],
        };
      }),
  },
  streamRead: { gen: dim(64).map((n) => ({ arrays: [f32(n)], args: [] })) },
  noop: { gen: fc.record({ a: dim(8), b: dim(8) }).map(({ a, b }) => ({ arrays: [f32(a), f32(b)], args: [] })) },
  addressMod64: {
    gen: fc
      .record({ kind: fc.constantFrom(...KINDS), n: dim(8) })
      .map(({ kind, n }) => ({ arrays: [{ kind, elems: n }], args: [] })),
  },
};

/** Entry points that take no typed arrays: exercised by their own tests below. */
const CONTROL = ['isa', 'bestIsa', 'setIsa', 'threads', 'setThreads', 'workerTids', 'setErrorClass', 'quantVnni'];

// ---------- mutations ----------

type Mutation =
  | { t: 'none' }
  | { t: 'shorter'; arr: number; by: number }
  | { t: 'kind'; arr: number; kind: Kind }
  | { t: 'null'; arr: number }
  | { t: 'value'; arr: number; value: unknown }
  | { t: 'arg'; i: number; value: number }
  | { t: 'nudge'; i: number; by: number }
  | { t: 'drop' };

const BAD_NUMBERS = [
  -1,
  -4,
  -(2 ** 31),
  NaN,
  Infinity,
  -Infinity,
  0.5,
  2.5,
  2 ** 31,
  2 ** 47 + 1,
  2 ** 53,
  1e300,
  0,
  1,
  7,
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Mutation>({ t: 'none' }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('shorter' as const), arr: dim(9), by: dim(3, 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('kind' as const), arr: dim(9), kind: fc.constantFrom(...KINDS) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('null' as const), arr: dim(9) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('value' as const),
      arr: dim(9),
      value: fc.constantFrom<unknown>(
        undefined,
        0,
        'x',
        {},
        [1, 2],
        new ArrayBuffer(64),
        new DataView(new ArrayBuffer(8)),
      ),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('arg' as const), i: dim(35), value: fc.constantFrom(...BAD_NUMBERS) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('nudge' as const), i: dim(35), by: fc.constantFrom(-2, -1, 1, 2, 64) }),
  },
  { weight: 1, arbitrary: fc.constant<Mutation>({ t: 'drop' }) },
);

// ---------- running a call ----------

const GUARD = 32;
const GUARD_BYTE = 0xa5;

interface Placed {
  value: unknown;
  /** the whole buffer, when the array sits between guard bytes */
  guarded?: { bytes: Uint8Array; from: number; to: number };
}

function place(d: ArrDesc, guarded: boolean, seed: number): Placed {
  const C = CTOR[d.kind];
  const size = C.BYTES_PER_ELEMENT;
  const bytes = d.elems * size;
  const fillIn = (a: InstanceType<(typeof CTOR)[Kind]>): void => {
    let s = seed >>> 0 || 1;
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      if (d.ints) a[i] = d.ints[0] + (s % (d.ints[1] - d.ints[0]));
      else a[i] = d.kind === 'f32' || d.kind === 'f64' ? ((s >>> 8) / 2 ** 24) * 2 - 1 : s & 0x7f;
    }
  };
  if (!guarded || EXACT) {
    const a = new C(d.elems);
    fillIn(a);
    return { value: a };
  }
  const buf = new ArrayBuffer(GUARD + bytes + GUARD);
  const all = new Uint8Array(buf);
  all.fill(GUARD_BYTE);
  const a = new C(buf, GUARD, d.elems);
  fillIn(a);
  return { value: a, guarded: { bytes: all, from: GUARD, to: GUARD + bytes } };
}

function guardsIntact(p: Placed): boolean {
  if (!p.guarded) return true;
  const { bytes, from, to } = p.guarded;
  for (let i = 0; i < from; i++) if (bytes[i] !== GUARD_BYTE) return false;
  for (let i = to; i < bytes.length; i++) if (bytes[i] !== GUARD_BYTE) return false;
  return true;
}

interface Tally {
  calls: number;
  ok: number;
  argumentErrors: number;
}
const tallies = new Map<string, Tally>();

function callEntry(addon: NativeAddon, name: string, valid: Valid, muts: Mutation[], guards: boolean[], seed: number) {
  const arrays: (ArrDesc | null)[] = valid.arrays.map((a) => (a === null ? null : { ...a }));
  const args = [...valid.args];
  const values: unknown[] = [];
  let dropLast = false;
  const overrides = new Map<number, unknown>();
  for (const m of muts) {
    const ai = 'arr' in m ? m.arr % Math.max(1, arrays.length) : 0;
    switch (m.t) {
      case 'shorter':
        if (arrays[ai]) arrays[ai] = { ...arrays[ai]!, elems: Math.max(0, arrays[ai]!.elems - m.by) };
        break;
      case 'kind':
        if (arrays[ai]) arrays[ai] = { kind: m.kind, elems: arrays[ai]!.elems };
        break;
      case 'null':
        arrays[ai] = null;
        break;
      case 'value':
        overrides.set(ai, m.value);
        break;
      case 'arg':
        if (args.length > 0) args[m.i % args.length] = m.value;
        break;
      case 'nudge':
        if (args.length > 0) args[m.i % args.length]! += m.by;
        break;
      case 'drop':
        dropLast = true;
        break;
      case 'none':
        break;
    }
  }
  const placed: Placed[] = arrays.map((a, i) =>
    a === null ? { value: null } : place(a, guards[i % guards.length]!, seed + i),
  );
  for (const [i, v] of overrides) placed[i] = { value: v };
  for (const p of placed) values.push(p.value);
  if (dropLast) values.pop();
  const A = addon.args;
  A.fill(0);
  args.forEach((v, i) => (A[i] = v));
  const tally = tallies.get(name) ?? { calls: 0, ok: 0, argumentErrors: 0 };
  tallies.set(name, tally);
  tally.calls++;
  try {
    (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!(...values);
    tally.ok++;
  } catch (err) {
    if (!(err instanceof ArgumentError)) throw err; // any other error fails the property
    assert.match(err.message, new RegExp(`^native\\.${name}: `));
    tally.argumentErrors++;
  }
  for (const p of placed) assert.ok(guardsIntact(p), `${name}: bytes next to an array were written`);
}

describe('native addon boundary (fuzz)', { skip }, () => {
  const addon = (typeof loaded === 'string' ? null : loaded.addon)!;

  after(() => {
    let calls = 0,
      ok = 0,
      errs = 0;
    for (const t of tallies.values()) {
      calls += t.calls;
      ok += t.ok;
      errs += t.argumentErrors;
    }
    // the counts the note quotes: grep "fuzz-addon:" in the test output
    console.log(
      `fuzz-addon: seed ${SEED}, ${calls} calls over ${tallies.size} entry points: ${ok} returned, ${errs} ArgumentError, 0 crashes (the process is alive)`,
    );
  });

  it('has a generator for every exported entry point', () => {
    const exported = Object.keys(addon).filter(
      (k) => typeof (addon as unknown as Record<string, unknown>)[k] === 'function',
    );
    const missing = exported.filter((k) => !(k in SPECS) && !CONTROL.includes(k));
    assert.deepEqual(missing, [], 'add a generator to SPECS for each new entry point (docs/native-backend.md)');
  });

  for (const [name, spec] of Object.entries(SPECS)) {
    it(`${name}: valid calls run, invalid ones throw ArgumentError, nothing outside the arrays is touched`, () => {
      fc.assert(
        fc.property(
          spec.gen,
          fc.array(mutationArb, { minLength: 0, maxLength: 3 }),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 10 }),
          fc.integer(),
          (valid, muts, guards, seed) => callEntry(addon, name, valid, muts, guards, seed),
        ),
        { seed: SEED, numRuns: RUNS },
      );
      // the unmutated generator alone must produce calls the addon accepts
      fc.assert(
        fc.property(spec.gen, fc.integer(), (valid, seed) => {
          const before = tallies.get(name)?.argumentErrors ?? 0;
          callEntry(addon, name, valid, [], [true], seed);
          assert.equal(tallies.get(name)!.argumentErrors, before, `${name}: a valid call was rejected`);
        }),
        { seed: SEED + 1, numRuns: Math.max(20, RUNS / 5) },
      );
    });
  }

  it('the issue-14 cases: a 16-byte Uint8Array is not 16 floats, a negative offset, an unknown op', () => {
    const A = addon.args;
    A.fill(0);
    A[0] = 0; // neg
    A[1] = 16;
    assert.throws(
      () => addon.unary(new Uint8Array(16) as unknown as Float32Array, new Float32Array(16)),
      ArgumentError,
    );
    A[0] = 99;
    assert.throws(
      () => addon.unary(new Float32Array(16), new Float32Array(16)),
      /op \(args\[0\]\) must be an integer in \[0, 20\]/,
    );
    // binary over one dim of 4 with a at offset -4
    A.fill(0);
    A[1] = 1;
    A[2] = -4;
    A[5] = 4;
    A[13] = 1;
    A[21] = 1;
    assert.throws(
      () => addon.binary(new Float32Array(8), new Float32Array(8), new Float32Array(4)),
      /walk offset \(args\[2\]\) must be an integer/,
    );
  });

  it('control entry points validate their arguments', () => {
    const threads = addon.threads();
    const isa = addon.isa();
    try {
      for (const bad of [0, -1, 1025, NaN, 2.5, 2 ** 31, 'x', null]) {
        assert.throws(() => addon.setThreads(bad as number), ArgumentError);
      }
      assert.equal(addon.setThreads(2), 2);
      for (const bad of ['', 'sse', 'avx512x', 'x'.repeat(100), 3, null]) {
        assert.throws(() => addon.setIsa(bad as string), ArgumentError);
      }
      assert.equal(addon.setIsa('scalar'), 'scalar');
      for (const bad of [null, 1, 'Error', {}]) {
        assert.throws(() => addon.setErrorClass(bad as never), ArgumentError);
      }
      for (const bad of [2, -2, 0.5, NaN, 'on', null]) {
        assert.throws(() => addon.quantVnni(bad as number), ArgumentError);
      }
      const vnni = addon.quantVnni(-1);
      assert.equal(addon.quantVnni(vnni ? 1 : 0), vnni);
      assert.ok(Array.isArray(addon.workerTids()));
      assert.equal(typeof addon.bestIsa(), 'string');
    } finally {
      addon.setErrorClass(ArgumentError);
      addon.setThreads(threads);
      addon.setIsa(isa);
    }
  });
});
