/**
 * Per-token estimators of KL(pi || pi_ref) from a sample of pi (Schulman, "Approximating KL
 * Divergence"; detail 13), with log r = log pi(a) - log pi_ref(a):
 *   k1 = log r                        unbiased, can be negative per token
 *   k2 = (log r)^2 / 2                biased, >= 0, low variance
 *   k3 = (exp(-log r) - 1) + log r    unbiased, >= 0, low variance
 */
import type { Tensor } from '../../engine/tensor.ts';
import { exp, sub } from '../../engine/ops/elementwise.ts';
import { ArgumentError } from '../../core/errors.ts';

export type KlEstimator = 'k1' | 'k2' | 'k3';
export const KL_ESTIMATORS: readonly KlEstimator[] = ['k1', 'k2', 'k3'];

export function klTerm(logp: number, logpRef: number, kind: KlEstimator): number {
  const lr = logp - logpRef;
  switch (kind) {
    case 'k1':
      return lr;
    case 'k2':
      return 0.5 * lr * lr;
    case 'k3':
      return Math.expm1(-lr) + lr;
    default:
      throw new ArgumentError('kl', `unknown estimator "${String(kind)}" (expected k1, k2 or k3)`);
  }
}

/** Elementwise estimator over [B, R] arrays (masked entries 0). */
export function klPerToken(
  logp: ArrayLike<number>,
  logpRef: ArrayLike<number>,
  mask: ArrayLike<number>,
  kind: KlEstimator,
): Float32Array {
  const out = new Float32Array(logp.length);
  for (let i = 0; i < logp.length; i++) if (mask[i] !== 0) out[i] = klTerm(logp[i]!, logpRef[i]!, kind);
  return out;
}

/** k3 as a differentiable tensor (GRPO's KL term in the loss): exp(ref - logp) - (ref - logp) - 1. */
export function k3Tensor(logp: Tensor, logpRef: Tensor): Tensor {
  const d = sub(logpRef, logp);
  return sub(sub(exp(d), d), 1);
}
