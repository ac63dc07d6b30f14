import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../src/engine/ops/creation.ts';
import { add } from '../../src/engine/ops/elementwise.ts';
import {
  clippedPolicyLoss,
  clippedValueLoss,
  maskedTokenMean,
  sequenceMeanWeights,
} from '../../src/align/shared/ppo-loss.ts';

const EPS = 0.2;

/** Loss and d loss / d logp for one token with old log-prob 0 (so ratio = e^logp). */
function oneToken(ratio: number, adv: number): { loss: number; grad: number; clipFrac: number } {
  const logp = tensor([Math.log(ratio)], { requiresGrad: true });
  const r = clippedPolicyLoss(logp, tensor([0]), tensor([adv]), tensor([1]), { clipEps: EPS });
  r.loss.backward();
  return { loss: r.loss.item(), grad: logp.grad!.item(), clipFrac: r.clipFrac };
}

describe('clipped surrogate (notes section 3)', () => {
  it('A > 0, ratio > 1 + eps: the objective is flat (loss -A(1+eps), zero gradient)', () => {
    const { loss, grad, clipFrac } = oneToken(1.5, 2);
    assert.ok(Math.abs(loss - -2 * 1.2) < 1e-6);
    assert.equal(grad, 0);
    assert.equal(clipFrac, 1);
  });

  it('A > 0, ratio < 1 - eps: the unclipped term is the min, the gradient pushes the ratio up', () => {
    const { loss, grad, clipFrac } = oneToken(0.5, 2);
    assert.ok(Math.abs(loss - -2 * 0.5) < 1e-6);
    // d(-A r)/d logp = -A r
    assert.ok(Math.abs(grad - -2 * 0.5) < 1e-6);
    assert.equal(clipFrac, 0);
  });

  it('A < 0, ratio > 1 + eps: the pessimistic unclipped term is kept, the gradient still flows', () => {
    const { loss, grad, clipFrac } = oneToken(1.5, -2);
    assert.ok(Math.abs(loss - 2 * 1.5) < 1e-6, `loss ${loss}`);
    assert.ok(Math.abs(grad - 2 * 1.5) < 1e-6);
    assert.equal(clipFrac, 0);
  });

  it('A < 0, ratio < 1 - eps: the clipped term is the pessimistic one, zero gradient', () => {
    const { loss, grad, clipFrac } = oneToken(0.5, -2);
    assert.ok(Math.abs(loss - 2 * 0.8) < 1e-6);
    assert.equal(grad, 0);
    assert.equal(clipFrac, 1);
  });

  it('inside the trust region it is the plain policy gradient -A * ratio', () => {
    for (const adv of [1.5, -0.7]) {
      const { loss, grad } = oneToken(1.1, adv);
      assert.ok(Math.abs(loss - -adv * 1.1) < 1e-6);
      assert.ok(Math.abs(grad - -adv * 1.1) < 1e-5);
    }
    // at ratio 1 the gradient is -A (the REINFORCE direction)
    assert.ok(Math.abs(oneToken(1, 3).grad - -3) < 1e-6);
  });

  it('is the minimum of the two objectives for any ratio and sign', () => {
    for (const ratio of [0.3, 0.79, 0.81, 1, 1.19, 1.21, 2.5]) {
      for (const adv of [-1.3, 0.4]) {
        const expected = -Math.min(ratio * adv, Math.min(Math.max(ratio, 1 - EPS), 1 + EPS) * adv);
        assert.ok(Math.abs(oneToken(ratio, adv).loss - expected) < 1e-5, `ratio ${ratio} A ${adv}`);
      }
    }
  });

  it('is a token mean over the mask; a denominator makes micro-batches add up to the minibatch', () => {
    const logp = [-0.1, -0.3, 0.2, 0.05, -0.4, 0.3];
    const old = [0, 0, 0, 0, 0, 0];
    const adv = [1, -1, 0.5, 2, -0.5, 1];
    const mask = [1, 1, 1, 0, 1, 1];
    const whole = clippedPolicyLoss(tensor(logp), tensor(old), tensor(adv), tensor(mask), { clipEps: EPS });
    let manual = 0;
    for (let i = 0; i < 6; i++) {
      if (!mask[i]) continue;
      const r = Math.exp(logp[i]!);
      manual += Math.max(-adv[i]! * r, -adv[i]! * Math.min(Math.max(r, 0.8), 1.2));
    }
    assert.ok(Math.abs(whole.loss.item() - manual / 5) < 1e-6);
    const half = (a: number, b: number): number =>
      clippedPolicyLoss(
        tensor(logp.slice(a, b)),
        tensor(old.slice(a, b)),
        tensor(adv.slice(a, b)),
        tensor(mask.slice(a, b)),
        { clipEps: EPS, denominator: 5 },
      ).loss.item();
    assert.ok(Math.abs(half(0, 3) + half(3, 6) - whole.loss.item()) < 1e-6);
  });

  it('clamps the log-ratio before exp', () => {
    const r = clippedPolicyLoss(tensor([80]), tensor([0]), tensor([-1]), tensor([1]), { clipEps: EPS });
    assert.ok(Number.isFinite(r.loss.item()));
    assert.ok(Math.abs(r.loss.item() - Math.exp(20)) / Math.exp(20) < 1e-5);
  });

  it('with explicit weights computes sum(per-token loss * weight) (GRPO per-sequence means)', () => {
    const mask = [1, 1, 0, 1, 0, 0];
    const w = sequenceMeanWeights(mask, 2, 3);
    assert.deepEqual(Array.from(w), [0.25, 0.25, 0, 0.5, 0, 0]);
    const r = clippedPolicyLoss(
      tensor([0, 0, 0, 0, 0, 0]),
      tensor([0, 0, 0, 0, 0, 0]),
      tensor([1, 3, 9, 2, 9, 9]),
      tensor(mask),
      { clipEps: EPS, weights: tensor(w) },
    );
    assert.ok(Math.abs(r.loss.item() - -(0.25 * 1 + 0.25 * 3 + 0.5 * 2)) < 1e-6);
  });
});

