/**
 * Every differentiable op, forward + backward, against central finite differences in float64 on
 * the reference backend (src/engine/autograd/gradcheck.ts). Inputs sit in safe ranges (away
 * from kinks, ties and poles); non-contiguous operands are made inside fn from contiguous leaves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/engine/index.ts';
import {
  abs,
  add,
  cast,
  cat,
  chunk,
  clamp,
  cos,
  crossEntropy,
  div,
  dropout,
  embedding,
  erf,
  exp,
  expand,
  flatten,
  gather,
  gelu,
  indexSelect,
  layerNorm,
  linear,
  log,
  logSoftmax,
  logsumexp,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  permute,
  pow,
  reciprocal,
  relu,
  reshape,
  rmsNorm,
  rsqrt,
  scaledDotProductAttention,
  select,
  sigmoid,
  silu,
  sin,
  slice,
  softmax,
  split,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  tanh,
  transpose,
  unsqueeze,
  variance,
  view,
  where,
  Generator,
  gradcheck,
  narrow,
  contiguous,
  clone,
} from '../../src/engine/index.ts';
import { attach } from '../../src/engine/autograd/node.ts';
import { assertGradcheck, bools, f64, ints, leaf } from './helpers.ts';

const g = new Generator(42);

describe('gradcheck: unary ops and activations', () => {
  const unary: [string, (x: Tensor) => Tensor, { low?: number; high?: number; awayFromZero?: number }][] = [
    ['neg', neg, {}],
    ['exp', exp, { low: -2, high: 2 }],
    ['log', log, { low: 0.2, high: 3 }],
    ['sqrt', sqrt, { low: 0.2, high: 3 }],
    ['rsqrt', rsqrt, { low: 0.2, high: 3 }],
    ['tanh', tanh, { low: -2, high: 2 }],
    ['sigmoid', sigmoid, { low: -4, high: 4 }],
    ['relu', relu, { awayFromZero: 0.05 }],
    ['gelu exact', (x) => gelu(x), { low: -4, high: 4 }],
    ['gelu tanh', (x) => gelu(x, 'tanh'), { low: -4, high: 4 }],
    ['silu', silu, { low: -4, high: 4 }],
    ['abs', abs, { awayFromZero: 0.05 }],
    ['sin', sin, { low: -3, high: 3 }],
    ['cos', cos, { low: -3, high: 3 }],
    ['square', square, {}],
    ['reciprocal', reciprocal, { awayFromZero: 0.3 }],
    ['erf', erf, { low: -2.5, high: 2.5 }],
  ];
  for (const [name, fn, range] of unary) {
    it(name, () => assertGradcheck(name, fn, [leaf(g, [3, 4], range)]));
  }

  // named edge inputs: large magnitudes on both sides, zero, the GELU tanh kink region
  const edges = [-12, -6, -3, -1, -0.25, 0, 0.25, 1, 3, 6, 12];
  for (const [name, fn] of [
    ['gelu exact', (x: Tensor) => gelu(x)],
    ['gelu tanh', (x: Tensor) => gelu(x, 'tanh')],
    ['silu', silu],
    ['sigmoid', sigmoid],
    ['tanh', tanh],
    ['erf', erf],
  ] as const) {
    it(`${name} at edge inputs ${edges.join(', ')}`, () => assertGradcheck(name, fn, [f64(edges)]));
  }

  it('gelu exact matches 0.5 x (1 + erf(x / sqrt 2)) at named points', () => {
    // values from the closed form with erf(1/sqrt2) = 0.6826894921370859, erf(sqrt2) = 0.9544997361036416
    const y = gelu(f64([1, 2, -1], [3], false)).toArray();
    assert.ok(Math.abs(y[0]! - 0.5 * (1 + 0.6826894921370859)) < 1e-14);
    assert.ok(Math.abs(y[1]! - (1 + 0.9544997361036416)) < 1e-14);
    assert.ok(Math.abs(y[2]! - -0.5 * (1 - 0.6826894921370859)) < 1e-14);
  });

  for (const p of [2, 3, 0.5, -1.5, 1.7, 1, 0]) {
    it(`pow with scalar exponent ${p}`, () => {
      const x =
        p === Math.trunc(p) && p >= 0
          ? leaf(g, [3, 4], { low: -2, high: 2 })
          : leaf(g, [3, 4], { low: 0.3, high: 2.5 });
      assertGradcheck(`pow ${p}`, (t) => pow(t, p), [x]);
    });
  }
  it('pow with a tensor exponent (both operands, broadcast)', () => {
    assertGradcheck('pow tensor', pow, [leaf(g, [3, 1], { low: 0.3, high: 2.5 }), leaf(g, [4], { low: -2, high: 2 })]);
  });
  it('pow with a scalar base (2 ** x)', () => {
    assertGradcheck('rpow', (x) => pow(2, x), [leaf(g, [5])]);
  });
  it('scalar arithmetic on both sides', () => {
    assertGradcheck('x + 1.5', (x) => add(x, 1.5), [leaf(g, [4])]);
    assertGradcheck('1.5 + x', (x) => add(1.5, x), [leaf(g, [4])]);
    assertGradcheck('x - 1.5', (x) => sub(x, 1.5), [leaf(g, [4])]);
    assertGradcheck('1.5 - x', (x) => sub(1.5, x), [leaf(g, [4])]);
    assertGradcheck('x * -2.5', (x) => mul(x, -2.5), [leaf(g, [4])]);
    assertGradcheck('x / 3', (x) => div(x, 3), [leaf(g, [4])]);
    assertGradcheck('2 / x', (x) => div(2, x), [leaf(g, [4], { awayFromZero: 0.4 })]);
  });
  it('a non-contiguous input (transposed, stepped slice)', () => {
    assertGradcheck('tanh(x.T)', (x) => tanh(transpose(x)), [leaf(g, [4, 3])]);
    assertGradcheck('exp(x[:, ::2])', (x) => exp(slice(x, 1, 0, undefined, 2)), [leaf(g, [3, 7])]);
  });
});

describe('gradcheck: binary ops with broadcasting', () => {
  const shapes: [string, number[], number[]][] = [
    ['same shape', [3, 4], [3, 4]],
    ['b broadcast along rows', [3, 4], [4]],
    ['a broadcast along rows', [4], [3, 4]],
    ['outer (both broadcast)', [3, 1], [1, 4]],
    ['middle dim', [2, 3, 4], [2, 1, 4]],
    ['rank 3 vs rank 2', [2, 1, 4], [3, 1]],
    ['0-d with matrix', [], [3, 4]],
    ['matrix with 0-d', [3, 4], []],
    ['[1] with matrix', [1], [2, 3]],
  ];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, boolean][] = [
    ['add', add, false],
    ['sub', sub, false],
    ['mul', mul, false],
    ['div', div, true],
    ['pow', pow, false],
  ];
  for (const [opName, fn, denominator] of ops) {
    for (const [shapeName, sa, sb] of shapes) {
      it(`${opName}: ${shapeName} [${sa}] and [${sb}]`, () => {
        const a = opName === 'pow' ? leaf(g, sa, { low: 0.3, high: 2.5 }) : leaf(g, sa);
        const b = denominator ? leaf(g, sb, { awayFromZero: 0.4 }) : leaf(g, sb, { low: -1.5, high: 1.5 });
        assertGradcheck(`${opName} ${shapeName}`, fn, [a, b]);
      });
    }
  }

  for (const [name, fn] of [
    ['maximum', maximum],
    ['minimum', minimum],
  ] as const) {
    for (const [shapeName, sa, sb] of shapes.slice(0, 6)) {
      it(`${name} away from ties: ${shapeName}`, () => {
        // seeded uniform values: no compared pair lies within eps of another
        assertGradcheck(`${name} ${shapeName}`, fn, [leaf(g, sa), leaf(g, sb, { low: -0.9, high: 0.9 })]);
      });
    }
  }
  it('maximum/minimum give each operand the gradient where it wins', () => {
    const a = f64([1, 5, -2]);
    const b = f64([3, 0, -1]);
    sum(maximum(a, b)).backward();
    assert.deepEqual(a.grad!.toArray(), [0, 1, 0]);
    assert.deepEqual(b.grad!.toArray(), [1, 0, 1]);
  });

  it('binary ops on non-contiguous operands', () => {
    assertGradcheck('x.T * y', (x, y) => mul(transpose(x), y), [leaf(g, [4, 3]), leaf(g, [4])]);
    assertGradcheck('x[:, 1::2] + y.T', (x, y) => add(slice(x, 1, 1, undefined, 2), transpose(y)), [
      leaf(g, [3, 8]),
      leaf(g, [4, 3]),
    ]);
    assertGradcheck('expanded / y', (x, y) => div(expand(x, [2, 3]), y), [
      leaf(g, [3]),
      leaf(g, [2, 3], { awayFromZero: 0.5 }),
    ]);
  });
});

describe('gradcheck: where, maskedFill, clamp', () => {
  it('where with broadcast condition and operands', () => {
    const cond = bools([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], [3, 4]);
    assertGradcheck('where', (a, b) => where(cond, a, b), [leaf(g, [3, 4]), leaf(g, [4])]);
    const rowCond = bools([1, 0, 1], [3, 1]);
    assertGradcheck('where broadcast cond', (a, b) => where(rowCond, a, b), [leaf(g, [1, 4]), leaf(g, [3, 4])]);
    assertGradcheck('where with a scalar branch', (a) => where(cond, a, 0.5), [leaf(g, [3, 4])]);
  });
  it('maskedFill', () => {
    const mask = bools([0, 1, 1, 0], [1, 4]);
    assertGradcheck('maskedFill', (x) => maskedFill(x, mask, -5), [leaf(g, [3, 4])]);
  });
  it('clamp (inputs away from the bounds)', () => {
    const x = f64([-2, -1.2, -0.5, -0.1, 0.2, 0.7, 1.1, 3]);
    assertGradcheck('clamp both', (t) => clamp(t, -1, 0.8), [x]);
    assertGradcheck('clamp min', (t) => clamp(t, -0.3, null), [x]);
    assertGradcheck('clamp max', (t) => clamp(t, null, 0.5), [x]);
  });
});

describe('gradcheck: reductions', () => {
  const axesCases: [string, number | number[] | undefined][] = [
    ['all', undefined],
    ['axis 0', 0],
    ['axis -1', -1],
    ['axis 1', 1],
    ['adjacent [1, 2]', [1, 2]],
    ['non-adjacent [0, 2]', [0, 2]],
    ['all listed [2, 0, 1]', [2, 0, 1]],
  ];
  const reductions: [string, (x: Tensor, axes: number | number[] | undefined, keep: boolean) => Tensor][] = [
    ['sum', (x, a, k) => sum(x, a, k)],
    ['mean', (x, a, k) => mean(x, a, k)],
    ['max', (x, a, k) => max(x, a, k)],
    ['min', (x, a, k) => min(x, a, k)],
    ['var', (x, a, k) => variance(x, a, k)],
    ['var (correction 0)', (x, a, k) => variance(x, a, k, 0)],
    ['logsumexp', (x, a, k) => logsumexp(x, a ?? [0, 1, 2], k)],
  ];
  for (const [name, fn] of reductions) {
    for (const [axesName, axes] of axesCases) {
      for (const keep of [false, true]) {
        it(`${name} over ${axesName}, keepdim ${keep}`, () => {
          // distinct values (a shuffled grid) so max/min have no ties
          const x = distinct([2, 3, 4]);
          assertGradcheck(`${name} ${axesName} ${keep}`, (t) => fn(t, axes, keep), [x]);
        });
      }
    }
  }
  it('reductions of a non-contiguous input', () => {
    assertGradcheck('sum of permuted', (t) => sum(permute(t, [2, 0, 1]), [0, 2]), [leaf(g, [2, 3, 4])]);
    assertGradcheck('max of transposed', (t) => max(transpose(t), 1), [distinct([4, 3])]);
    assertGradcheck('var of stepped slice', (t) => variance(slice(t, 1, 0, undefined, 2), 1), [leaf(g, [3, 8])]);
  });
  it('logsumexp with large logits stays finite and exact', () => {
    assertGradcheck('logsumexp large', (t) => logsumexp(t, -1), [f64([1000, 1001, 999, -1000, -1001, -999], [2, 3])]);
  });
});

/** A float64 leaf with distinct values spread at least 0.05 apart (no ties for max/min). */
function distinct(shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = g.permutation(n);
  return f64(
    Array.from(perm, (p) => (p - n / 2) * 0.1 + g.uniform(0, 0.02)),
    shape,
  );
}

