/**
 * The offline preference objectives, from per-answer log-probabilities (tensors [B], the
 * reference ones constants), each as its paper and TRL's trainer define it:
 *
 *   DPO    (arXiv:2305.18290)  -log σ(β h),  h = (log π(y_w) - log π_ref(y_w)) - (log π(y_l) - log π_ref(y_l));
 *                              label smoothing ε: (1-ε)·that + ε·(-log σ(-β h)) (conservative DPO)
 *   IPO    (arXiv:2310.12036)  (h - 1/(2β))², h from length-averaged log-probabilities (TRL)
 *   ORPO   (arXiv:2403.07691)  NLL(y_w) - λ · log σ(log odds(y_w) - log odds(y_l)),
 *                              odds(y) = p / (1 - p), p = exp(mean token log-prob); no reference
 *   SimPO  (arXiv:2405.14734)  -log σ(β (avg log π(y_w) - avg log π(y_l)) - γ); no reference
 *   CPO    (arXiv:2401.08417)  -log σ(β (log π(y_w) - log π(y_l))) + α · NLL(y_w); no reference
 *   KTO    (arXiv:2402.01306)  desirable y: w_D (1 - σ(β (r(y) - z0))), undesirable y:
 *                              w_U (1 - σ(β (z0 - r(y)))), r = log π - log π_ref, z0 = max(0,
 *                              mean r over mismatched (prompt, answer) pairs), detached
 *
 * Every loss is a mean over the batch. TRL's ORPO takes λ·mean(log σ(...)) away from the
 * NLL; its SimPO is CPOTrainer's loss_type "simpo" (logits - γ/β, times β).
 */
import type { Tensor } from '../../engine/tensor.ts';
import { noGrad } from '../../engine/grad-mode.ts';
import { add, exp, log, mul, neg, sigmoid, square, sub } from '../../engine/ops/elementwise.ts';
import { cat } from '../../engine/ops/movement.ts';
import { mean } from '../../engine/ops/reduce.ts';
import { ArgumentError } from '../../core/errors.ts';
import { negLogSigmoid } from './ranking-loss.ts';

export interface PreferenceLossResult {
  loss: Tensor;
  /** The objective's implicit rewards of chosen and rejected answers (per pair), for accuracy and margins. */
  rewardsChosen: Float32Array;
  rewardsRejected: Float32Array;
}

function values(t: Tensor): Float32Array {
  return noGrad(() => Float32Array.from(t.toTypedArray() as ArrayLike<number>));
}

function positive(name: string, v: number): void {
  if (!(v > 0)) throw new ArgumentError(name, `must be > 0, got ${v}`);
}

/** DPO (sigmoid, with label smoothing) or IPO from sequence log-probabilities (sums; IPO: length-averaged). */
export function dpoLoss(
  policyChosen: Tensor,
  policyRejected: Tensor,
  refChosen: Tensor,
  refRejected: Tensor,
  beta: number,
  type: 'sigmoid' | 'ipo',
  labelSmoothing = 0,
): PreferenceLossResult {
  positive('dpo.beta', beta);
  const chosenRatio = sub(policyChosen, refChosen);
  const rejectedRatio = sub(policyRejected, refRejected);
  const h = sub(chosenRatio, rejectedRatio);
  let loss: Tensor;
  if (type === 'ipo') loss = mean(square(sub(h, 1 / (2 * beta))));
  else {
    const bh = mul(h, beta);
    loss = mean(negLogSigmoid(bh));
    if (labelSmoothing > 0)
      loss = add(mul(loss, 1 - labelSmoothing), mul(mean(negLogSigmoid(neg(bh))), labelSmoothing));
  }
  return { loss, rewardsChosen: values(mul(chosenRatio, beta)), rewardsRejected: values(mul(rejectedRatio, beta)) };
}

/** log(1 - exp(x)) for x < 0 (a mean token log-probability). */
function log1mExp(x: Tensor): Tensor {
  return log(sub(1, exp(x)));
}

/**
 * ORPO from mean token log-probabilities of chosen and rejected answers and the NLL of the
 * chosen ones (the SFT term, a scalar). Implicit rewards: β·avg log π (TRL's).
 */
export function orpoLoss(
  chosenAvg: Tensor,
  rejectedAvg: Tensor,
  nllChosen: Tensor,
  beta: number,
): PreferenceLossResult {
  positive('orpo.beta', beta);
  // log odds(y_w) - log odds(y_l) = (l_w - l_r) - (log(1 - e^l_w) - log(1 - e^l_r))
  const logOdds = sub(sub(chosenAvg, rejectedAvg), sub(log1mExp(chosenAvg), log1mExp(rejectedAvg)));
  const ratio = neg(negLogSigmoid(logOdds)); // log σ(log odds)
  const loss = sub(nllChosen, mul(mean(ratio), beta));
  return { loss, rewardsChosen: values(mul(chosenAvg, beta)), rewardsRejected: values(mul(rejectedAvg, beta)) };
}

/** SimPO from mean token log-probabilities (label smoothing as TRL's CPOTrainer). */
export function simpoLoss(
  chosenAvg: Tensor,
  rejectedAvg: Tensor,
  beta: number,
  gamma: number,
  labelSmoothing = 0,
): PreferenceLossResult {
  positive('simpo.beta', beta);
  const logits = sub(sub(chosenAvg, rejectedAvg), gamma / beta);
  const bl = mul(logits, beta);
  let loss = mean(negLogSigmoid(bl));
  if (labelSmoothing > 0) loss = add(mul(loss, 1 - labelSmoothing), mul(mean(negLogSigmoid(neg(bl))), labelSmoothing));
  return { loss, rewardsChosen: values(mul(chosenAvg, beta)), rewardsRejected: values(mul(rejectedAvg, beta)) };
}

/** CPO from sequence log-probabilities (sums) plus α·NLL of the chosen answers. */
export function cpoLoss(
  chosen: Tensor,
  rejected: Tensor,
  nllChosen: Tensor,
  beta: number,
  alpha: number,
): PreferenceLossResult {
  positive('cpo.beta', beta);
  const loss = add(mean(negLogSigmoid(mul(sub(chosen, rejected), beta))), mul(nllChosen, alpha));
  return { loss, rewardsChosen: values(mul(chosen, beta)), rewardsRejected: values(mul(rejected, beta)) };
}

/**
 * KTO: `desirable` / `undesirable` are log π - log π_ref of each answer (sums), `mismatched`
 * the same for answers paired with another prompt (the KL reference point's estimate).
 */
export function ktoLoss(
  desirable: Tensor,
  undesirable: Tensor,
  mismatched: Tensor,
  beta: number,
  desirableWeight = 1,
  undesirableWeight = 1,
): PreferenceLossResult & { z0: number } {
  positive('kto.beta', beta);
  const z0 = Math.max(
    0,
    noGrad(() => mean(mismatched).item()),
  );
  const parts: Tensor[] = [];
  // 1 - σ(x) = σ(-x)
  if (desirable.shape[0]! > 0) parts.push(mul(sigmoid(mul(sub(desirable, z0), -beta)), desirableWeight));
  if (undesirable.shape[0]! > 0) parts.push(mul(sigmoid(mul(sub(z0, undesirable), -beta)), undesirableWeight));
  if (parts.length === 0) throw new ArgumentError('kto', 'no examples');
  const loss = mean(parts.length === 1 ? parts[0]! : cat(parts, 0));
  return { loss, z0, rewardsChosen: values(mul(desirable, beta)), rewardsRejected: values(mul(undesirable, beta)) };
}
