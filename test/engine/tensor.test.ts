/**
 * Tensor semantics: views share storage, contiguous() copies only when needed, broadcasting,
 * every op on non-contiguous inputs, negative axes, 0-d and size-0 tensors, dtype promotion,
 * reading values out, printing. Expected values are hand-derived (or PyTorch's documented rules).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/engine/index.ts';
import {
  abs,
  add,
  arange,
  argmax,
  argmin,
  broadcastShapes,
  cast,
  cat,
  chunk,
  clamp,
  clone,
  contiguous,
  crossEntropy,
  div,
  dropout,
  embedding,
  eq,
  exp,
  expand,
  eye,
  flatten,
  full,
  gather,
  ge,
  gelu,
  Generator,
  gt,
  indexSelect,
  layerNorm,
  le,
  linear,
  linspace,
  log,
  logSoftmax,
  logsumexp,
  lt,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  memoryStats,
  min,
  minimum,
  mul,
  ne,
  neg,
  noGrad,
  ones,
  permute,
  pow,
  promoteTypes,
  relu,
  reshape,
  rmsNorm,
  scalar,
  scaledDotProductAttention,
  select,
  sigmoid,
  silu,
  softmax,
  split,
  sqrt,
  squeeze,
  stack,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
  transpose,
  unsqueeze,
  variance,
  view,
  where,
  zeros,
  square,
} from '../../src/engine/index.ts';
import { ref } from './helpers.ts';
import { ShapeError } from '../../src/core/errors.ts';

const f64 = (values: number[], shape: number[]) => tensor(values, { shape, dtype: 'float64', backend: ref });

describe('views share storage and copy nothing', () => {
  it('every view op reuses the base storage without allocating', () => {
    const base = arange(0, 12, 1, { dtype: 'float32' }).reshape(3, 4);
    const before = memoryStats().allocations;
    const views = [
      base.T,
      base.transpose(0, 1),
      base.permute(1, 0),
      base.slice(1, 1, 3),
      base.slice(1, 0, 4, 2),
      base.select(0, 1),
      base.narrow(0, 1, 2),
      base.reshape(12),
      base.view(2, 6),
      base.view([6, 2]),
      base.expand(2, 3, 4),
      base.unsqueeze(0),
      base.unsqueeze(0).squeeze(0),
      base.flatten(),
      base.split(2, 1)[1]!,
      base.chunk(3, 0)[2]!,
      base.detach(),
      contiguous(base),
    ];
    assert.equal(memoryStats().allocations, before, 'a view allocated memory');
    for (const v of views) assert.equal(v.storage, base.storage);
  });
  it('writing through a view is visible in the base (and the other way round)', () => {
    const base = zeros([3, 4]);
    base.select(0, 1).fill_(7); // row 1
    base.T.select(0, 2).fill_(-1); // column 2
    base.slice(1, 0, 4, 3).add_(100); // columns 0 and 3
    assert.deepEqual(base.tolist(), [
      [100, 0, -1, 100],
      [107, 7, -1, 107],
      [100, 0, -1, 100],
    ]);
    const v = base.view(12);
    base.fill_(3);
    assert.ok(v.toArray().every((x) => x === 3));
    base
      .expand(2, 3, 4)
      .select(0, 0)
      .select(0, 0)
      .copy_(tensor([1, 2, 3, 4]));
    assert.deepEqual(base.select(0, 0).toArray(), [1, 2, 3, 4]);
  });
  it('view strides follow PyTorch (transposed, sliced, expanded)', () => {
    const base = zeros([3, 4]);
    assert.deepEqual(base.T.strides, [1, 4]);
    assert.deepEqual(base.slice(1, 1, 4, 2).strides, [4, 2]);
    assert.equal(base.slice(1, 1, 4, 2).offset, 1);
    assert.deepEqual(base.unsqueeze(1).expand(3, 5, 4).strides, [4, 0, 1]);
    assert.deepEqual(base.T.view(2, 2, 3).strides, [2, 1, 4]);
  });
  it('contiguous() copies only when needed', () => {
    const base = arange(0, 12, 1, { dtype: 'float32' }).reshape(3, 4);
    assert.equal(contiguous(base), base);
    const rows = base.slice(0, 1, 3); // contiguous rows at an offset
    assert.equal(rows.contiguous(), rows);
    const t = base.T;
    assert.equal(t.isContiguous(), false);
    const c = t.contiguous();
    assert.notEqual(c.storage, base.storage);
    assert.equal(c.isContiguous(), true);
    assert.deepEqual(c.toArray(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.equal(base.slice(1, 0, 2).isContiguous(), false);
    assert.deepEqual(base.slice(1, 0, 2).contiguous().toArray(), [0, 1, 4, 5, 8, 9]);
    // size-1 dims do not break contiguity
    assert.equal(base.select(1, 2).unsqueeze(1).T.isContiguous(), false);
    assert.equal(base.slice(0, 1, 2).T.isContiguous(), true);
  });
  it('reshape views when the strides allow it and copies otherwise; view refuses', () => {
    const base = zeros([4, 6]);
    assert.equal(base.T.reshape(3, 2, 4).storage, base.storage); // splits one dim: a view
    const merged = base.T.reshape(24);
    assert.notEqual(merged.storage, base.storage);
    assert.throws(
      () => base.T.view(24),
      (e: unknown) => e instanceof ShapeError && /use reshape/.test(e.message),
    );
    // views of empty tensors always work
    assert.deepEqual(zeros([0, 3]).T.view(0).shape, [0]);
  });
  it('clone copies and detach shares', () => {
    const a = tensor([1, 2, 3]);
    const c = clone(a);
    c.fill_(0);
    assert.deepEqual(a.toArray(), [1, 2, 3]);
    const d = a.detach();
    d.fill_(5);
    assert.deepEqual(a.toArray(), [5, 5, 5]);
  });
});

describe('broadcasting', () => {
  it('follows NumPy rules', () => {
    assert.deepEqual(broadcastShapes('t', [3, 1], [1, 4]), [3, 4]);
    assert.deepEqual(broadcastShapes('t', [2, 1, 4], [3, 1]), [2, 3, 4]);
    assert.deepEqual(broadcastShapes('t', [], [2, 3]), [2, 3]);
    assert.deepEqual(broadcastShapes('t', [5, 0], [1]), [5, 0]);
    assert.deepEqual(broadcastShapes('t', [1], [0]), [0]);
    assert.deepEqual(add(tensor([[1], [2]]), tensor([10, 20, 30])).tolist(), [
      [11, 21, 31],
      [12, 22, 32],
    ]);
    assert.deepEqual(mul(tensor([1, 2, 3]), scalar(2)).toArray(), [2, 4, 6]);
  });
  it('incompatible shapes raise a ShapeError naming the op, the dimension and the shapes', () => {
    assert.throws(
      () => add(zeros([2, 3]), zeros([3, 2])),
      (e: unknown) => {
        assert.ok(e instanceof ShapeError);
        assert.equal(e.code, 'SHAPE_MISMATCH');
        assert.equal(e.op, 'add');
        assert.match(e.message, /^add: .*dimension -2: 2 vs 3.*\[2, 3\], \[3, 2\]/);
        return true;
      },
    );
    assert.throws(() => where(tensor([true, false]), zeros([3]), 0), ShapeError);
    assert.throws(() => mul(zeros([0]), zeros([2])), ShapeError);
  });
  it('expand checks sizes and allows new leading dims and -1', () => {
    assert.deepEqual(zeros([3, 1]).expand(2, 3, 5).shape, [2, 3, 5]);
    assert.deepEqual(zeros([1, 4]).expand(3, -1).shape, [3, 4]);
    assert.throws(() => zeros([3, 2]).expand(3, 4), /expand: dimension 1 of size 2 cannot expand to 4/);
  });
});

describe('every op accepts non-contiguous inputs', () => {
  // each maker returns a [3, 4] float64 view that is not a plain contiguous tensor
  const g = new Generator(5);
  const rand = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return f64(
      Array.from({ length: n }, () => g.uniform(-2, 2)),
      shape,
    );
  };
  const views: [string, () => Tensor][] = [
    ['transposed', () => rand([4, 3]).T],
    ['stepped slice', () => rand([3, 8]).slice(1, 0, 8, 2)],
    ['column slice (row stride > width)', () => rand([3, 6]).slice(1, 1, 5)],
    ['rows at an offset', () => rand([5, 4]).slice(0, 2, 5)],
    ['expanded', () => rand([1, 4]).expand(3, 4)],
    ['permuted 3-D, selected', () => rand([4, 2, 3]).permute(1, 2, 0).select(0, 1)],
  ];
  const other = rand([3, 4]);
  const ids = tensor([2, 0, 2], { dtype: 'int32', backend: ref });
  const ops: [string, (x: Tensor) => Tensor | Tensor[]][] = [
    ['neg', neg],
    ['exp', exp],
    ['log(abs)', (x) => log(abs(x))],
    ['sqrt(abs)', (x) => sqrt(abs(x))],
    ['tanh', tanh],
    ['sigmoid', sigmoid],
    ['relu', relu],
    ['gelu', (x) => gelu(x)],
    ['gelu tanh', (x) => gelu(x, 'tanh')],
    ['silu', silu],
    ['square', square],
    ['pow 3', (x) => pow(x, 3)],
    ['pow tensor', (x) => pow(abs(other), x)],
    ['add', (x) => add(x, other)],
    ['sub', (x) => sub(other, x)],
    ['mul self', (x) => mul(x, x)],
    ['div', (x) => div(x, 1.5)],
    ['maximum', (x) => maximum(x, other)],
    ['minimum', (x) => minimum(other, x)],
    ['lt', (x) => lt(x, other)],
    ['eq self', (x) => eq(x, x)],
    ['where', (x) => where(gt(x, 0), x, other)],
    ['maskedFill', (x) => maskedFill(x, gt(x, 0.5), 9)],
    ['clamp', (x) => clamp(x, -0.5, 0.5)],
    ['sum', (x) => sum(x, 0)],
    ['sum all', (x) => sum(x)],
    ['mean', (x) => mean(x, -1, true)],
    ['max', (x) => max(x, 1)],
    ['min', (x) => min(x)],
    ['var', (x) => variance(x, 0)],
    ['logsumexp', (x) => logsumexp(x, 1)],
    ['argmax', (x) => argmax(x, 1)],
    ['argmin', (x) => argmin(x, 0)],
    ['softmax', (x) => softmax(x, 0)],
    ['logSoftmax', (x) => logSoftmax(x, -1)],
    ['layerNorm', (x) => layerNorm(x, null, null)],
    ['rmsNorm', (x) => rmsNorm(x, null)],
    ['matmul a', (x) => matmul(x, other.T)],
    ['matmul b', (x) => matmul(other.T, x)],
    ['linear x', (x) => linear(x, other)],
    ['linear w', (x) => linear(other, x)],
    ['crossEntropy', (x) => crossEntropy(x, ids)],
    ['indexSelect', (x) => indexSelect(x, 1, ids)],
    ['gather', (x) => gather(x, 0, tensor([0, 2, 1, 1, 2, 2, 0, 1], { shape: [2, 4], dtype: 'int32', backend: ref }))],
    ['embedding', (x) => embedding(x, ids)],
    ['cat', (x) => cat([x, other, x], 1)],
    ['stack', (x) => stack([x, x], 2)],
    ['split', (x) => split(x, 3, 1)],
    ['reshape', (x) => reshape(x, [2, 6])],
    ['flatten', (x) => flatten(x)],
    ['cast', (x) => cast(x, 'float32')],
    ['dropout', (x) => dropout(x, 0.5, new Generator(3))],
    [
      'attention',
      (x) =>
        scaledDotProductAttention(x.reshape(1, 1, 3, 4), other.reshape(1, 1, 3, 4), x.reshape(1, 1, 3, 4), {
          causal: true,
        }),
    ],
  ];
  for (const [viewName, make] of views) {
    it(`${viewName}: every op equals the op on a contiguous copy`, () => {
      const x = make();
      assert.deepEqual(x.shape, [3, 4]);
      const copy = clone(x);
      for (const [name, op] of ops) {
        const a = [op(x)].flat();
        const b = [op(copy)].flat();
        assert.equal(a.length, b.length);
        a.forEach((t, i) => {
          assert.deepEqual(t.shape, b[i]!.shape, `${name} shape`);
          assert.equal(t.dtype, b[i]!.dtype, `${name} dtype`);
          assert.deepEqual(t.toArray(), b[i]!.toArray(), `${name} on a ${viewName} input`);
        });
      }
    });
  }
});

describe('negative axes', () => {
  const x = arange(0, 24, 1, { dtype: 'float32' }).reshape(2, 3, 4);
  it('mean the same as their positive counterparts', () => {
    assert.deepEqual(sum(x, -1).toArray(), sum(x, 2).toArray());
    assert.deepEqual(sum(x, [-1, -3]).toArray(), sum(x, [0, 2]).toArray());
    assert.deepEqual(softmax(x, -2).toArray(), softmax(x, 1).toArray());
    assert.deepEqual(x.transpose(-1, -3).shape, [4, 3, 2]);
    assert.deepEqual(x.permute(-1, 0, -2).shape, [4, 2, 3]);
    assert.deepEqual(x.select(-1, -1).toArray(), x.select(2, 3).toArray());
    assert.deepEqual(x.unsqueeze(-1).shape, [2, 3, 4, 1]);
    assert.deepEqual(x.unsqueeze(-4).shape, [1, 2, 3, 4]);
    assert.deepEqual(x.squeeze(-1).shape, [2, 3, 4]);
    assert.deepEqual(x.flatten(-2, -1).shape, [2, 12]);
    assert.deepEqual(cat([x, x], -1).shape, [2, 3, 8]);
    assert.deepEqual(stack([x, x], -1).shape, [2, 3, 4, 2]);
    assert.deepEqual(x.slice(-1, -2).toArray(), x.slice(2, 2, 4).toArray());
    assert.deepEqual(argmax(x, -1).toArray(), argmax(x, 2).toArray());
    assert.equal(x.dim(-1), 4);
    assert.deepEqual(
      split(x, 2, -1).map((t) => t.shape),
      [
        [2, 3, 2],
        [2, 3, 2],
      ],
    );
  });
  it('out of range axes raise ArgumentError', () => {
    assert.throws(() => sum(x, 3), {
      code: 'INVALID_ARGUMENT',
      message: /sum: axis 3 is out of range for a tensor with 3 dimensions/,
    });
    assert.throws(() => sum(x, -4), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => softmax(x, 5), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => sum(x, [1, -2]), { code: 'INVALID_ARGUMENT', message: /repeated axis/ });
  });
});

describe('0-d and size-0 tensors', () => {
  it('0-d tensors', () => {
    const s = scalar(3);
    assert.deepEqual(s.shape, []);
    assert.equal(s.ndim, 0);
    assert.equal(s.size, 1);
    assert.equal(s.item(), 3);
    assert.deepEqual(s.tolist(), 3);
    assert.deepEqual(add(s, tensor([1, 2])).toArray(), [4, 5]);
    assert.deepEqual(sum(s).shape, []);
    assert.equal(sum(tensor([1, 2, 3])).ndim, 0);
    assert.equal(softmax(s).item(), 1);
    assert.equal(s.reshape(1, 1).item(), 3);
    assert.deepEqual(s.flatten().shape, [1]);
    assert.deepEqual(s.unsqueeze(0).shape, [1]);
    assert.equal(mul(s, s).item(), 9);
    assert.equal(max(s).item(), 3);
    const g = scalar(2, { requiresGrad: true });
    mul(g, g).backward();
    assert.equal(g.grad!.item(), 4);
  });
  it('size-0 tensors', () => {
    const e = zeros([0, 3]);
    assert.equal(e.size, 0);
    assert.deepEqual(e.toArray(), []);
    assert.deepEqual(e.tolist(), []);
    assert.equal(sum(e).item(), 0);
    assert.deepEqual(sum(e, 0).toArray(), [0, 0, 0]);
    assert.deepEqual(sum(e, 1).shape, [0]);
    assert.ok(Number.isNaN(mean(e).item()));
    assert.deepEqual(max(e, 1).shape, [0]);
    assert.throws(() => max(e, 0), { code: 'INVALID_ARGUMENT', message: /empty dimension/ });
    assert.throws(() => argmax(e, 0), { code: 'INVALID_ARGUMENT' });
    assert.deepEqual(matmul(zeros([2, 0]), zeros([0, 3])).tolist(), [
      [0, 0, 0],
      [0, 0, 0],
    ]);
    assert.deepEqual(matmul(zeros([0, 4]), zeros([4, 2])).shape, [0, 2]);
    assert.deepEqual(cat([e, ones([2, 3])], 0).shape, [2, 3]);
    assert.deepEqual(e.reshape(3, 0).shape, [3, 0]);
    assert.deepEqual(add(e, ones([3])).shape, [0, 3]);
    assert.deepEqual(exp(e).shape, [0, 3]);
    assert.deepEqual(softmax(e, -1).shape, [0, 3]);
    assert.deepEqual(layerNorm(e, null, null).shape, [0, 3]);
    assert.deepEqual(arange(0).shape, [0]);
    assert.deepEqual(tensor([]).shape, [0]);
    assert.deepEqual(zeros([2, 0]).slice(1, 0, 5).shape, [2, 0]);
    assert.deepEqual(ones([4]).slice(0, 3, 1).shape, [0]); // end before start: empty, as Python
    assert.ok(Number.isNaN(crossEntropy(zeros([0, 5]), tensor([], { dtype: 'int32' })).item()));
    const x = zeros([0, 2], { requiresGrad: true });
    sum(mul(x, 2)).backward();
    assert.deepEqual(x.grad!.shape, [0, 2]);
  });
});

describe('dtypes', () => {
  it('creation infers float32, bool and typed-array dtypes; int32 only when asked', () => {
    assert.equal(tensor([1, 2]).dtype, 'float32');
    assert.equal(tensor([true, false]).dtype, 'bool');
    assert.equal(tensor(new Int32Array([1])).dtype, 'int32');
    assert.equal(tensor(new Float64Array([1])).dtype, 'float64');
    assert.equal(tensor([1.7, -1.7], { dtype: 'int32' }).toArray().join(), '1,-1');
    assert.equal(arange(5).dtype, 'int32');
    assert.equal(arange(0, 1, 0.25).dtype, 'float32');
    assert.deepEqual(arange(0, 1, 0.25).toArray(), [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(eye(2).toArray(), [1, 0, 0, 1]);
    assert.deepEqual(full([2], 7, { dtype: 'int32' }).toArray(), [7, 7]);
  });
  it('binary ops promote int32 < float32 < float64, bool -> int32', () => {
    assert.equal(promoteTypes('int32', 'float32'), 'float32');
    assert.equal(promoteTypes('float32', 'float64'), 'float64');
    assert.equal(promoteTypes('bool', 'int32'), 'int32');
    assert.equal(promoteTypes('bool', 'float64'), 'float64');
    const i = tensor([1, 2], { dtype: 'int32' });
    const f = tensor([0.5, 0.25]);
    const d = tensor([1, 1], { dtype: 'float64' });
    const b = tensor([true, false]);
    assert.equal(add(i, i).dtype, 'int32');
    assert.equal(add(i, f).dtype, 'float32');
    assert.deepEqual(add(i, f).toArray(), [1.5, 2.25]);
    assert.equal(add(f, d).dtype, 'float64');
    assert.equal(add(b, b).dtype, 'int32');
    assert.deepEqual(add(b, i).toArray(), [2, 2]);
    assert.equal(mul(i, 3).dtype, 'int32');
    assert.deepEqual(mul(i, 3).toArray(), [3, 6]);
    // a fractional scalar with an int tensor promotes to float32 (torch's rule for Python scalars)
    assert.equal(mul(i, 0.5).dtype, 'float32');
    assert.deepEqual(mul(i, 0.5).toArray(), [0.5, 1]);
    assert.deepEqual(add(i, 0.5).toArray(), [1.5, 2.5]);
    assert.equal(where(b, i, f).dtype, 'float32');
    assert.deepEqual(where(b, i, f).toArray(), [1, 0.25]);
    assert.equal(sum(b).dtype, 'int32');
    assert.equal(sum(tensor([true, true, false, true])).item(), 3);
  });
  it('int division is true division (float32), as torch', () => {
    const a = tensor([7, -7, 1], { dtype: 'int32' });
    const q = div(a, tensor([2, 2, 3], { dtype: 'int32' }));
    assert.equal(q.dtype, 'float32');
    assert.deepEqual(q.toArray(), [3.5, -3.5, Math.fround(1 / 3)]);
    assert.deepEqual(div(a, 2).toArray(), [3.5, -3.5, 0.5]);
    assert.equal(pow(a, 2).dtype, 'float32');
  });
  it('comparisons return bool, also across dtypes and with fractional scalars', () => {
    const i = tensor([0, 1, 2], { dtype: 'int32' });
    for (const [op, expected] of [
      [lt, [1, 0, 0]],
      [le, [1, 0, 0]],
      [gt, [0, 1, 1]],
      [ge, [0, 1, 1]],
      [eq, [0, 0, 0]],
      [ne, [1, 1, 1]],
    ] as const) {
      const r = op(i, 0.5);
      assert.equal(r.dtype, 'bool');
      assert.deepEqual(r.toArray(), expected);
    }
    assert.deepEqual(eq(i, tensor([0, 5, 2])).toArray(), [1, 0, 1]);
    assert.deepEqual(lt(tensor([NaN, 1]), tensor([1, NaN])).toArray(), [0, 0]);
    assert.deepEqual(ne(tensor([NaN]), tensor([NaN])).toArray(), [1]);
    assert.deepEqual(gt(2, tensor([1, 3])).toArray(), [1, 0]);
  });
  it('casts truncate toward zero to int32 and test non-zero to bool', () => {
    const x = tensor([-1.7, -0.2, 0, 0.9, 2.5]);
    assert.deepEqual(cast(x, 'int32').toArray(), [-1, 0, 0, 0, 2]);
    assert.deepEqual(cast(x, 'bool').toArray(), [1, 1, 0, 1, 1]);
    assert.deepEqual(cast(tensor([true, false]), 'float32').toArray(), [1, 0]);
    assert.equal(cast(x, 'float32'), x);
    assert.equal(cast(x, 'float64').toArray()[0], Math.fround(-1.7));
  });
  it('float32 results round to float32', () => {
    assert.equal(add(tensor([0.1]), tensor([0.2])).item(), Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });
});

describe('reading values and printing', () => {
  it('item, toArray, tolist, toTypedArray follow the logical (row-major) order of views', () => {
    const x = arange(0, 6, 1, { dtype: 'float32' }).reshape(2, 3);
    assert.deepEqual(x.T.toArray(), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(x.T.tolist(), [
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    assert.deepEqual(x.slice(1, 1).tolist(), [
      [1, 2],
      [4, 5],
    ]);
    const typed = x.T.toTypedArray();
    assert.ok(typed instanceof Float32Array);
    assert.equal(typed.length, 6);
    typed[0] = 99; // a copy
    assert.equal(x.toArray()[0], 0);
    assert.equal(x.select(0, 1).select(0, 2).item(), 5);
    assert.equal(tensor([[4]]).item(), 4);
    assert.throws(() => x.item(), {
      code: 'SHAPE_MISMATCH',
      message: /item: needs a tensor with exactly one element, got 6/,
    });
    assert.deepEqual(tensor([true, false]).tolist(), [1, 0]);
  });
  it('prints like torch, with dtype, truncation and autograd state', () => {
    assert.equal(tensor([1, 2.5]).toString(), 'tensor([1.0, 2.5000], dtype=float32)');
    assert.equal(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      ).toString(),
      'tensor([[1, 2],\n        [3, 4]], dtype=int32)',
    );
    assert.equal(scalar(0.125).toString(), 'tensor(0.1250, dtype=float32)');
    assert.equal(tensor([1e-7, 3e8]).toString(), 'tensor([1.0000e-7, 3.0000e+8], dtype=float32)');
    const big = arange(0, 100, 1, { dtype: 'float32' });
    assert.equal(big.toString(), 'tensor([0.0, 1.0, 2.0, ..., 97.0, 98.0, 99.0], dtype=float32)');
    const p = tensor([1], { requiresGrad: true });
    assert.equal(p.toString(), 'tensor([1.0], dtype=float32, requires_grad=true)');
    assert.match(mul(p, p).toString(), /grad_fn=mul/);
    assert.match(noGrad(() => mul(p, p)).toString(), /^tensor\(\[1\.0\], dtype=float32\)$/);
    assert.equal(String(tensor([NaN, -Infinity])), 'tensor([NaN, -Infinity], dtype=float32)');
    const released = tidy(() => {
      const inner = ones([2]);
      return { s: '', inner };
    }).inner;
    assert.match(released.toString(), /tensor\(\[1\.0, 1\.0\]/);
    let leaked: Tensor | null = null;
    tidy(() => {
      leaked = ones([2, 3]);
    });
    assert.equal(String(leaked), 'Tensor(<released>, shape=[2, 3], dtype=float32)');
  });
});

describe('in-place ops', () => {
  it('read an overlapping source as it was before the write (shifts through views)', () => {
    const x = tensor([1, 2, 3, 4, 5]);
    x.slice(0, 1).copy_(x.slice(0, 0, 4)); // x[1:] = x[:-1]
    assert.deepEqual(x.toArray(), [1, 1, 2, 3, 4]);
    const y = tensor([1, 2, 3, 4, 5]);
    y.slice(0, 0, 4).copy_(y.slice(0, 1)); // y[:-1] = y[1:]
    assert.deepEqual(y.toArray(), [2, 3, 4, 5, 5]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    m.add_(m.T); // symmetric part
    assert.deepEqual(m.toArray(), [2, 5, 5, 8]);
    const s = tensor([
      [1, 2],
      [3, 4],
    ]);
    s.mul_(s.select(0, 1)); // rows times the second row, read before it changes
    assert.deepEqual(s.toArray(), [3, 8, 9, 16]);
    const same = tensor([1, 2, 3]);
    same.mul_(same);
    assert.deepEqual(same.toArray(), [1, 4, 9]);
  });
  it('refuse an expanded destination (several elements share memory) but fill it', () => {
    const x = tensor([1]);
    assert.throws(() => x.expand(3).add_(1), {
      code: 'INVALID_ARGUMENT',
      message: /^add_: the destination is an expanded view/,
    });
    assert.throws(() => x.expand(3).copy_(tensor([1, 2, 3])), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => x.expand(3).mul_(2), { code: 'INVALID_ARGUMENT' });
    x.expand(3).fill_(7);
    assert.deepEqual(x.toArray(), [7]);
  });
  it('add_ with alpha, broadcasting sources, non-contiguous destinations', () => {
    const x = zeros([2, 3]);
    x.add_(tensor([1, 2, 3]), 2);
    assert.deepEqual(x.toArray(), [2, 4, 6, 2, 4, 6]);
    x.T.mul_(tensor([[1, 10]]));
    assert.deepEqual(x.toArray(), [2, 4, 6, 20, 40, 60]);
    x.slice(1, 0, 3, 2).add_(-1);
    assert.deepEqual(x.toArray(), [1, 4, 5, 19, 40, 59]);
    assert.throws(() => x.add_(zeros([3, 3])), { code: 'SHAPE_MISMATCH', message: /^add_: / });
    assert.throws(() => x.add_(zeros([2, 1, 3])), {
      code: 'SHAPE_MISMATCH',
      message: /^add_: the source must broadcast to the destination shape/,
    });
  });
});

describe('misc op semantics', () => {
  it('clamp with min above max gives max everywhere (torch)', () => {
    assert.deepEqual(clamp(tensor([0, 5, 10]), 6, 4).toArray(), [4, 4, 4]);
    assert.ok(Number.isNaN(clamp(tensor([NaN]), 0, 1).item()));
  });
  it('max/min propagate NaN; maximum picks NaN; argmax returns the first maximum', () => {
    assert.ok(Number.isNaN(max(tensor([1, NaN, 3])).item()));
    assert.ok(Number.isNaN(maximum(tensor([1]), tensor([NaN])).item()));
    assert.ok(Number.isNaN(maximum(tensor([NaN]), tensor([1])).item()));
    assert.deepEqual(
      argmax(
        tensor([
          [1, 3, 3],
          [2, 2, 0],
        ]),
        1,
      ).toArray(),
      [1, 0],
    );
    assert.deepEqual(argmin(tensor([[1, 3, 1]]), 1, true).shape, [1, 1]);
  });
  it('softmax of a row of -inf is NaN; logsumexp of it is -inf; large logits stay finite', () => {
    assert.ok(
      softmax(tensor([-Infinity, -Infinity]), 0)
        .toArray()
        .every(Number.isNaN),
    );
    assert.equal(logsumexp(tensor([-Infinity, -Infinity]), 0).item(), -Infinity);
    assert.deepEqual(softmax(tensor([1000, 1000]), 0).toArray(), [0.5, 0.5]);
    assert.equal(logsumexp(tensor([Infinity, 1]), 0).item(), Infinity);
  });
  it('split/chunk sizes follow torch', () => {
    const x = zeros([7, 2]);
    assert.deepEqual(
      split(x, 3).map((t) => t.shape[0]),
      [3, 3, 1],
    );
    assert.deepEqual(
      chunk(x, 3).map((t) => t.shape[0]),
      [3, 3, 1],
    );
    assert.deepEqual(
      chunk(zeros([6]), 4).map((t) => t.shape[0]),
      [2, 2, 2],
    );
    assert.deepEqual(
      split(x, [2, 5]).map((t) => t.shape[0]),
      [2, 5],
    );
  });
  it('slice clamps its bounds like Python', () => {
    const x = arange(5);
    assert.deepEqual(x.slice(0, -100, 100).toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(x.slice(0, 1, -1).toArray(), [1, 2, 3]);
    assert.deepEqual(x.slice(0, 4, 2).toArray(), []);
    assert.deepEqual(x.slice(0, 0, undefined, 3).toArray(), [0, 3]);
  });
  it('variance uses Bessel correction by default and biased with correction 0', () => {
    const x = tensor([1, 2, 3, 4]);
    assert.ok(Math.abs(variance(x).item() - 5 / 3) < 2e-7);
    assert.equal(variance(x, undefined, false, 0).item(), 1.25);
  });
  it('unsqueeze/squeeze/view keep values', () => {
    const x = arange(0, 6, 1, { dtype: 'float32' });
    assert.deepEqual(view(x, [2, 3]).tolist(), [
      [0, 1, 2],
      [3, 4, 5],
    ]);
    assert.deepEqual(unsqueeze(x, 0).squeeze().toArray(), x.toArray());
    assert.deepEqual(squeeze(zeros([2, 1]), 0).shape, [2, 1]); // not size 1: unchanged, as torch
    assert.deepEqual(permute(reshape(x, [1, 2, 3]), [2, 0, 1]).tolist(), [[[0, 3]], [[1, 4]], [[2, 5]]]);
    assert.deepEqual(transpose(x).shape, [6]);
    assert.deepEqual(expand(scalar(1), [2, 2]).toArray(), [1, 1, 1, 1]);
    assert.deepEqual(select(x, 0, -1).item(), 5);
    assert.deepEqual(flatten(zeros([2, 3, 4]), 1).shape, [2, 12]);
  });
});
