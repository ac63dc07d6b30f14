/**
 * Memory scopes and the array pool: a training-like loop in tidy() holds no scoped storage
 * after each step, stops allocating after the first step (pooled arrays are reused), keeps the
 * pool bounded, and computes bit-identical results to the same loop without tidy (so no kernel
 * depends on freshly zeroed outputs). Plus the survival rules of tidy/keep/untracked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tensor } from '../../src/engine/index.ts';
import {
  add,
  cat,
  crossEntropy,
  embedding,
  gelu,
  Generator,
  keep,
  layerNorm,
  linear,
  memoryStats,
  mul,
  noGrad,
  ones,
  randn,
  reshape,
  resetPools,
  scaledDotProductAttention,
  softmax,
  sum,
  tensor,
  tidy,
  transpose,
  untracked,
  zeros,
} from '../../src/engine/index.ts';
import { DisposedError } from '../../src/core/errors.ts';

const V = 7;
const C = 8;
const T = 5;

interface Model {
  params: Tensor[];
  wte: Tensor;
  w1: Tensor;
  b1: Tensor;
  lnW: Tensor;
  lnB: Tensor;
}

function makeModel(): Model {
  const g = new Generator(11);
  const p = (shape: number[], std = 0.3) => randn(shape, { generator: g, std, requiresGrad: true });
  const m = { wte: p([V, C]), w1: p([3 * C, C]), b1: p([3 * C], 0.1), lnW: p([C], 0.1), lnB: p([C], 0.1) };
  return { ...m, params: [m.wte, m.w1, m.b1, m.lnW, m.lnB] };
}

const idx = tensor([1, 3, 5, 0, 6, 2, 2, 4, 1, 0], { shape: [2, T], dtype: 'int32' });
const targets = tensor([3, 5, 0, 6, 2, 2, 4, 1, 0, 3], { shape: [2, T], dtype: 'int32' });

/** One step: embedding, layerNorm, fused QKV, causal attention, tied head, cross-entropy; SGD under noGrad. */
function step(m: Model, lr: number): number {
  const x = layerNorm(embedding(m.wte, idx), add(m.lnW, 1), m.lnB); // (2, T, C)
  const qkv = linear(x, m.w1, m.b1); // (2, T, 3C)
  const [q, k, v] = [0, 1, 2].map((i) => transpose(reshape(qkv.slice(2, i * C, (i + 1) * C), [2, T, 2, C / 2]), 1, 2));
  const y = reshape(transpose(scaledDotProductAttention(q!, k!, v!, { causal: true }), 1, 2), [2, T, C]);
  const h = gelu(add(x, y), 'tanh');
  const logits = linear(h, m.wte); // tied head
  const loss = add(crossEntropy(logits, targets, { labelSmoothing: 0.1 }), mul(sum(softmax(logits, -1)), 0));
  loss.backward();
  noGrad(() => {
    for (const p of m.params) {
      p.add_(p.grad!, -lr);
      p.zeroGrad();
    }
  });
  return loss.item();
}

