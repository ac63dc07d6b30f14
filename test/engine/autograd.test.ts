/** Autograd behaviour: accumulation, retainGrad, noGrad, detach, shared subgraphs, deep chains, requiresGrad_ rules. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/engine/index.ts';
import {
  add,
  exp,
  isGradEnabled,
  matmul,
  mul,
  noGrad,
  ones,
  sin,
  sum,
  tensor,
  tidy,
  withGrad,
  zeros,
  linear,
} from '../../src/engine/index.ts';
import { attach } from '../../src/engine/autograd/node.ts';
import { AutogradError } from '../../src/core/errors.ts';
import { ref } from './helpers.ts';

const f64 = (values: number[], requiresGrad = true) => tensor(values, { dtype: 'float64', backend: ref, requiresGrad });

describe('autograd', () => {
  it('accumulates gradients across backward calls until zeroGrad', () => {
    const x = f64([1, 2, 3]);
    sum(mul(x, x)).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
    sum(mul(x, 3)).backward();
    assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
    // the same graph twice
    const loss = sum(mul(x, x));
    loss.backward();
    loss.backward();
    assert.deepEqual(x.grad!.toArray(), [9, 15, 21]);
    x.zeroGrad();
    assert.deepEqual(x.grad!.toArray(), [0, 0, 0]);
    x.grad = null;
    sum(x).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1, 1]);
    assert.equal(x.grad!.dtype, 'float64');
  });

  it('backward with an explicit gradient (vector-Jacobian product)', () => {
    const x = f64([1, 2]);
    const y = mul(x, x); // dy/dx = 2x
    y.backward(f64([10, 100], false));
    assert.deepEqual(x.grad!.toArray(), [20, 400]);
  });

  it('retainGrad keeps the gradient of a non-leaf; other non-leaves keep none', () => {
    const x = f64([1, -2]);
    const y = mul(x, 3).retainGrad();
    const z = mul(y, y);
    sum(z).backward();
    assert.deepEqual(y.grad!.toArray(), [6, -12]); // dz/dy = 2y
    assert.equal(z.grad, null);
    assert.deepEqual(x.grad!.toArray(), [18, -36]);
    assert.equal(y.isLeaf, false);
    assert.equal(x.isLeaf, true);
  });

  it('noGrad records no graph, nests with withGrad and restores the mode after a throw', () => {
    const x = f64([1, 2]);
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      const inner = withGrad(() => {
        assert.equal(isGradEnabled(), true);
        return mul(x, 2);
      });
      assert.equal(inner.requiresGrad, true);
      return exp(mul(x, x));
    });
    assert.equal(isGradEnabled(), true);
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.throws(
      () =>
        noGrad(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(isGradEnabled(), true);
    // an op on tensors that do not require grad records nothing either
    const c = mul(f64([1], false), 2);
    assert.equal(c.gradFn, null);
    assert.equal(c.requiresGrad, false);
  });

  it('detach stops gradients but shares data', () => {
    const x = f64([2, 3]);
    const z = mul(x, x.detach()); // only the first factor is differentiated
    sum(z).backward();
    assert.deepEqual(x.grad!.toArray(), [2, 3]);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.storage, x.storage);
  });

  it('a diamond graph sums both paths and runs the shared node once', () => {
    const x = f64([0.5, -1]);
    const y = exp(x); // used by two branches
    let calls = 0;
    const node = y.gradFn!;
    y.gradFn = { name: node.name, inputs: node.inputs, backward: (g) => (calls++, node.backward(g)) };
    const z = add(mul(y, y), sin(y));
    sum(z).backward();
    assert.equal(calls, 1, 'the shared node must receive one summed gradient');
    const xs = [0.5, -1];
    const expected = xs.map((v) => (2 * Math.exp(v) + Math.cos(Math.exp(v))) * Math.exp(v));
    x.grad!.toArray().forEach((g, i) => assert.ok(Math.abs(g - expected[i]!) < 1e-14));
  });

  it('the same tensor as both operands', () => {
    const x = f64([3]);
    sum(mul(x, x)).backward();
    assert.deepEqual(x.grad!.toArray(), [6]);
    const m = tensor([1, 2, 3, 4], { shape: [2, 2], dtype: 'float64', backend: ref, requiresGrad: true });
    sum(matmul(m, m)).backward();
    // d/dm sum(m m) = 1 mᵀ + mᵀ 1 (rows / column sums)
    assert.deepEqual(m.grad!.toArray(), [1 + 2 + 1 + 3, 3 + 4 + 1 + 3, 1 + 2 + 2 + 4, 3 + 4 + 2 + 4]);
  });

  it('a chain of 10,000 ops backpropagates without overflowing the stack', () => {
    const x = f64([1, 2]);
    let y: Tensor = x;
    for (let i = 0; i < 10_000; i++) y = i % 2 === 0 ? add(y, 0.001) : mul(y, 1);
    sum(y).backward();
    assert.deepEqual(x.grad!.toArray(), [1, 1]);
    assert.ok(Math.abs(y.toArray()[0]! - 6) < 1e-9);
  });

  it('requiresGrad_ rules', () => {
    const x = f64([1, 2], false);
    assert.equal(x.requiresGrad, false);
    x.requiresGrad_();
    assert.equal(mul(x, 2).requiresGrad, true);
    x.requiresGrad_(false);
    assert.equal(mul(x, 2).requiresGrad, false);
    assert.throws(() => tensor([1], { dtype: 'bool' }).requiresGrad_(), AutogradError);
    const y = mul(f64([1]), 2);
    assert.throws(() => y.requiresGrad_(), AutogradError);
    // an op mixing grad and non-grad inputs requires grad; only the grad input gets .grad
    const a = f64([1, 2]);
    const b = f64([3, 4], false);
    sum(mul(a, b)).backward();
    assert.deepEqual(a.grad!.toArray(), [3, 4]);
    assert.equal(b.grad, null);
  });

  it('only inputs that require grad get gradients (matmul, linear)', () => {
    const w = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: 'float64', backend: ref, requiresGrad: true });
    const x = tensor([1, 1, 2, 2], { shape: [2, 2], dtype: 'float64', backend: ref });
    sum(linear(x, w)).backward();
    assert.equal(x.grad, null);
    assert.deepEqual(w.grad!.toArray(), [3, 3, 3, 3, 3, 3]);
  });

  it('backward from an intermediate tensor', () => {
    const x = f64([1, 2]);
    const y = mul(x, 4);
    const z = sum(mul(y, y));
    void z;
    sum(y).backward();
    assert.deepEqual(x.grad!.toArray(), [4, 4]);
  });

  it('a backward rule returning the wrong shape is reported as a bug in that op', () => {
    const x = f64([1, 2]);
    const out = mul(x, 1).detach();
    attach(out, 'buggyOp', [x], () => [ones([3], { dtype: 'float64', backend: ref })]);
    assert.throws(
      () => sum(out).backward(),
      (e: unknown) =>
        e instanceof AutogradError &&
        /backward of buggyOp: gradient shape \[3\] does not match input shape \[2\]/.test(e.message),
    );
  });

  it('gradients survive the tidy() scope that computed them', () => {
    const w = zeros([3], { requiresGrad: true });
    tidy(() => {
      sum(mul(exp(w), 2)).backward();
    });
    assert.deepEqual(w.grad!.toArray(), [2, 2, 2]);
  });
});