describe('gradcheck: matmul and linear', () => {
  const cases: [string, number[], number[], ((a: Tensor, b: Tensor) => Tensor) | null][] = [
    ['1-D @ 1-D', [4], [4], null],
    ['1-D @ 2-D', [4], [4, 3], null],
    ['2-D @ 1-D', [3, 4], [4], null],
    ['2-D @ 2-D', [3, 4], [4, 5], null],
    ['batched', [2, 3, 4], [2, 4, 5], null],
    ['broadcast batch', [2, 1, 3, 4], [3, 4, 5], null],
    ['2-D @ 3-D', [3, 4], [2, 4, 5], null],
    ['3-D @ 2-D (folded rows)', [2, 3, 4], [4, 5], null],
    ['3-D @ 1-D', [2, 3, 4], [4], null],
    ['1-D @ 3-D', [4], [2, 4, 3], null],
    ['a transposed view', [4, 3], [4, 5], (a, b) => matmul(transpose(a), b)],
    ['b transposed view', [3, 4], [5, 4], (a, b) => matmul(a, transpose(b))],
    ['both transposed', [4, 3], [5, 4], (a, b) => matmul(transpose(a), transpose(b))],
    ['batched b transposed', [2, 3, 4], [2, 5, 4], (a, b) => matmul(a, transpose(b))],
    ['3-D a transposed @ 2-D', [2, 4, 3], [4, 5], (a, b) => matmul(transpose(a), b)],
    ['a slice with lda > width', [3, 7], [4, 5], (a, b) => matmul(slice(a, 1, 1, 5), b)],
    ['b slice with ldb > width', [3, 4], [4, 9], (a, b) => matmul(a, slice(b, 1, 2, 7))],
    ['b stepped slice', [3, 4], [4, 10], (a, b) => matmul(a, slice(b, 1, 0, undefined, 2))],
    ['permuted batch', [3, 2, 4], [2, 4, 5], (a, b) => matmul(permute(a, [1, 0, 2]), b)],
    ['expanded b', [2, 3, 4], [1, 4, 5], (a, b) => matmul(a, expand(b, [2, 4, 5]))],
    ['row-slice batch of a', [4, 3, 4], [4, 5], (a, b) => matmul(slice(a, 0, 1, 3), b)],
  ];
  for (const [name, sa, sb, fn] of cases) {
    it(`matmul: ${name}`, () => assertGradcheck(`matmul ${name}`, fn ?? matmul, [leaf(g, sa), leaf(g, sb)]));
  }
  it('matmul forward equals a hand-written product', () => {
    const a = f64([1, 2, 3, 4, 5, 6], [2, 3], false);
    const b = f64([7, 8, 9, 10, 11, 12], [3, 2], false);
    assert.deepEqual(matmul(a, b).toArray(), [58, 64, 139, 154]);
    assert.equal(matmul(f64([1, 2, 3], [3], false), f64([4, 5, 6], [3], false)).item(), 32);
  });
  it('linear with and without bias, 1-D, 2-D and 3-D inputs, non-contiguous operands', () => {
    assertGradcheck('linear 2-D bias', linear, [leaf(g, [3, 4]), leaf(g, [5, 4]), leaf(g, [5])]);
    assertGradcheck('linear 2-D no bias', (x, w) => linear(x, w), [leaf(g, [3, 4]), leaf(g, [5, 4])]);
    assertGradcheck('linear 3-D bias', linear, [leaf(g, [2, 3, 4]), leaf(g, [5, 4]), leaf(g, [5])]);
    assertGradcheck('linear 3-D no bias', (x, w) => linear(x, w), [leaf(g, [2, 3, 4]), leaf(g, [5, 4])]);
    assertGradcheck('linear 1-D', linear, [leaf(g, [4]), leaf(g, [5, 4]), leaf(g, [5])]);
    assertGradcheck('linear x transposed', (x, w, b) => linear(transpose(x), w, b), [
      leaf(g, [4, 3]),
      leaf(g, [5, 4]),
      leaf(g, [5]),
    ]);
    assertGradcheck('linear w transposed', (x, w, b) => linear(x, transpose(w), b), [
      leaf(g, [3, 4]),
      leaf(g, [4, 5]),
      leaf(g, [5]),
    ]);
    assertGradcheck('linear x permuted 3-D', (x, w) => linear(permute(x, [1, 0, 2]), w), [
      leaf(g, [3, 2, 4]),
      leaf(g, [5, 4]),
    ]);
  });
});

