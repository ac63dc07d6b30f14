/**
 * Native elementwise kernels against the reference on every SIMD path: every unary op and its
 * derivative (random data, sizes around the vector width, and special values: +-0, +-Inf, NaN,
 * subnormals, overflow/underflow edges), broadcasting binary ops / compare / where through
 * strides (same shape, scalar, row and column broadcast, transposed and offset operands),
 * strided copies (transformer permutations, transposes, broadcast sources, every dtype), fill.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, CompareOp, StridedArray, UnaryOp } from '../../src/backends/backend.ts';
import type { DataArray } from '../../src/core/dtype.ts';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import {
  assertClose,
  assertEqualArrays,
  broadcastStrides,
  contiguousStrides,
  isaPaths,
  pathBackend,
  selectPath,
  normal,
  numel,
  rng,
  pathsSkipReason,
  uniform,
  view,
} from './helpers.ts';

const UNARY: UnaryOp[] = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'rsqrt',
  'tanh',
  'sigmoid',
  'relu',
  'gelu',
  'gelu_tanh',
  'silu',
  'abs',
  'sin',
  'cos',
  'square',
  'reciprocal',
  'pow',
  'scale',
  'add_scalar',
  'sign',
  'erf',
];

const SPECIAL = Float32Array.from([
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e-30,
  -1e-30,
  1e-40,
  -1e-40,
  1e30,
  -1e30,
  NaN,
  Infinity,
  -Infinity,
  88,
  88.7,
  89,
  -87,
  -88,
  -103,
  -104,
  -110,
  20,
  -20,
  9,
  -9,
  0.6249,
  0.6251,
  1.2374,
  -1.2374,
  1.2376,
  3.5,
  -3.5,
  5,
  -5,
  7,
  -7,
  10,
  -10,
  13,
  -13,
  15,
  -15,
  2,
  3,
  1e-5,
  -1e-5,
]);

/**
 * Float32 math differs from the float64 reference by a few ulps; a few ops are worse where
 * their float32 inputs are ill-conditioned (tanh-GELU's inner polynomial in the far left tail,
 * derivatives near their zero crossings), which atolRel covers.
 */
function unaryTol(op: UnaryOp, grad: boolean): { rtol: number; atolRel: number } {
  if (op === 'gelu_tanh') return { rtol: 2e-5, atolRel: 1e-6 };
  if (op === 'sin' || op === 'cos') return { rtol: 4e-7, atolRel: 1e-7 };
  if (op === 'pow') return { rtol: 4e-7, atolRel: 0 };
  return grad ? { rtol: 2e-6, atolRel: 2e-6 } : { rtol: 2e-6, atolRel: 1e-7 };
}

function paramFor(op: UnaryOp, variant: number): number {
  if (op === 'pow') return [1.5, 2, 0.5, -1, 3, 1][variant % 6]!;
  if (op === 'scale') return -2.5;
  if (op === 'add_scalar') return 0.75;
  return 0;
}

const SIZES = [1, 7, 15, 16, 17, 33, 1000, 70001];

describe('unary / unaryGrad vs reference', { skip: pathsSkipReason() }, () => {
  const g = rng(1);
  const inputs = SIZES.map((n) => normal(g, n, 3));
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      for (const op of UNARY) {
        it(op, () => {
          const N = pathBackend(isa);
          const all = [...inputs, SPECIAL];
          all.forEach((x, v) => {
            const n = x.length;
            const p = paramFor(op, v);
            const want = new Float32Array(n);
            ref.unary(op, x, want, n, p);
            const got = new Float32Array(n);
            N.unary(op, x, got, n, p);
            const special = x === SPECIAL;
            // in the far left tail the float64 reference itself cancels (1 + tanh u and
            // 1 + erf z are 0 in float64 below ~1e-16) while the kernels keep the tiny true value
            const floor = op === 'gelu_tanh' || op === 'gelu' ? 1e-15 : 1e-37;
            const tol = special ? { ...unaryTol(op, false), atolRel: 0, atol: floor } : unaryTol(op, false);
            assertClose(got, want, tol, `${isa} ${op}(p=${p}) n=${n}`);
            // derivative, with y from the reference and random upstream gradients
            const gy = normal(rng(n), n);
            const gwant = new Float32Array(n);
            ref.unaryGrad(op, x, want, gy, gwant, n, p);
            const ggot = new Float32Array(n);
            N.unaryGrad(op, x, want, gy, ggot, n, p);
            const gtol = special ? { ...unaryTol(op, true), atolRel: 0, atol: floor } : unaryTol(op, true);
            assertClose(ggot, gwant, gtol, `${isa} ${op}'(p=${p}) n=${n}`);
          });
        });
      }
    });
  }
});

