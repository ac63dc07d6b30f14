/**
 * Reward-model losses over scores of answers grouped by prompt, each group ordered best
 * first (details 30, 1b of docs/rlhf.md):
 *
 *   pairwise (Bradley-Terry)  -log sigmoid(r_w - r_l - margin)
 *   K-way (InstructGPT Eq. 1) -(1 / C(K,2)) * sum over the C(K,2) ordered pairs of log sigmoid(r_w - r_l)
 *
 * A pair is a group of K = 2, so one function covers both; every pair of a prompt is in
 * the same step. The batch loss is the mean over groups. Reward centering (TRL) adds
 * c * mean over pairs of (r_w + r_l)^2, keeping scores near 0.
 */
import type { Tensor } from '../../engine/tensor.ts';
import { tensor } from '../../engine/ops/creation.ts';
import { add, clamp, exp, ge, log, mul, neg, square, sub, where } from '../../engine/ops/elementwise.ts';
import { indexSelect } from '../../engine/ops/indexing.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { ArgumentError } from '../../core/errors.ts';

/**
 * -log sigmoid(x) = log(1 + e^-x), stably: log(1 + e^-x) for x >= 0, -x + log(1 + e^x) for
 * x < 0, each branch fed a clamped x so neither overflows. Unlike relu(-x) + log(1 + e^-|x|)
 * its gradient at x = 0 is the true -1/2, not the 0 of the kinks' subgradients (DPO starts
 * at exactly x = 0, where a zero gradient would never move).
 */
export function negLogSigmoid(x: Tensor): Tensor {
  const pos = clamp(x, 0, null);
  const negPart = clamp(x, null, 0);
  const forPos = log(add(exp(neg(pos)), 1));
  const forNeg = add(neg(negPart), log(add(exp(negPart), 1)));
  return where(ge(x, 0), forPos, forNeg);
}

export interface RankedGroup {
  /** Row of each answer in the scores tensor, best first. */
  rows: readonly number[];
  /** Margin for every pair of the group (default 0). */
  margin?: number;
}

export interface RankingLossResult {
  loss: Tensor;
  /** Fraction of pairs ordered correctly (r_w > r_l). */
  accuracy: number;
  /** Mean r_w - r_l. */
  meanMargin: number;
  pairs: number;
}

/** The pairs (winner row, loser row, weight) of groups: weight 1 / (C(K,2) * groups). */
export function rankingPairs(groups: readonly RankedGroup[]): {
  win: number[];
  lose: number[];
  weight: number[];
  margin: number[];
} {
  const win: number[] = [];
  const lose: number[] = [];
  const weight: number[] = [];
  const margin: number[] = [];
  for (const g of groups) {
    const K = g.rows.length;
    if (K < 2) throw new ArgumentError('rankingLoss', 'a group needs at least 2 answers');
    const w = 1 / (((K * (K - 1)) / 2) * groups.length);
    for (let i = 0; i < K; i++) {
      for (let j = i + 1; j < K; j++) {
        win.push(g.rows[i]!);
        lose.push(g.rows[j]!);
        weight.push(w);
        margin.push(g.margin ?? 0);
      }
    }
  }
  return { win, lose, weight, margin };
}

export function rankingLoss(scores: Tensor, groups: readonly RankedGroup[], centerCoef = 0): RankingLossResult {
  if (scores.ndim !== 1)
    throw new ArgumentError('rankingLoss', `scores must be 1-D [rows], got [${scores.shape.join(', ')}]`);
  const p = rankingPairs(groups);
  const n = p.win.length;
  const sw = indexSelect(scores, 0, tensor(Int32Array.from(p.win), { shape: [n] }));
  const sl = indexSelect(scores, 0, tensor(Int32Array.from(p.lose), { shape: [n] }));
  const diff = sub(sw, sl);
  const weights = tensor(Float32Array.from(p.weight), { shape: [n] });
  const shifted = p.margin.some((m) => m !== 0) ? sub(diff, tensor(Float32Array.from(p.margin), { shape: [n] })) : diff;
  let loss = sum(mul(negLogSigmoid(shifted), weights));
  if (centerCoef > 0) loss = add(loss, mul(sum(mul(square(add(sw, sl)), weights)), centerCoef));
  const d = diff.toTypedArray();
  let correct = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (d[i]! > 0) correct++;
    total += d[i]!;
  }
  return { loss, accuracy: correct / n, meanMargin: total / n, pairs: n };
}