describe('gradcheck: softmax, norms, cross-entropy', () => {
  for (const axis of [0, 1, 2, -1, -2]) {
    it(`softmax and logSoftmax on axis ${axis}`, () => {
      assertGradcheck('softmax', (x) => softmax(x, axis), [leaf(g, [2, 3, 4], { low: -2, high: 2 })]);
      assertGradcheck('logSoftmax', (x) => logSoftmax(x, axis), [leaf(g, [2, 3, 4], { low: -2, high: 2 })]);
    });
  }
  it('softmax of a 0-d tensor and of a transposed input', () => {
    assertGradcheck('softmax 0-d', (x) => softmax(x), [f64([0.7], [])]);
    assertGradcheck('softmax of x.T', (x) => softmax(transpose(x), -1), [leaf(g, [4, 3])]);
  });
  it('layerNorm with and without affine parameters', () => {
    assertGradcheck('layerNorm affine', (x, w, b) => layerNorm(x, w, b), [
      leaf(g, [2, 3, 5], { low: -2, high: 2 }),
      leaf(g, [5]),
      leaf(g, [5]),
    ]);
    assertGradcheck('layerNorm plain', (x) => layerNorm(x, null, null), [leaf(g, [3, 6], { low: -2, high: 2 })]);
    assertGradcheck('layerNorm weight only', (x, w) => layerNorm(x, w, null), [leaf(g, [3, 4]), leaf(g, [4])]);
    assertGradcheck('layerNorm of x.T', (x, w, b) => layerNorm(transpose(x), w, b), [
      leaf(g, [5, 3]),
      leaf(g, [5]),
      leaf(g, [5]),
    ]);
  });
  it('rmsNorm with and without weight', () => {
    assertGradcheck('rmsNorm affine', (x, w) => rmsNorm(x, w), [
      leaf(g, [2, 3, 5], { low: -2, high: 2 }),
      leaf(g, [5]),
    ]);
    assertGradcheck('rmsNorm plain', (x) => rmsNorm(x, null), [leaf(g, [3, 6], { low: -2, high: 2 })]);
    assertGradcheck('rmsNorm of a slice', (x) => rmsNorm(slice(x, 1, 1, 5), null), [leaf(g, [3, 6])]);
  });
  const targets = ints([0, 4, 2, 2, 1, 3]);
  const ignored = ints([0, -100, 2, 4, -100, 3]);
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`crossEntropy reduction ${reduction}: plain, ignoreIndex, label smoothing, both`, () => {
      const logits = leaf(g, [6, 5], { low: -3, high: 3 });
      assertGradcheck('ce', (l) => crossEntropy(l, targets, { reduction }), [logits]);
      assertGradcheck('ce ignore', (l) => crossEntropy(l, ignored, { reduction }), [logits]);
      assertGradcheck('ce smoothing', (l) => crossEntropy(l, targets, { reduction, labelSmoothing: 0.1 }), [logits]);
      assertGradcheck('ce both', (l) => crossEntropy(l, ignored, { reduction, labelSmoothing: 0.25 }), [logits]);
      assertGradcheck('ce ignoreIndex 2', (l) => crossEntropy(l, targets, { reduction, ignoreIndex: 2 }), [logits]);
    });
  }
  it('crossEntropy on 3-D logits and on a transposed view', () => {
    const t = ints([1, 6, 0, 3, -100, 3], [2, 3]);
    assertGradcheck('ce 3-D', (l) => crossEntropy(l, t), [leaf(g, [2, 3, 7], { low: -2, high: 2 })]);
    assertGradcheck('ce transposed', (l) => crossEntropy(transpose(l), ints([0, 1, 2, 2])), [
      leaf(g, [3, 4], { low: -2, high: 2 }),
    ]);
  });
});

