/**
 * Generalized advantage estimation over response tokens (detail 21): backwards in time,
 *   delta_t = r_t + gamma * V_{t+1} - V_t,   A_t = delta_t + gamma * lambda * A_{t+1},
 * with V and r taken as 0 beyond the last valid token (after EOS), and returns
 * R_t = A_t + V_t, the critic's targets (TD(lambda)). [B, R] row-major.
 */
import { ArgumentError } from '../../core/errors.ts';

export interface GaeResult {
  advantages: Float32Array;
  returns: Float32Array;
}

export function computeGae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  mask: ArrayLike<number>,
  B: number,
  R: number,
  gamma: number,
  lambda: number,
): GaeResult {
  if (rewards.length !== B * R || values.length !== B * R || mask.length !== B * R) {
    throw new ArgumentError('computeGae', `rewards, values and mask must all hold B*R = ${B * R} entries`);
  }
  const advantages = new Float32Array(B * R);
  const returns = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    let next = 0; // A_{t+1}
    let nextValue = 0; // V_{t+1}
    for (let t = R - 1; t >= 0; t--) {
      const i = b * R + t;
      if (mask[i] === 0) {
        next = 0;
        nextValue = 0;
        continue;
      }
      const delta = rewards[i]! + gamma * nextValue - values[i]!;
      next = delta + gamma * lambda * next;
      nextValue = values[i]!;
      advantages[i] = next;
      returns[i] = next + values[i]!;
    }
  }
  return { advantages, returns };
}
