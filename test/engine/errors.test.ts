/**
 * Invalid calls raise typed errors (src/core/errors.ts) with a stable `code` and a message that
 * names the op and the shapes or dtypes involved.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { composeBackend } from '../../src/backends/compose.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import {
  add,
  arange,
  cat,
  crossEntropy,
  dropout,
  embedding,
  exp,
  gather,
  Generator,
  indexSelect,
  layerNorm,
  linear,
  maskedFill,
  matmul,
  mean,
  mul,
  narrow,
  noGrad,
  ones,
  permute,
  randn,
  reshape,
  rmsNorm,
  scaledDotProductAttention,
  select,
  slice,
  softmax,
  split,
  stack,
  sum,
  tensor,
  tidy,
  view,
  where,
  zeros,
} from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import type { ErrorCode } from '../../src/core/errors.ts';
import {
  ArgumentError,
  AutogradError,
  BackendError,
  DisposedError,
  DTypeError,
  LlmtsError,
  ShapeError,
} from '../../src/core/errors.ts';

/** Asserts fn throws an instance of cls with `code` whose message matches every pattern. */
function throwsTyped(
  fn: () => unknown,
  cls: new (...args: never[]) => LlmtsError,
  code: ErrorCode,
  ...patterns: RegExp[]
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(
      e instanceof cls,
      `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    assert.equal(e.code, code);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('shape errors name the op and the shapes', () => {
  it('binary broadcasting', () => {
    throwsTyped(() => mul(zeros([2, 3]), zeros([4])), ShapeError, 'SHAPE_MISMATCH', /^mul:/, /\[2, 3\], \[4\]/);
  });
  it('matmul inner dimensions', () => {
    throwsTyped(
      () => matmul(zeros([3, 4]), zeros([5, 2])),
      ShapeError,
      'SHAPE_MISMATCH',
      /^matmul: inner dimensions differ \(4 vs 5\)/,
      /\[3, 4\], \[5, 2\]/,
    );
    throwsTyped(
      () => matmul(zeros([2, 3, 4]), zeros([3, 4, 5])),
      ShapeError,
      'SHAPE_MISMATCH',
      /^matmul:/,
      /\[2\], \[3\]/,
    );
    throwsTyped(() => matmul(zeros([4]), zeros([3])), ShapeError, 'SHAPE_MISMATCH', /^matmul:/);
    throwsTyped(() => matmul(tensor(1), zeros([3])), ShapeError, 'SHAPE_MISMATCH', /at least one dimension/);
  });
  it('linear', () => {
    throwsTyped(
      () => linear(zeros([3, 4]), zeros([5, 3])),
      ShapeError,
      'SHAPE_MISMATCH',
      /^linear: input's last dimension must be 3/,
      /\[3, 4\], \[5, 3\]/,
    );
    throwsTyped(
      () => linear(zeros([3, 4]), zeros([5, 4]), zeros([4])),
      ShapeError,
      'SHAPE_MISMATCH',
      /bias must be \[5\]/,
    );
    throwsTyped(() => linear(zeros([3, 4]), zeros([4])), ShapeError, 'SHAPE_MISMATCH', /weight must be 2-D/);
  });
  it('cat and stack', () => {
    throwsTyped(
      () => cat([zeros([2, 3]), zeros([2, 4])], 0),
      ShapeError,
      'SHAPE_MISMATCH',
      /^cat: all tensors must match except along axis 0/,
      /\[2, 3\], \[2, 4\]/,
    );
    throwsTyped(() => cat([zeros([2, 3]), zeros([3])], 0), ShapeError, 'SHAPE_MISMATCH', /^cat:/);
    throwsTyped(
      () => stack([zeros([2]), zeros([3])]),
      ShapeError,
      'SHAPE_MISMATCH',
      /^stack: all tensors must have the same shape/,
    );
    throwsTyped(() => cat([]), ArgumentError, 'INVALID_ARGUMENT', /^cat: needs at least one tensor/);
    throwsTyped(
      () => cat([tensor(1), tensor(2)]),
      ShapeError,
      'SHAPE_MISMATCH',
      /^cat: 0-d tensors cannot be concatenated/,
    );
    assert.deepEqual(stack([tensor(1), tensor(2)]).toArray(), [1, 2]);
  });
  it('view of incompatible strides, reshape of the wrong size, permute', () => {
    throwsTyped(
      () => view(zeros([4, 6]).permute(1, 0), [24]),
      ShapeError,
      'SHAPE_MISMATCH',
      /^view: .*use reshape\(\)/,
      /\[6, 4\], \[24\]/,
    );
    throwsTyped(
      () => reshape(zeros([4, 6]), [5, 5]),
      ShapeError,
      'SHAPE_MISMATCH',
      /^reshape: shape \[5, 5\] is invalid for 24 elements/,
    );
    throwsTyped(() => reshape(zeros([4, 6]), [-1, 5]), ShapeError, 'SHAPE_MISMATCH', /cannot infer the -1 dimension/);
    throwsTyped(() => reshape(zeros([4, 6]), [-1, -1]), ShapeError, 'SHAPE_MISMATCH', /only one dimension can be -1/);
    throwsTyped(() => permute(zeros([2, 3]), [0]), ShapeError, 'SHAPE_MISMATCH', /^permute: needs 2 axes/);
    throwsTyped(() => permute(zeros([2, 3]), [0, 0]), ArgumentError, 'INVALID_ARGUMENT', /repeated axis/);
    throwsTyped(
      () => split(zeros([5]), [2, 2]),
      ShapeError,
      'SHAPE_MISMATCH',
      /^split: sections \[2, 2\] do not add up to dimension 0 of size 5/,
    );
  });
  it('norms, cross-entropy, gather, attention', () => {
    throwsTyped(
      () => layerNorm(zeros([2, 4]), zeros([3]), null),
      ShapeError,
      'SHAPE_MISMATCH',
      /^layerNorm: weight must have shape \[4\]/,
    );
    throwsTyped(() => rmsNorm(zeros([2, 4]), zeros([4, 1])), ShapeError, 'SHAPE_MISMATCH', /^rmsNorm:/);
    throwsTyped(
      () => crossEntropy(zeros([3, 5]), tensor([1, 2], { dtype: 'int32' })),
      ShapeError,
      'SHAPE_MISMATCH',
      /^crossEntropy: targets must have the shape of logits/,
      /\[3, 5\], \[2\]/,
    );
    throwsTyped(
      () => gather(zeros([3, 4]), 1, tensor([[0]], { dtype: 'int32' })),
      ShapeError,
      'SHAPE_MISMATCH',
      /^gather: index dimension 0 must equal/,
    );
    throwsTyped(
      () => indexSelect(zeros([3, 4]), 0, tensor([[0]], { dtype: 'int32' })),
      ShapeError,
      'SHAPE_MISMATCH',
      /^indexSelect: index must be 1-D/,
    );
    const q = zeros([1, 3, 2, 4]);
    throwsTyped(
      () => scaledDotProductAttention(q, zeros([1, 2, 2, 4]), zeros([1, 2, 2, 4])),
      ShapeError,
      'SHAPE_MISMATCH',
      /query heads \(3\) must be a multiple of key\/value heads \(2\)/,
    );
    throwsTyped(
      () => scaledDotProductAttention(q, zeros([1, 3, 2, 5]), zeros([1, 3, 2, 5])),
      ShapeError,
      'SHAPE_MISMATCH',
      /^attention: k and v must be/,
    );
    throwsTyped(
      () => scaledDotProductAttention(zeros([3, 2, 4]), zeros([3, 2, 4]), zeros([3, 2, 4])),
      ShapeError,
      'SHAPE_MISMATCH',
      /4-D/,
    );
    throwsTyped(
      () => scaledDotProductAttention(q, q, q, { mask: zeros([3, 2]) }),
      ShapeError,
      'SHAPE_MISMATCH',
      /^attention:/,
      /\[3, 2\]/,
    );
    throwsTyped(
      () => scaledDotProductAttention(q, zeros([1, 3, 1, 4]), zeros([1, 3, 1, 4]), { mask: zeros([3]) }),
      ShapeError,
      'SHAPE_MISMATCH',
      /mask must broadcast to \[B, H, T, S\] = \[1, 3, 2, 1\]/,
    );
    throwsTyped(
      () => scaledDotProductAttention(zeros([1, 1, 3, 2]), zeros([1, 1, 2, 2]), zeros([1, 1, 2, 2]), { causal: true }),
      ArgumentError,
      'INVALID_ARGUMENT',
      /causal attention needs at least as many keys \(2\) as queries \(3\)/,
    );
  });
  it('ragged or mis-sized data', () => {
    throwsTyped(() => tensor([[1, 2], [3]]), ShapeError, 'SHAPE_MISMATCH', /^tensor: ragged nested array/);
    throwsTyped(
      () => tensor([1, 2, 3], { shape: [2, 2] }),
      ShapeError,
      'SHAPE_MISMATCH',
      /3 values do not fill shape \[2, 2\]/,
    );
    throwsTyped(() => zeros([2, -1]), ShapeError, 'SHAPE_MISMATCH', /invalid dimension -1/);
  });
});

describe('dtype errors', () => {
  const ints = tensor([1, 2], { dtype: 'int32' });
  it('float ops on int32 tensors', () => {
    throwsTyped(
      () => exp(ints),
      DTypeError,
      'DTYPE_MISMATCH',
      /^exp: expects floating-point tensors \(dtypes: int32\)/,
    );
    throwsTyped(() => softmax(ints), DTypeError, 'DTYPE_MISMATCH', /^softmax:/);
    throwsTyped(() => matmul(ints, ints), DTypeError, 'DTYPE_MISMATCH', /^matmul:/);
    throwsTyped(() => layerNorm(ints, null, null), DTypeError, 'DTYPE_MISMATCH', /^layerNorm:/);
    throwsTyped(() => dropout(ints, 0.5, new Generator(1)), DTypeError, 'DTYPE_MISMATCH', /^dropout:/);
    assert.throws(() => mean(ints), {
      code: 'INVALID_ARGUMENT',
      message: /mean: needs a floating-point tensor, got int32/,
    });
  });
  it('mixed float dtypes where one dtype is required', () => {
    const f = zeros([2, 2]);
    const d = zeros([2, 2], { dtype: 'float64' });
    throwsTyped(
      () => matmul(f, d),
      DTypeError,
      'DTYPE_MISMATCH',
      /^matmul: expects tensors of one dtype \(dtypes: float32, float64\)/,
    );
    throwsTyped(() => linear(f, d), DTypeError, 'DTYPE_MISMATCH', /^linear:/);
    throwsTyped(() => cat([f, d]), DTypeError, 'DTYPE_MISMATCH', /^cat: .*float32, float64/);
    throwsTyped(
      () => layerNorm(f, zeros([2], { dtype: 'float64' }), null),
      DTypeError,
      'DTYPE_MISMATCH',
      /^layerNorm: weight dtype float64/,
    );
    throwsTyped(
      () =>
        scaledDotProductAttention(zeros([1, 1, 2, 2]), zeros([1, 1, 2, 2], { dtype: 'float64' }), zeros([1, 1, 2, 2])),
      DTypeError,
      'DTYPE_MISMATCH',
      /^attention:/,
    );
    throwsTyped(
      () =>
        scaledDotProductAttention(zeros([1, 1, 2, 2]), zeros([1, 1, 2, 2]), zeros([1, 1, 2, 2]), {
          mask: zeros([2, 2], { dtype: 'float64' }),
        }),
      DTypeError,
      'DTYPE_MISMATCH',
      /float mask must have the dtype of q/,
    );
  });
  it('int32 targets and indices, bool conditions and masks', () => {
    throwsTyped(
      () => crossEntropy(zeros([2, 3]), tensor([0, 1])),
      DTypeError,
      'DTYPE_MISMATCH',
      /^crossEntropy: targets must be int32 class indices, got float32/,
    );
    throwsTyped(
      () => indexSelect(zeros([3]), 0, tensor([0])),
      DTypeError,
      'DTYPE_MISMATCH',
      /^indexSelect: indices must be int32, got float32/,
    );
    throwsTyped(() => embedding(zeros([3, 2]), tensor([0])), DTypeError, 'DTYPE_MISMATCH', /indices must be int32/);
    throwsTyped(() => gather(zeros([3]), 0, tensor([0])), DTypeError, 'DTYPE_MISMATCH', /^gather:/);
    throwsTyped(
      () => where(tensor([1, 0]), zeros([2]), 1),
      DTypeError,
      'DTYPE_MISMATCH',
      /^where: condition must be bool, got float32/,
    );
    throwsTyped(
      () => maskedFill(zeros([2]), ints, 0),
      DTypeError,
      'DTYPE_MISMATCH',
      /^maskedFill: mask must be bool, got int32/,
    );
  });
  it('only float tensors can require grad', () => {
    assert.throws(() => tensor([1], { dtype: 'int32', requiresGrad: true }), {
      code: 'INVALID_ARGUMENT',
      message: /only floating-point tensors can require gradients, not int32/,
    });
    throwsTyped(
      () => tensor([1], { dtype: 'int32' }).requiresGrad_(),
      AutogradError,
      'AUTOGRAD',
      /only floating-point tensors/,
    );
  });
});

describe('autograd errors', () => {
  it('backward on a non-scalar without a gradient names the shape', () => {
    const x = ones([2, 3], { requiresGrad: true });
    throwsTyped(
      () => mul(x, 2).backward(),
      AutogradError,
      'AUTOGRAD',
      /backward: the output has shape \[2, 3\]; backward\(\) without a gradient needs a single-element output/,
    );
  });
  it('backward with a gradient of the wrong shape', () => {
    const x = ones([2, 3], { requiresGrad: true });
    throwsTyped(
      () => mul(x, 2).backward(ones([3, 2])),
      ShapeError,
      'SHAPE_MISMATCH',
      /^backward: the gradient must have the shape of the output/,
      /\[3, 2\], \[2, 3\]/,
    );
  });
  it('backward through a graph that does not require grad', () => {
    throwsTyped(() => sum(ones([2])).backward(), AutogradError, 'AUTOGRAD', /does not require grad/);
    const x = ones([2], { requiresGrad: true });
    throwsTyped(() => noGrad(() => sum(mul(x, 3))).backward(), AutogradError, 'AUTOGRAD', /does not require grad/);
    throwsTyped(() => sum(mul(x.detach(), 3)).backward(), AutogradError, 'AUTOGRAD');
  });
  it('in-place ops on a leaf that requires grad (allowed under noGrad)', () => {
    const w = ones([3], { requiresGrad: true });
    throwsTyped(
      () => w.add_(1),
      AutogradError,
      'AUTOGRAD',
      /^add_: cannot modify a tensor that requires grad in place while grad mode is on/,
    );
    throwsTyped(() => w.mul_(2), AutogradError, 'AUTOGRAD', /^mul_:/);
    throwsTyped(() => w.fill_(0), AutogradError, 'AUTOGRAD', /^fill_:/);
    throwsTyped(() => w.copy_(zeros([3])), AutogradError, 'AUTOGRAD', /^copy_:/);
    throwsTyped(() => w.slice(0, 1).fill_(0), AutogradError, 'AUTOGRAD', /^fill_:/); // a view of it, too
    noGrad(() => w.add_(ones([3]), -0.5));
    assert.deepEqual(w.toArray(), [0.5, 0.5, 0.5]);
  });
  it('requiresGrad_ on a non-leaf', () => {
    const x = ones([2], { requiresGrad: true });
    throwsTyped(() => mul(x, 2).requiresGrad_(false), AutogradError, 'AUTOGRAD', /leaf/);
  });
});

describe('use after release (DisposedError)', () => {
  it('touching a tensor whose tidy() scope ended', () => {
    let inner: Tensor | null = null;
    tidy(() => {
      inner = add(ones([2]), 1);
      return null;
    });
    const t = inner as unknown as Tensor;
    throwsTyped(
      () => t.toArray(),
      DisposedError,
      'DISPOSED',
      /released - when its tidy\(\) scope ended \(keep\(\) it or return it from the scope/,
    );
    throwsTyped(() => add(t, 1), DisposedError, 'DISPOSED');
    throwsTyped(() => t.select(0, 1).item(), DisposedError, 'DISPOSED');
    throwsTyped(() => t.slice(0, 1).toArray(), DisposedError, 'DISPOSED'); // views of it too
  });
  it('backward after the scope released the graph intermediates', () => {
    const x = ones([2], { requiresGrad: true });
    const loss = tidy(() => sum(exp(mul(x, 2))));
    throwsTyped(() => loss.backward(), DisposedError, 'DISPOSED');
  });
});

describe('mixing backends', () => {
  // a second backend object: every kernel from the reference, but a distinct device
  const other = composeBackend({ name: 'other', threads: 1, alloc: (dtype, n) => referenceBackend.alloc(dtype, n) });
  const a = ones([2], { backend: referenceBackend });
  const b = ones([2], { backend: other });
  it('raises BackendError naming both backends', () => {
    throwsTyped(
      () => add(a, b),
      BackendError,
      'BACKEND',
      /^add: tensors live on different backends \(reference and other\)/,
    );
    throwsTyped(() => matmul(a.reshape(1, 2), b.reshape(2, 1)), BackendError, 'BACKEND', /^matmul:/);
    throwsTyped(() => cat([a, b]), BackendError, 'BACKEND', /^cat:/);
    throwsTyped(() => where(tensor([true, false], { backend: other }), a, 0), BackendError, 'BACKEND', /^where:/);
    throwsTyped(() => indexSelect(a, 0, tensor([0], { dtype: 'int32', backend: other })), BackendError, 'BACKEND');
    throwsTyped(() => noGrad(() => a.copy_(b)), BackendError, 'BACKEND', /^copy_:/);
  });
  it('ops on one non-reference backend work', () => {
    assert.deepEqual(add(b, b).toArray(), [2, 2]);
    assert.equal(add(b, b).backend, other);
  });
});

describe('out-of-range indices, targets and arguments', () => {
  it('index ops name the bad index and its position', () => {
    throwsTyped(
      () => indexSelect(zeros([5, 2]), 0, tensor([1, 5], { dtype: 'int32' })),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^indexSelect: index 5 at position 1 is out of range \[0, 5\)/,
    );
    throwsTyped(
      () => embedding(zeros([4, 2]), tensor([[0, -1]], { dtype: 'int32' })),
      ArgumentError,
      'INVALID_ARGUMENT',
      /index -1 at position 1 is out of range \[0, 4\)/,
    );
    throwsTyped(
      () =>
        gather(
          zeros([2, 3]),
          1,
          tensor(
            [
              [0, 3, 0],
              [0, 0, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^gather: index 3/,
    );
  });
  it('cross-entropy targets outside [0, C) that are not ignoreIndex', () => {
    throwsTyped(
      () => crossEntropy(zeros([2, 5]), tensor([0, 5], { dtype: 'int32' })),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^crossEntropy: target 5 at position 1 is outside \[0, 5\) and is not ignoreIndex -100/,
    );
    throwsTyped(
      () => crossEntropy(zeros([2, 5]), tensor([-1, 0], { dtype: 'int32' })),
      ArgumentError,
      'INVALID_ARGUMENT',
      /target -1 at position 0/,
    );
    assert.ok(
      Number.isFinite(crossEntropy(zeros([2, 5]), tensor([-1, 0], { dtype: 'int32' }), { ignoreIndex: -1 }).item()),
    );
  });
  it('select, narrow, slice, split, arange, dropout, label smoothing, random without a generator', () => {
    throwsTyped(
      () => select(zeros([3]), 0, 3),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^select: index 3 is out of range for dimension 0 of size 3/,
    );
    throwsTyped(() => narrow(zeros([3]), 0, 2, 2), ArgumentError, 'INVALID_ARGUMENT', /^narrow: range \[2, 4\)/);
    throwsTyped(
      () => slice(zeros([3]), 0, 0, 3, 0),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^slice: step must be a positive integer, got 0/,
    );
    throwsTyped(() => split(zeros([3]), 0), ArgumentError, 'INVALID_ARGUMENT', /^split:/);
    throwsTyped(() => arange(0, 5, 0), ArgumentError, 'INVALID_ARGUMENT', /^arange: step/);
    throwsTyped(
      () => dropout(zeros([2]), 1.5, new Generator(1)),
      ArgumentError,
      'INVALID_ARGUMENT',
      /^dropout: p must be in \[0, 1\], got 1.5/,
    );
    throwsTyped(
      () => crossEntropy(zeros([1, 2]), tensor([0], { dtype: 'int32' }), { labelSmoothing: 2 }),
      ArgumentError,
      'INVALID_ARGUMENT',
      /labelSmoothing must be in \[0, 1\]/,
    );
    throwsTyped(() => randn([2]), ArgumentError, 'INVALID_ARGUMENT', /pass options.generator/);
    throwsTyped(() => sum(zeros([2]), 1), ArgumentError, 'INVALID_ARGUMENT', /^sum: axis 1 is out of range/);
  });
  it('scalar-only binary calls', () => {
    throwsTyped(
      () => add(1 as unknown as Tensor, 2),
      ArgumentError,
      'INVALID_ARGUMENT',
      /needs at least one tensor operand/,
    );
  });
});