describe('gradcheck: indexing', () => {
  it('indexSelect with repeated indices on each axis', () => {
    assertGradcheck('indexSelect 0', (x) => indexSelect(x, 0, ints([4, 0, 4, 2])), [leaf(g, [5, 3])]);
    assertGradcheck('indexSelect 1', (x) => indexSelect(x, 1, ints([1, 1, 0, 4])), [leaf(g, [3, 5, 2])]);
    assertGradcheck('indexSelect -1 of transposed', (x) => indexSelect(transpose(x), -1, ints([2, 2, 0])), [
      leaf(g, [3, 4]),
    ]);
  });
  it('embedding with repeated ids', () => {
    assertGradcheck('embedding', (w) => embedding(w, ints([1, 3, 1, 5, 1, 0], [2, 3])), [leaf(g, [6, 4])]);
  });
  it('gather along every axis', () => {
    assertGradcheck('gather 1', (x) => gather(x, 1, ints([3, 0, 0, 1, 2, 2, 2, 2, 1, 0, 3, 3, 0, 1, 1], [3, 5])), [
      leaf(g, [3, 4]),
    ]);
    assertGradcheck('gather 0', (x) => gather(x, 0, ints([0, 3, 3, 1, 1, 1], [2, 3])), [leaf(g, [4, 3])]);
    assertGradcheck('gather middle', (x) => gather(x, 1, ints([4, 4, 0, 1, 2, 3, 0, 0, 0, 1, 2, 1], [2, 2, 3])), [
      leaf(g, [2, 5, 3]),
    ]);
  });
});