describe('memory', () => {
  it('a training loop inside tidy: no scoped storage survives a step, allocation stops, the pool stays bounded', () => {
    resetPools(4 * 1024 ** 3);
    const m = makeModel();
    const base = memoryStats();
    assert.equal(base.liveScoped, 0);
    const losses: number[] = [];
    let afterWarmup = memoryStats();
    const steps = 1500;
    for (let s = 0; s < steps; s++) {
      losses.push(tidy(() => step(m, 0.05)));
      const st = memoryStats();
      assert.equal(st.liveScoped, 0, `step ${s}: ${st.liveScoped} scoped storages still alive`);
      if (s === 1) afterWarmup = st;
      if (s > 1) {
        assert.equal(st.allocations, afterWarmup.allocations, `step ${s}: the backend allocated new arrays`);
        assert.equal(st.pooledBytes, afterWarmup.pooledBytes, `step ${s}: the pool grew`);
      }
    }
    const end = memoryStats();
    // (weight gradients accumulate straight into .grad, so a step allocates ~46 intermediates here)
    assert.ok(end.reused > (steps - 2) * 30, `only ${end.reused} reuses`);
    assert.ok(end.pooledBytes < 256 * 1024, `pool holds ${end.pooledBytes} bytes`);
    assert.ok(losses[steps - 1]! < losses[0]! * 0.5, `loss ${losses[0]} -> ${losses[steps - 1]}`);

    // the same loop without tidy gives bit-identical losses and parameters
    const m2 = makeModel();
    for (let s = 0; s < steps; s++) assert.equal(step(m2, 0.05), losses[s], `step ${s} differs without tidy`);
    m.params.forEach((p, i) => assert.deepEqual(p.toArray(), m2.params[i]!.toArray()));
  });

  it('a bounded pool lets the garbage collector have what does not fit', () => {
    resetPools(1024);
    const m = makeModel();
    tidy(() => step(m, 0.01));
    const a = memoryStats();
    tidy(() => step(m, 0.01));
    const b = memoryStats();
    assert.ok(b.pooledBytes <= 1024);
    assert.ok(b.allocations > a.allocations, 'with a 1 KiB pool most arrays must be allocated afresh');
    resetPools(4 * 1024 ** 3);
  });

  it('tensors returned from tidy survive (also inside arrays, objects and maps); the rest are released', () => {
    let dropped: Tensor | null = null;
    const r = tidy(() => {
      const a = add(ones([2]), 1);
      const b = mul(a, 3);
      const c = add(b, 1);
      dropped = mul(c, 2);
      return { a, list: [b], map: new Map([['c', c]]), view: c.slice(0, 1), n: 1 };
    });
    assert.deepEqual(r.a.toArray(), [2, 2]);
    assert.deepEqual(r.list[0]!.toArray(), [6, 6]);
    assert.deepEqual(r.map.get('c')!.toArray(), [7, 7]);
    assert.deepEqual(r.view.toArray(), [7]);
    assert.throws(() => (dropped as unknown as Tensor).toArray(), DisposedError);
    assert.equal(memoryStats().liveScoped, 0);
  });

  it('keep() and untracked() exempt tensors from the scope; nested scopes hand results outwards', () => {
    let kept: Tensor | null = null;
    let made: Tensor | null = null;
    let innerResult: Tensor | null = null;
    tidy(() => {
      kept = keep(add(ones([2]), 4));
      made = untracked(() => zeros([3]));
      innerResult = tidy(() => mul(ones([2]), 9)); // moves to the outer scope...
      assert.deepEqual(innerResult.toArray(), [9, 9]);
      assert.equal(memoryStats().liveScoped > 0, true);
    });
    assert.deepEqual((kept as unknown as Tensor).toArray(), [5, 5]);
    assert.deepEqual((made as unknown as Tensor).toArray(), [0, 0, 0]);
    assert.throws(() => (innerResult as unknown as Tensor).toArray(), DisposedError); // ...which then released it
    assert.equal(memoryStats().liveScoped, 0);
  });

  it('a throwing scope releases what it allocated', () => {
    let t: Tensor | null = null;
    assert.throws(
      () =>
        tidy(() => {
          t = ones([4]);
          throw new Error('fail inside');
        }),
      /fail inside/,
    );
    assert.equal(memoryStats().liveScoped, 0);
    assert.throws(() => (t as unknown as Tensor).toArray(), DisposedError);
  });

  it('an async fn is refused with a typed error and leaks no scoped storage', async () => {
    let early: Tensor | null = null;
    const promise = (async () => 0)();
    assert.throws(
      () =>
        tidy(() => {
          early = ones([3]);
          return promise;
        }),
      { code: 'INVALID_ARGUMENT', message: /^tidy: fn must be synchronous/ },
    );
    await promise;
    assert.equal(memoryStats().liveScoped, 0);
    assert.throws(() => (early as unknown as Tensor).toArray(), DisposedError);
  });

  it('reused arrays are cleared where an op needs zeros', () => {
    resetPools(4 * 1024 ** 3);
    tidy(() => {
      full99([64]);
    });
    // zeros() and scatter-add gradients must not see the 99s left in the pooled array
    const z = tidy(() => zeros([64]));
    assert.ok(z.toArray().every((v) => v === 0));
    const w = tensor(new Array(64).fill(1), { shape: [64, 1], requiresGrad: true });
    tidy(() => {
      full99([64, 1]);
    });
    tidy(() => sum(embedding(w, tensor([0], { dtype: 'int32' }))).backward());
    assert.equal(sum(w.grad!).item(), 1);
  });
});

