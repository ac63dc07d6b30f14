/**
 * The PPO losses over response tokens (details 22, 23, 25, 31), as tensors with gradients.
 * Inputs are [B, R] (or any equal shapes) with a float mask of valid tokens. Each loss is a
 * masked sum divided by `denominator`, the valid-token count of the whole minibatch, so
 * splitting a minibatch into micro-batches and accumulating gradients gives the same update
 * as one pass (a token mean over the minibatch, as TRL).
 */
import type { Tensor } from '../../engine/tensor.ts';
import { noGrad } from '../../engine/grad-mode.ts';
import { add, clamp, exp, gt, maximum, mul, neg, square, sub } from '../../engine/ops/elementwise.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { ArgumentError } from '../../core/errors.ts';

export interface PolicyLossOptions {
  /** epsilon of the clipped surrogate (0.2): the ratio is clipped to [1 - clipEps, 1 + clipEpsHigh]. */
  clipEps: number;
  /** The upper epsilon when it differs (DAPO's clip-higher, 0.28); default clipEps. */
  clipEpsHigh?: number;
  /** Valid tokens in the whole minibatch (default: this mask's count). */
  denominator?: number;
  /** |log ratio| is clamped to this before exp (OpenRLHF: 20), so a stray token cannot overflow. */
  logRatioClamp?: number;
  /**
   * Per-token weights replacing mask / denominator (GRPO's per-sequence mean: 1 / (length *
   * sequences) on valid tokens). The mask still selects the tokens the statistics cover.
   */
  weights?: Tensor;
}

export interface PolicyLossResult {
  loss: Tensor;
  /** Fraction of valid tokens where the clipped term was the active one. */
  clipFrac: number;
  /** k2 estimate of KL(old || new): mean of (log ratio)^2 / 2 (TRL's approxkl). */
  approxKl: number;
  /** Mean of the ratio over valid tokens. */
  ratioMean: number;
  /** Largest |ratio - 1| over valid tokens. */
  ratioMaxDev: number;
}

function countMask(mask: Tensor): number {
  const m = mask.toTypedArray();
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) n++;
  return n;
}

function checkShapes(op: string, ...ts: Tensor[]): void {
  const s = JSON.stringify(ts[0]!.shape);
  for (const t of ts)
    if (JSON.stringify(t.shape) !== s)
      throw new ArgumentError(
        op,
        `inputs must share one shape, got ${ts.map((x) => `[${x.shape.join(', ')}]`).join(' ')}`,
      );
}

/**
 * The clipped surrogate, minimized: masked mean of max(-A * rho, -A * clip(rho, 1 - eps, 1 + eps)),
 * rho = exp(logp - oldLogp). For A > 0 the loss is flat (zero gradient) once rho > 1 + eps; for
 * A < 0 the max keeps the more pessimistic of the two terms.
 */
export function clippedPolicyLoss(
  logp: Tensor,
  oldLogp: Tensor,
  advantages: Tensor,
  mask: Tensor,
  o: PolicyLossOptions,
): PolicyLossResult {
  checkShapes('clippedPolicyLoss', logp, oldLogp, advantages, mask);
  const c = o.logRatioClamp ?? 20;
  const denominator = o.weights !== undefined ? 0 : (o.denominator ?? countMask(mask));
  const logRatio = clamp(sub(logp, oldLogp), -c, c);
  const ratio = exp(logRatio);
  const negAdv = neg(advantages);
  const unclipped = mul(negAdv, ratio);
  const clipped = mul(negAdv, clamp(ratio, 1 - o.clipEps, 1 + (o.clipEpsHigh ?? o.clipEps)));
  const perToken = maximum(unclipped, clipped);
  const loss =
    o.weights !== undefined
      ? sum(mul(perToken, o.weights))
      : mul(sum(mul(perToken, mask)), 1 / Math.max(denominator, 1));
  const stats = noGrad(() => {
    const lr = logRatio.toTypedArray();
    const active = gt(clipped, unclipped).toTypedArray();
    const m = mask.toTypedArray();
    let n = 0;
    let clip = 0;
    let kl = 0;
    let ratioSum = 0;
    let maxDev = 0;
    for (let i = 0; i < m.length; i++) {
      if (m[i] === 0) continue;
      n++;
      clip += active[i]!;
      kl += 0.5 * lr[i]! * lr[i]!;
      const r = Math.exp(lr[i]!);
      ratioSum += r;
      maxDev = Math.max(maxDev, Math.abs(r - 1));
    }
    return {
      clipFrac: n > 0 ? clip / n : 0,
      approxKl: n > 0 ? kl / n : 0,
      ratioMean: n > 0 ? ratioSum / n : 1,
      ratioMaxDev: maxDev,
    };
  });
  return { loss, ...stats };
}

/** The per-token weights of GRPO's loss: each sequence's valid tokens get 1 / (its length * sequences). */
export function sequenceMeanWeights(mask: ArrayLike<number>, B: number, R: number, sequences = B): Float32Array {
  const w = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < R; t++) if (mask[b * R + t] !== 0) n++;
    for (let t = 0; t < R; t++) if (mask[b * R + t] !== 0) w[b * R + t] = 1 / (n * sequences);
  }
  return w;
}

export interface ValueLossResult {
  loss: Tensor;
  clipFrac: number;
}

/**
 * The clipped value loss: 0.5 * masked mean of max((V - R)^2, (clip(V, V_old +- clip) - R)^2).
 * clip = Infinity gives the plain squared error.
 */
export function clippedValueLoss(
  values: Tensor,
  oldValues: Tensor,
  returns: Tensor,
  mask: Tensor,
  clip: number,
  denominator?: number,
): ValueLossResult {
  checkShapes('clippedValueLoss', values, oldValues, returns, mask);
  const denom = denominator ?? countMask(mask);
  const clippedValues = add(oldValues, clamp(sub(values, oldValues), -clip, clip));
  const l1 = square(sub(values, returns));
  const l2 = square(sub(clippedValues, returns));
  const loss = mul(sum(mul(maximum(l1, l2), mask)), 0.5 / Math.max(denom, 1));
  const clipFrac = noGrad(() => {
    const active = gt(l2, l1).toTypedArray();
    const m = mask.toTypedArray();
    let n = 0;
    let k = 0;
    for (let i = 0; i < m.length; i++)
      if (m[i] !== 0) {
        n++;
        k += active[i]!;
      }
    return n > 0 ? k / n : 0;
  });
  return { loss, clipFrac };
}

/** Masked sum / denominator of a per-token tensor (entropy bonus, KL terms). */
export function maskedTokenMean(x: Tensor, mask: Tensor, denominator?: number): Tensor {
  const denom = denominator ?? countMask(mask);
  return mul(sum(mul(x, mask)), 1 / Math.max(denom, 1));
}