describe('gradcheck: movement ops', () => {
  it('cat, stack', () => {
    assertGradcheck('cat 0', (a, b) => cat([a, b], 0), [leaf(g, [2, 3]), leaf(g, [4, 3])]);
    assertGradcheck('cat -1 of three', (a, b, c) => cat([a, b, c], -1), [
      leaf(g, [2, 3]),
      leaf(g, [2, 1]),
      leaf(g, [2, 2]),
    ]);
    assertGradcheck('cat of a transposed view', (a, b) => cat([transpose(a), b], 1), [
      leaf(g, [3, 2]),
      leaf(g, [2, 4]),
    ]);
    for (const axis of [0, 1, 2, -1]) {
      assertGradcheck(`stack ${axis}`, (a, b) => stack([a, b, a], axis), [leaf(g, [3, 4]), leaf(g, [3, 4])]);
    }
  });
  it('split and chunk (every part used, with a different weight)', () => {
    const weighted = (parts: Tensor[]) =>
      cat(
        parts.map((p, i) => mul(reshape(p, [-1]), i + 1)),
        0,
      );
    assertGradcheck('split size', (x) => weighted(split(x, 3, 0)), [leaf(g, [7, 3])]);
    assertGradcheck('split sections', (x) => weighted(split(x, [1, 2, 3], 1)), [leaf(g, [2, 6])]);
    assertGradcheck('chunk', (x) => weighted(chunk(x, 3, 1)), [leaf(g, [2, 7])]);
    assertGradcheck('one part only', (x) => split(x, 2, 0)[1]!, [leaf(g, [5, 2])]);
  });
  it('views: reshape, view, permute, transpose, expand', () => {
    assertGradcheck('reshape', (x) => reshape(x, [4, 6]), [leaf(g, [2, 3, 4])]);
    assertGradcheck('reshape -1 of permuted (copies)', (x) => reshape(permute(x, [2, 1, 0]), [-1, 2]), [
      leaf(g, [2, 3, 4]),
    ]);
    assertGradcheck('view', (x) => view(x, [6, 4]), [leaf(g, [2, 3, 4])]);
    assertGradcheck('view splitting a transposed dim', (x) => view(transpose(x), [3, 2, 4]), [leaf(g, [4, 6])]);
    assertGradcheck('permute', (x) => permute(x, [2, 0, 1]), [leaf(g, [2, 3, 4])]);
    assertGradcheck('transpose', (x) => transpose(x, 0, 2), [leaf(g, [2, 3, 4])]);
    assertGradcheck('expand', (x) => expand(x, [2, 3, 4]), [leaf(g, [3, 1])]);
    assertGradcheck('expand -1', (x) => expand(x, [3, -1]), [leaf(g, [1, 4])]);
    assertGradcheck('expand then mul', (x, y) => mul(expand(x, [3, 4]), y), [leaf(g, [1, 4]), leaf(g, [3, 4])]);
  });
  it('slice with steps, negative bounds, narrow, select', () => {
    assertGradcheck('slice step 2', (x) => slice(x, 1, 1, undefined, 2), [leaf(g, [3, 7])]);
    assertGradcheck('slice step 3', (x) => slice(x, -1, 0, 9, 3), [leaf(g, [2, 10])]);
    assertGradcheck('slice negative', (x) => slice(x, 0, -3, -1), [leaf(g, [5, 3])]);
    assertGradcheck('slice of slice', (x) => slice(slice(x, 0, 1, 5), 0, 1, undefined, 2), [leaf(g, [6, 2])]);
    assertGradcheck('narrow', (x) => narrow(x, 1, 1, 2), [leaf(g, [3, 4])]);
    assertGradcheck('select', (x) => select(x, 1, -1), [leaf(g, [2, 3, 4])]);
  });
  it('squeeze, unsqueeze, flatten, contiguous, clone', () => {
    assertGradcheck('squeeze 1', (x) => squeeze(x, 1), [leaf(g, [3, 1, 4])]);
    assertGradcheck('squeeze all', (x) => squeeze(x), [leaf(g, [1, 3, 1])]);
    assertGradcheck('unsqueeze', (x) => unsqueeze(x, -1), [leaf(g, [3, 4])]);
    assertGradcheck('flatten 1..2', (x) => flatten(x, 1, 2), [leaf(g, [2, 3, 4])]);
    assertGradcheck('flatten of transposed', (x) => flatten(transpose(x)), [leaf(g, [2, 3, 4])]);
    assertGradcheck('contiguous', (x) => contiguous(transpose(x)), [leaf(g, [3, 4])]);
    assertGradcheck('clone', (x) => mul(clone(x), x), [leaf(g, [3, 4])]);
  });
  it('cast to float32 and back (gradient passes through, cast back to float64)', () => {
    // the forward rounds to float32, so use a wide step: the check is that the gradient is 1, cast back
    const r = gradcheck((x) => cast(cast(x, 'float32'), 'float64'), [leaf(g, [3, 4])], {
      eps: 1e-2,
      rtol: 1e-4,
      atol: 1e-6,
    });
    assert.ok(r.ok, r.worst);
    const x = leaf(g, [3]);
    const y = cast(x, 'float32');
    assert.equal(y.dtype, 'float32');
    sum(y).backward();
    assert.equal(x.grad!.dtype, 'float64');
    assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
  });
});