interface BinCase {
  name: string;
  shape: number[];
  a: (g: ReturnType<typeof rng>) => StridedArray<Float32Array>;
  b: (g: ReturnType<typeof rng>) => StridedArray<Float32Array>;
}

function dense(shape: number[], g: ReturnType<typeof rng>, withSpecials = false): StridedArray<Float32Array> {
  const d = normal(g, numel(shape), 2);
  if (withSpecials) for (let i = 0; i < d.length; i += 7) d[i] = [NaN, Infinity, -Infinity, 0, -0][(i / 7) % 5]!;
  return view(d, 0, contiguousStrides(shape));
}

function broadcast(from: number[], to: number[], g: ReturnType<typeof rng>): StridedArray<Float32Array> {
  return view(uniform(g, numel(from), 0.5, 2), 0, broadcastStrides(from, to));
}

const BIN_CASES: BinCase[] = [
  { name: 'same shape 1', shape: [1], a: (g) => dense([1], g), b: (g) => dense([1], g) },
  { name: 'same shape 17', shape: [17], a: (g) => dense([17], g), b: (g) => dense([17], g, true) },
  { name: 'same shape large', shape: [300, 257], a: (g) => dense([300, 257], g, true), b: (g) => dense([300, 257], g) },
  { name: 'scalar b', shape: [5, 7], a: (g) => dense([5, 7], g), b: (g) => broadcast([], [5, 7], g) },
  { name: 'scalar a', shape: [33], a: (g) => broadcast([1], [33], g), b: (g) => dense([33], g) },
  { name: 'row broadcast', shape: [33, 17], a: (g) => dense([33, 17], g), b: (g) => broadcast([17], [33, 17], g) },
  {
    name: 'column broadcast',
    shape: [33, 17],
    a: (g) => dense([33, 17], g),
    b: (g) => broadcast([33, 1], [33, 17], g),
  },
  {
    name: 'both broadcast',
    shape: [4, 3, 5],
    a: (g) => broadcast([4, 1, 5], [4, 3, 5], g),
    b: (g) => broadcast([1, 3, 1], [4, 3, 5], g),
  },
  {
    name: 'transposed a',
    shape: [19, 23],
    a: (g) => view(normal(g, 19 * 23), 0, [1, 19]),
    b: (g) => dense([19, 23], g),
  },
  {
    name: 'offset, 4-d strided',
    shape: [2, 3, 4, 5],
    a: (g) => view(normal(g, 500), 7, [150, 40, 10, 2]),
    b: (g) => view(normal(g, 200), 3, [0, 60, 1, 12]),
  },
  {
    name: 'large row broadcast',
    shape: [4096, 96],
    a: (g) => dense([4096, 96], g),
    b: (g) => broadcast([96], [4096, 96], g),
  },
  { name: 'empty', shape: [3, 0], a: (g) => dense([3, 0], g), b: (g) => dense([3, 0], g) },
];

const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'];
const COMPARE: CompareOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

