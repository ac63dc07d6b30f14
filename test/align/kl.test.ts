import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { klPerToken, klTerm, k3Tensor } from '../../src/align/shared/kl.ts';
import { AdaptiveKlController, FixedKlController, createKlController } from '../../src/align/shared/kl-controller.ts';
import { Generator } from '../../src/core/random.ts';
import { tensor } from '../../src/engine/ops/creation.ts';
import { sum } from '../../src/engine/ops/reduce.ts';

describe('KL estimators', () => {
  it('k1, k2, k3 follow their formulas', () => {
    for (const [lp, lq] of [
      [-1.2, -0.7],
      [-0.1, -3],
      [-2, -2],
      [-5, -0.01],
    ] as const) {
      const r = lp - lq;
      assert.equal(klTerm(lp, lq, 'k1'), r);
      assert.ok(Math.abs(klTerm(lp, lq, 'k2') - 0.5 * r * r) < 1e-15);
      assert.ok(Math.abs(klTerm(lp, lq, 'k3') - (Math.exp(lq - lp) - 1 - (lq - lp))) < 1e-12);
      assert.ok(klTerm(lp, lq, 'k2') >= 0 && klTerm(lp, lq, 'k3') >= 0);
    }
    assert.throws(() => klTerm(0, 0, 'k4' as never), /unknown estimator/);
  });

  it('k1 and k3 are unbiased estimates of KL(p || q) under samples of p; k2 estimates E[(log r)^2]/2', () => {
    const p = [0.5, 0.3, 0.15, 0.05];
    const q = [0.25, 0.25, 0.25, 0.25];
    const exact = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]!), 0);
    const g = new Generator(11);
    const n = 200_000;
    const sums = { k1: 0, k2: 0, k3: 0 };
    for (let i = 0; i < n; i++) {
      const a = g.categorical(p);
      for (const k of ['k1', 'k2', 'k3'] as const) sums[k] += klTerm(Math.log(p[a]!), Math.log(q[a]!), k);
    }
    assert.ok(Math.abs(sums.k1 / n - exact) < 0.01, `k1 ${sums.k1 / n} vs ${exact}`);
    assert.ok(Math.abs(sums.k3 / n - exact) < 0.01, `k3 ${sums.k3 / n} vs ${exact}`);
    const k2Expect = p.reduce((s, pi, i) => s + pi * 0.5 * Math.log(pi / q[i]!) ** 2, 0);
    assert.ok(Math.abs(sums.k2 / n - k2Expect) < 0.01, `k2 ${sums.k2 / n} vs ${k2Expect}`);
    assert.ok(Math.abs(k2Expect - exact) > 0.02, 'k2 is a different (biased) quantity on this pair');
  });

  it('per-token estimates are zero off the mask', () => {
    const out = klPerToken([-1, -2, -3], [-1.5, -2, -9], [1, 1, 0], 'k1');
    assert.deepEqual(Array.from(out), [0.5, 0, 0]);
  });

  it('the k3 tensor matches the formula and its gradient d/dlogp = 1 - exp(ref - logp)', () => {
    const logp = tensor([-1.2, -0.3, -2.5], { requiresGrad: true });
    const ref = tensor([-0.7, -0.3, -0.1]);
    const k = k3Tensor(logp, ref);
    const lp = [-1.2, -0.3, -2.5];
    const rf = [-0.7, -0.3, -0.1];
    k.toArray().forEach((v, i) => assert.ok(Math.abs(v - klTerm(lp[i]!, rf[i]!, 'k3')) < 1e-6));
    sum(k).backward();
    logp.grad!.toArray().forEach((v, i) => assert.ok(Math.abs(v - (1 - Math.exp(rf[i]! - lp[i]!))) < 1e-5));
  });
});

describe('KL controllers', () => {
  it('fixed beta never moves', () => {
    const c = new FixedKlController(0.05);
    c.update(100, 64);
    assert.equal(c.value, 0.05);
  });

  it('adaptive beta follows beta * (1 + clip(KL/target - 1, +-0.2) * n / horizon)', () => {
    const c = new AdaptiveKlController(0.2, 6, 10000);
    c.update(9, 64); // error 0.5 clipped to 0.2
    assert.ok(Math.abs(c.value - 0.2 * (1 + (0.2 * 64) / 10000)) < 1e-12);
    const v = c.value;
    c.update(5.4, 100); // error -0.1
    assert.ok(Math.abs(c.value - v * (1 - (0.1 * 100) / 10000)) < 1e-12);
    const d = new AdaptiveKlController(1, 1, 10);
    d.update(0, 10); // error -1 clipped to -0.2
    assert.ok(Math.abs(d.value - 0.8) < 1e-12);
  });

  it('createKlController picks adaptive when a target is set', () => {
    assert.ok(createKlController({ klCoef: 0.1, klTarget: null, klHorizon: 1 }) instanceof FixedKlController);
    assert.ok(createKlController({ klCoef: 0.1, klTarget: 3, klHorizon: 100 }) instanceof AdaptiveKlController);
    assert.throws(() => new AdaptiveKlController(0.1, 0, 10), /klTarget/);
  });
});