describe('gradcheck: dropout', () => {
  it('with a fixed generator, backward is the mask', () => {
    assertGradcheck('dropout', (x) => dropout(x, 0.3, new Generator(7)), [leaf(g, [4, 5])]);
    const x = leaf(g, [200]);
    const y = dropout(x, 0.25, new Generator(9));
    sum(y).backward();
    const grad = x.grad!.toArray();
    const xs = x.toArray();
    const ys = y.toArray();
    let dropped = 0;
    for (let i = 0; i < grad.length; i++) {
      // the mask is 0 or 1/(1-p), and y = x * mask
      assert.ok(grad[i] === 0 || Math.abs(grad[i]! - 1 / 0.75) < 1e-15, `grad ${grad[i]}`);
      assert.ok(Math.abs(ys[i]! - xs[i]! * grad[i]!) < 1e-15);
      if (grad[i] === 0) dropped++;
    }
    assert.ok(dropped > 25 && dropped < 75, `dropped ${dropped} of 200 at p = 0.25`);
  });
  it('p = 0, eval mode and p = 1', () => {
    const x = leaf(g, [10]);
    assert.equal(dropout(x, 0, new Generator(1)), x);
    assert.equal(dropout(x, 0.5, new Generator(1), false), x);
    assert.ok(
      dropout(x, 1, new Generator(1))
        .toArray()
        .every((v) => v === 0),
    );
  });
});