describe('binary / compare / where vs reference', { skip: pathsSkipReason() }, () => {
  const operands = BIN_CASES.map((c, i) => {
    const g = rng(200 + i);
    return { a: c.a(g), b: c.b(g) };
  });
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      BIN_CASES.forEach((c, i) => {
        it(c.name, () => {
          const N = pathBackend(isa);
          const { a, b } = operands[i]!;
          const n = numel(c.shape);
          for (const op of BINARY) {
            const want = new Float32Array(n);
            ref.binary(op, a, b, c.shape, want);
            const got = new Float32Array(n);
            N.binary(op, a, b, c.shape, got);
            // add/sub/mul/div/max/min round once like the reference; pow goes through float64 pow
            assertClose(got, want, { rtol: op === 'pow' ? 2e-7 : 0 }, `${isa} ${op} ${c.name}`);
          }
          for (const op of COMPARE) {
            const want = new Uint8Array(n);
            ref.compare(op, a, b, c.shape, want);
            const got = new Uint8Array(n);
            N.compare(op, a, b, c.shape, got);
            assertEqualArrays(got, want, `${isa} ${op} ${c.name}`);
          }
          const cond = view(
            Uint8Array.from({ length: n + 3 }, (_, j) => ((j * 7) % 3 === 0 ? 1 : 0)),
            3,
            contiguousStrides(c.shape),
          );
          const want = new Float32Array(n);
          ref.where(cond, a, b, c.shape, want);
          const got = new Float32Array(n);
          N.where(cond, a, b, c.shape, got);
          assertEqualArrays(got, want, `${isa} where ${c.name}`);
        });
      });
    });
  }
});

interface CopyCase {
  name: string;
  shape: number[];
  make: () => StridedArray;
  out: (n: number) => DataArray;
}

function permuted(shape: number[], perm: number[], data: DataArray, offset = 0): StridedArray {
  // a dense tensor of `shape`, viewed with its axes permuted
  const s = contiguousStrides(shape);
  return view(
    data,
    offset,
    perm.map((p) => s[p]!),
  );
}

const COPY_CASES: CopyCase[] = [
  {
    name: '[B,T,H,D] -> [B,H,T,D]',
    shape: [2, 4, 5, 8],
    make: () => permuted([2, 5, 4, 8], [0, 2, 1, 3], normal(rng(1), 320)),
    out: (n) => new Float32Array(n),
  },
  {
    name: '[B,H,T,D] -> [B,T,H,D]',
    shape: [3, 7, 4, 16],
    make: () => permuted([3, 4, 7, 16], [0, 2, 1, 3], normal(rng(2), 1344)),
    out: (n) => new Float32Array(n),
  },
  {
    name: '2-d transpose',
    shape: [37, 45],
    make: () => permuted([45, 37], [1, 0], normal(rng(3), 1665)),
    out: (n) => new Float32Array(n),
  },
  {
    name: 'large transpose',
    shape: [768, 301],
    make: () => permuted([301, 768], [1, 0], normal(rng(4), 301 * 768)),
    out: (n) => new Float32Array(n),
  },
  {
    name: 'batched transpose (k^T)',
    shape: [4, 16, 33],
    make: () => permuted([4, 33, 16], [0, 2, 1], normal(rng(5), 2112)),
    out: (n) => new Float32Array(n),
  },
  {
    name: '3-d permutation (2,0,1)',
    shape: [5, 3, 4],
    make: () => permuted([3, 4, 5], [2, 0, 1], normal(rng(6), 60)),
    out: (n) => new Float32Array(n),
  },
  {
    name: 'broadcast source',
    shape: [6, 9],
    make: () => view(normal(rng(7), 9), 0, [0, 1]),
    out: (n) => new Float32Array(n),
  },
  {
    name: 'offset slice',
    shape: [4, 5],
    make: () => view(normal(rng(8), 100), 13, [10, 1]),
    out: (n) => new Float32Array(n),
  },
  {
    name: 'int32 transpose',
    shape: [9, 11],
    make: () =>
      permuted(
        [11, 9],
        [1, 0],
        Int32Array.from({ length: 99 }, (_, i) => i * 3 - 50),
      ),
    out: (n) => new Int32Array(n),
  },
  {
    name: 'bool permutation',
    shape: [3, 4, 5],
    make: () =>
      permuted(
        [5, 4, 3],
        [2, 1, 0],
        Uint8Array.from({ length: 60 }, (_, i) => i % 2),
      ),
    out: (n) => new Uint8Array(n),
  },
  {
    name: 'float64 transpose',
    shape: [6, 10],
    make: () =>
      permuted(
        [10, 6],
        [1, 0],
        Float64Array.from({ length: 60 }, (_, i) => i / 7),
      ),
    out: (n) => new Float64Array(n),
  },
  {
    name: 'float32 -> int32 (converts, reference)',
    shape: [10],
    make: () =>
      view(
        Float32Array.from({ length: 10 }, (_, i) => i * 1.7 - 8),
        0,
        [1],
      ),
    out: (n) => new Int32Array(n),
  },
  { name: 'scalar', shape: [], make: () => view(Float32Array.of(1, 2, 3), 2, []), out: () => new Float32Array(1) },
];