describe('clipped value loss', () => {
  it('is 0.5 * max((V - R)^2, (clip(V, V_old +- eps) - R)^2) with its gradient', () => {
    // token 1: V moved far from V_old towards R: the clipped error is larger -> flat
    // token 2: V moved a little: plain squared error
    const v = tensor([2, 0.1], { requiresGrad: true });
    const r = clippedValueLoss(v, tensor([0, 0]), tensor([3, 1]), tensor([1, 1]), 0.2);
    const l1 = Math.max((2 - 3) ** 2, (0.2 - 3) ** 2);
    const l2 = Math.max((0.1 - 1) ** 2, (0.1 - 1) ** 2);
    assert.ok(Math.abs(r.loss.item() - (0.5 * (l1 + l2)) / 2) < 1e-6);
    r.loss.backward();
    const g = v.grad!.toArray();
    assert.equal(g[0], 0);
    assert.ok(Math.abs(g[1]! - (0.1 - 1) / 2) < 1e-6);
    assert.equal(r.clipFrac, 0.5);
  });

  it('without clipping (Infinity) is the plain masked squared error', () => {
    const r = clippedValueLoss(tensor([1, 2, 3]), tensor([0, 0, 0]), tensor([0, 0, 0]), tensor([1, 1, 0]), Infinity);
    assert.ok(Math.abs(r.loss.item() - (0.5 * (1 + 4)) / 2) < 1e-6);
  });
});

describe('masked token mean', () => {
  it('averages the valid tokens', () => {
    assert.ok(Math.abs(maskedTokenMean(add(tensor([1, 2, 3]), 0), tensor([1, 0, 1])).item() - 2) < 1e-6);
  });
});