describe('gradcheck: scaled dot-product attention', () => {
  const B = 2;
  const D = 3;
  const qkv = (H: number, T: number, S: number, Hkv = H): Tensor[] => [
    leaf(g, [B, H, T, D], { low: -1.5, high: 1.5 }),
    leaf(g, [B, Hkv, S, D], { low: -1.5, high: 1.5 }),
    leaf(g, [B, Hkv, S, D]),
  ];
  const attn = (o: Parameters<typeof scaledDotProductAttention>[3]) => (q: Tensor, k: Tensor, v: Tensor) =>
    scaledDotProductAttention(q, k, v, o);
  it('plain', () => assertGradcheck('attention', attn({}), qkv(2, 3, 4)));
  it('causal', () => assertGradcheck('causal', attn({ causal: true }), qkv(2, 4, 4)));
  it('additive float mask (broadcast over heads)', () => {
    const mask = leaf(g, [B, 1, 3, 4], { requiresGrad: false });
    assertGradcheck('additive mask', attn({ mask }), qkv(2, 3, 4));
  });
  it('boolean padding mask with causal', () => {
    const mask = bools([1, 1, 1, 0, 0, 1, 1, 1], [B, 1, 1, 4]);
    assertGradcheck('bool mask', attn({ mask }), qkv(2, 4, 4));
    assertGradcheck(
      'bool mask causal',
      attn({ mask: bools([1, 1, 1, 1, 0, 1, 1, 1], [B, 1, 1, 4]), causal: true }),
      qkv(2, 4, 4),
    );
  });
  it('grouped-query attention (4 query heads over 2 kv heads)', () => {
    assertGradcheck('gqa', attn({ causal: true }), qkv(4, 3, 3, 2));
    assertGradcheck('mqa', attn({}), qkv(3, 2, 3, 1));
  });
  it('fewer queries than keys (causal, bottom-right aligned) and a custom scale', () => {
    assertGradcheck('tq < tk causal', attn({ causal: true }), qkv(2, 2, 5));
    assertGradcheck('tq < tk', attn({ scale: 0.3 }), qkv(1, 3, 5));
  });
  it('fully masked rows give zero output and zero gradients', () => {
    // batch 1 hides every key from query 0; other rows attend normally
    const m = new Array<number>(B * 3 * 4).fill(1);
    for (let s = 0; s < 4; s++) m[12 + s] = 0;
    const mask = bools(m as (0 | 1)[], [B, 1, 3, 4]);
    const inputs = qkv(2, 3, 4);
    assertGradcheck('fully masked', attn({ mask }), inputs);
    const out = scaledDotProductAttention(inputs[0]!, inputs[1]!, inputs[2]!, { mask });
    for (const h of [0, 1]) assert.deepEqual(select(select(select(out, 0, 1), 0, h), 0, 0).toArray(), [0, 0, 0]);
    assert.ok(out.toArray().every(Number.isFinite));
    for (const x of inputs) x.grad = null;
    sum(out).backward();
    assert.deepEqual(select(select(inputs[0]!.grad!, 0, 1), 1, 0).toArray(), new Array(6).fill(0));
  });
  it('q, k, v as transposed [B, T, H, D] memory (a fused-QKV layout)', () => {
    const t = (x: Tensor) => permute(x, [0, 2, 1, 3]);
    assertGradcheck('bthd inputs', (q, k, v) => scaledDotProductAttention(t(q), t(k), t(v), { causal: true }), [
      leaf(g, [B, 4, 2, D]),
      leaf(g, [B, 4, 2, D]),
      leaf(g, [B, 4, 2, D]),
    ]);
  });
  it('a float mask that requires grad (a learned bias) gets its gradient', () => {
    const bias = (shape: number[]) => leaf(g, shape, { low: -1, high: 1 });
    assertGradcheck('learned bias', (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m }), [
      ...qkv(2, 3, 4),
      bias([1, 2, 3, 4]),
    ]);
    assertGradcheck(
      'learned bias causal gqa',
      (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m, causal: true }),
      [...qkv(4, 2, 3, 2), bias([B, 4, 2, 3])],
    );
    // a row whose bias hides every key: output 0, no gradient, like the fused kernel
    const hidden = leaf(g, [1, 1, 3, 4]);
    (hidden.data as Float64Array).fill(-Infinity, 4, 8);
    assertGradcheck('learned bias, fully masked row', (q, k, v, m) => scaledDotProductAttention(q, k, v, { mask: m }), [
      ...qkv(2, 3, 4),
      hidden,
    ]);
  });
  it('the composite path (mask with grad) equals the fused kernel in values and q/k/v gradients', () => {
    const inputs = qkv(4, 3, 5, 2);
    const m = leaf(g, [B, 1, 3, 5]);
    (m.data as Float64Array).fill(-Infinity, 5, 10); // one fully masked row
    const run = (maskGrad: boolean) => {
      for (const x of inputs) x.grad = null;
      const mask = maskGrad ? m : m.detach();
      const out = scaledDotProductAttention(inputs[0]!, inputs[1]!, inputs[2]!, { mask, causal: true });
      sum(mul(out, out)).backward();
      return [out.toArray(), ...inputs.map((x) => x.grad!.toArray())];
    };
    const fused = run(false);
    const composite = run(true);
    fused.forEach((a, i) =>
      a.forEach((v, j) =>
        assert.ok(Math.abs(v - composite[i]![j]!) < 1e-12, `tensor ${i}[${j}]: ${v} vs ${composite[i]![j]}`),
      ),
    );
    assert.ok(m.grad !== null);
  });
  it('matches softmax(q k^T * scale + mask) v built from ops', () => {
    const [q, k, v] = qkv(2, 3, 4);
    const mask = leaf(g, [1, 1, 3, 4], { requiresGrad: false });
    const fused = scaledDotProductAttention(q!, k!, v!, { mask, scale: 0.4 });
    const manual = matmul(softmax(add(mul(matmul(q!, transpose(k!)), 0.4), mask), -1), v!);
    const a = fused.toArray();
    const e = manual.toArray();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) < 1e-13);
  });
});