interface AssignCase {
  name: string;
  shape: number[];
  dst: () => StridedArray;
  src: () => StridedArray;
}

const ASSIGN_CASES: AssignCase[] = [
  {
    name: 'KV-cache append [B,H,1,D] into [B,H,Tmax,D] at t = 5',
    shape: [2, 3, 1, 8],
    dst: () => view(normal(rng(11), 2 * 3 * 10 * 8), 5 * 8, [3 * 10 * 8, 10 * 8, 8, 1]),
    src: () => view(normal(rng(12), 48), 0, contiguousStrides([2, 3, 1, 8])),
  },
  {
    name: 'cat: second half of dim 1',
    shape: [4, 6, 5],
    dst: () => view(normal(rng(13), 4 * 10 * 5), 4 * 5, [50, 5, 1]),
    src: () => view(normal(rng(14), 120), 0, [30, 5, 1]),
  },
  {
    name: 'slice assign from a transposed source',
    shape: [7, 9],
    dst: () => view(normal(rng(15), 20 * 20), 21, [20, 1]),
    src: () => permuted([9, 7], [1, 0], normal(rng(16), 63)),
  },
  {
    name: 'strided destination (every other column), broadcast source',
    shape: [5, 6],
    dst: () => view(normal(rng(17), 60), 1, [12, 2]),
    src: () => view(normal(rng(18), 6), 0, [0, 1]),
  },
  {
    name: 'large contiguous block',
    shape: [300, 700],
    dst: () => view(normal(rng(19), 300 * 800), 50, [800, 1]),
    src: () => view(normal(rng(20), 300 * 700), 0, [700, 1]),
  },
  {
    name: 'int32',
    shape: [3, 4],
    dst: () => view(new Int32Array(30).fill(-1), 2, [8, 2]),
    src: () =>
      view(
        Int32Array.from({ length: 12 }, (_, i) => i * 5),
        0,
        [4, 1],
      ),
  },
  {
    name: 'bool',
    shape: [10],
    dst: () => view(new Uint8Array(25), 3, [2]),
    src: () =>
      view(
        Uint8Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
        0,
        [1],
      ),
  },
  {
    name: 'float32 into int32 (converts, reference)',
    shape: [4],
    dst: () => view(new Int32Array(4), 0, [1]),
    src: () => view(Float32Array.of(1.5, -2.7, 3.9, 0.2), 0, [1]),
  },
];

describe('assign vs reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      for (const c of ASSIGN_CASES) {
        it(c.name, () => {
          const src = c.src();
          const want = c.dst();
          ref.assign(want, src, c.shape);
          const got = c.dst();
          pathBackend(isa).assign(got, src, c.shape);
          assertEqualArrays(got.data, want.data, `${isa} assign ${c.name}`);
        });
      }
    });
  }
});

describe('copyStrided / fill vs reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      for (const c of COPY_CASES) {
        it(c.name, () => {
          const src = c.make();
          const n = numel(c.shape);
          const want = c.out(n);
          ref.copyStrided(src, c.shape, want);
          const got = c.out(n);
          pathBackend(isa).copyStrided(src, c.shape, got);
          assertEqualArrays(got, want, `${isa} copy ${c.name}`);
        });
      }
      it('fill (small and large, float32 and int32)', () => {
        for (const n of [5, 100000]) {
          const f = new Float32Array(n + 3).fill(9);
          pathBackend(isa).fill(f, n, -1.25);
          assert.ok(f.subarray(0, n).every((v) => v === -1.25));
          assert.deepEqual([...f.subarray(n)], [9, 9, 9]);
          for (const value of [-7, 3.9, NaN, 2 ** 32 + 5]) {
            const i32 = new Int32Array(n + 1).fill(4);
            pathBackend(isa).fill(i32, n, value);
            const want = new Int32Array(1).fill(value)[0]!;
            assert.ok(
              i32.subarray(0, n).every((v) => v === want),
              `int32 fill ${value}`,
            );
            assert.equal(i32[n], 4);
          }
        }
      });
    });
  }
});
