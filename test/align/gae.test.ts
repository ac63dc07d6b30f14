import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeGae } from '../../src/align/shared/gae.ts';
import { Generator } from '../../src/core/random.ts';

/** The definition, not the recursion: A_t = sum_l (gamma*lambda)^l delta_{t+l} over the valid prefix. */
function direct(r: number[], v: number[], n: number, gamma: number, lambda: number): { adv: number[]; ret: number[] } {
  const delta = (t: number): number => r[t]! + gamma * (t + 1 < n ? v[t + 1]! : 0) - v[t]!;
  const adv: number[] = [];
  for (let t = 0; t < n; t++) {
    let a = 0;
    for (let l = 0; t + l < n; l++) a += (gamma * lambda) ** l * delta(t + l);
    adv.push(a);
  }
  return { adv, ret: adv.map((a, t) => a + v[t]!) };
}

describe('GAE', () => {
  it('matches a hand computation on a 3-token trajectory', () => {
    // gamma 1, lambda 0.5: deltas 0.1+0.5-0.2=0.4, 0+0.1-0.5=-0.4, 1+0-0.1=0.9
    const { advantages, returns } = computeGae([0.1, 0, 1], [0.2, 0.5, 0.1], [1, 1, 1], 1, 3, 1, 0.5);
    const a2 = 0.9;
    const a1 = -0.4 + 0.5 * a2;
    const a0 = 0.4 + 0.5 * a1;
    assert.deepEqual(
      Array.from(advantages).map((x) => +x.toFixed(6)),
      [a0, a1, a2].map((x) => +x.toFixed(6)),
    );
    assert.deepEqual(
      Array.from(returns).map((x) => +x.toFixed(6)),
      [a0 + 0.2, a1 + 0.5, a2 + 0.1].map((x) => +x.toFixed(6)),
    );
  });

  it('equals the direct sum of discounted TD errors on random trajectories with masks', () => {
    const g = new Generator(3);
    for (const [gamma, lambda] of [
      [1, 0.95],
      [0.99, 0.9],
      [0.5, 1],
      [1, 0],
    ] as const) {
      const B = 5;
      const R = 7;
      const rewards = new Float32Array(B * R);
      const values = new Float32Array(B * R);
      const mask = new Float32Array(B * R);
      const lengths = [7, 1, 4, 6, 3];
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < R; t++) {
          rewards[b * R + t] = g.normal();
          values[b * R + t] = g.normal(); // padding gets garbage: it must not leak in
          mask[b * R + t] = t < lengths[b]! ? 1 : 0;
        }
      }
      const { advantages, returns } = computeGae(rewards, values, mask, B, R, gamma, lambda);
      for (let b = 0; b < B; b++) {
        const n = lengths[b]!;
        const d = direct(
          Array.from(rewards.subarray(b * R, b * R + R)),
          Array.from(values.subarray(b * R, b * R + R)),
          n,
          gamma,
          lambda,
        );
        for (let t = 0; t < R; t++) {
          const i = b * R + t;
          if (t < n) {
            assert.ok(Math.abs(advantages[i]! - d.adv[t]!) < 1e-4, `A[${b},${t}] ${advantages[i]} vs ${d.adv[t]}`);
            assert.ok(Math.abs(returns[i]! - d.ret[t]!) < 1e-4);
          } else {
            assert.equal(advantages[i], 0);
            assert.equal(returns[i], 0);
          }
        }
      }
    }
  });

  it('with gamma = lambda = 1 the return is the Monte Carlo sum of rewards to go', () => {
    const r = [0.5, -1, 2, 0.25];
    const v = [3, -2, 0.7, 1];
    const { returns } = computeGae(r, v, [1, 1, 1, 1], 1, 4, 1, 1);
    assert.deepEqual(
      Array.from(returns).map((x) => +x.toFixed(5)),
      [1.75, 1.25, 2.25, 0.25],
    );
  });

  it('with lambda = 0 the advantage is the one-step TD error', () => {
    const { advantages } = computeGae([1, 2], [0.5, 0.25], [1, 1], 1, 2, 0.9, 0);
    assert.ok(Math.abs(advantages[0]! - (1 + 0.9 * 0.25 - 0.5)) < 1e-6);
    assert.ok(Math.abs(advantages[1]! - (2 - 0.25)) < 1e-6);
  });

  it('rejects mismatched sizes', () => {
    assert.throws(() => computeGae([1], [1, 2], [1, 1], 1, 2, 1, 1), /B\*R/);
  });
});