describe('gradcheck: composite graphs', () => {
  it('a small network mixing many ops', () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) => {
      const h = gelu(layerNorm(linear(x, w, b), null, null), 'tanh'); // [3, 5]
      return logsumexp(mul(softmax(h, 0), tanh(h)), -1);
    };
    assertGradcheck('composite', f, [leaf(g, [3, 4]), leaf(g, [5, 4]), leaf(g, [5])]);
  });
  it('a tensor used by several ops (diamond)', () => {
    assertGradcheck('diamond', (x) => mul(exp(x), sin(x)), [leaf(g, [5])]);
  });
  it('the same input passed twice', () => {
    const x = leaf(g, [3, 3]);
    assertGradcheck('x @ x', (a) => matmul(a, a), [x]);
  });
  it('gradcheck itself catches a wrong backward rule', () => {
    // d/dx of (x * 2) computed by an op whose backward claims 3: built from where with a detached branch
    const wrong = (x: Tensor) => add(mul(x, 3), mul(x.detach(), -1));
    const r = gradcheck(wrong, [leaf(g, [4])]);
    assert.equal(r.ok, false);
    assert.ok(r.maxAbsError > 0.05, `max error ${r.maxAbsError}`);
  });
  it('gradcheck reports a NaN gradient and leaves its inputs intact when fn throws', () => {
    const nanGrad = (x: Tensor) => attach(mul(x, 2).detach(), 'nanGrad', [x], (gr) => [mul(gr, NaN)]);
    const r = gradcheck(nanGrad, [leaf(g, [3])]);
    assert.equal(r.ok, false);
    assert.match(r.worst, /analytic NaN/);
    const x = f64([1, 2, 3]);
    let calls = 0;
    assert.throws(
      () =>
        gradcheck(
          (t) => {
            if (++calls > 2) throw new Error('boom');
            return mul(t, 2);
          },
          [x],
        ),
      /boom/,
    );
    assert.deepEqual(x.toArray(), [1, 2, 3]);
  });
});