describe('early release in backward', () => {
  /** A graph with pass-throughs (x + x), a tensor used many times, views, cat of one tensor twice, a retained non-leaf. */
  function graph(x: Tensor, w: Tensor): { loss: Tensor; h: Tensor; mid: Tensor } {
    let h = add(x, x);
    const mid = mul(h, w).retainGrad();
    h = mid;
    for (let i = 0; i < 12; i++) h = add(gelu(mul(h, w)), h); // h used twice per layer
    const both = cat([h, h], 1); // one tensor twice: its two gradients are slices of one buffer
    const s = both.slice(1, 1, 5);
    const loss = add(sum(mul(s, s)), sum(softmax(reshape(h, [-1]), 0)));
    return { loss, h, mid };
  }

  it('gives the same gradients inside tidy as outside, and the tensors the caller holds stay readable', () => {
    resetPools(4 * 1024 ** 3);
    const g = new Generator(5);
    const x0 = randn([3, 4], { generator: g });
    const w0 = randn([3, 4], { generator: g, std: 0.5 });
    const leaf = (t: Tensor) => t.clone().requiresGrad_(true);

    const xa = leaf(x0),
      wa = leaf(w0);
    const outside = graph(xa, wa);
    outside.loss.backward();

    const xb = leaf(x0),
      wb = leaf(w0);
    const before = memoryStats().released;
    const inside = tidy(() => {
      const r = graph(xb, wb);
      r.loss.backward();
      // released during backward, before the scope ended: consumed gradients and temporaries
      assert.ok(memoryStats().released > before + 10, `${memoryStats().released - before} storages released early`);
      // what the caller holds is untouched
      assert.deepEqual(r.h.toArray(), outside.h.toArray());
      assert.equal(r.loss.item(), outside.loss.item());
      return { loss: r.loss.item(), midGrad: r.mid.grad!.toArray() };
    });
    assert.equal(inside.loss, outside.loss.item());
    assert.deepEqual(xb.grad!.toArray(), xa.grad!.toArray());
    assert.deepEqual(wb.grad!.toArray(), wa.grad!.toArray());
    assert.deepEqual(inside.midGrad, outside.mid.grad!.toArray());
  });

  it('a second backward through the same graph in one scope sees intact saved tensors', () => {
    const g = new Generator(6);
    const x = randn([3, 4], { generator: g, requiresGrad: true });
    const w = randn([3, 4], { generator: g, requiresGrad: true });
    const once = tidy(() => {
      graph(x, w).loss.backward();
      return x.grad!.toArray();
    });
    x.zeroGrad();
    const twice = tidy(() => {
      const r = graph(x, w);
      r.loss.backward();
      r.loss.backward(); // gradients accumulate: 2x
      return x.grad!.toArray();
    });
    twice.forEach((v, i) =>
      assert.ok(Math.abs(v - 2 * once[i]!) <= 1e-6 * Math.abs(v) + 1e-7, `x.grad[${i}] ${v} vs 2 x ${once[i]}`),
    );
  });
});

function full99(shape: number[]): Tensor {
  return add(zeros(shape), 99);
}
