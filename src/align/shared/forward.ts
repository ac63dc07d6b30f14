/**
 * Forward passes over a SequenceBatch: the policy's per-token log-probabilities of the
 * response (detail 4: logits at columns P-1 .. P+R-2 predict the response tokens; detail 6:
 * divided by the sampling temperature), its entropy, the critic's values at the same
 * columns, and the reward model's score at the last real token (detail 1).
 */
import type { Tensor } from '../../engine/tensor.ts';
import { tensor } from '../../engine/ops/creation.ts';
import { exp, mul, neg } from '../../engine/ops/elementwise.ts';
import { crossEntropy } from '../../engine/ops/loss.ts';
import { linear } from '../../engine/ops/matmul.ts';
import { reshape, slice } from '../../engine/ops/movement.ts';
import { sum } from '../../engine/ops/reduce.ts';
import { logSoftmax } from '../../engine/ops/softmax.ts';
import type { GPT } from '../../models/gpt.ts';
import type { ScalarHeadModel } from '../../models/heads.ts';
import type { SequenceBatch } from './batch.ts';
import { lastTokenColumns } from './batch.ts';

export function batchTensors(batch: SequenceBatch): {
  ids: Tensor;
  mask: Tensor;
  responseMask: Tensor;
  targets: Tensor;
} {
  const L = batch.P + batch.R;
  const targets = new Int32Array(batch.B * batch.R);
  for (let b = 0; b < batch.B; b++) targets.set(batch.ids.subarray(b * L + batch.P, (b + 1) * L), b * batch.R);
  return {
    ids: tensor(batch.ids, { shape: [batch.B, L], dtype: 'int32' }),
    mask: tensor(batch.attention, { shape: [batch.B, L], dtype: 'int32' }),
    responseMask: tensor(batch.responseMask, { shape: [batch.B, batch.R] }),
    targets: tensor(targets, { shape: [batch.B, batch.R], dtype: 'int32' }),
  };
}

export interface PolicyOutput {
  /** [B, R] log pi(response token | prefix) at the given temperature. */
  logprobs: Tensor;
  /** [B, R] entropy of the full next-token distribution, when asked for. */
  entropy: Tensor | null;
}

/** Log-probabilities (and optionally entropies) of the response tokens under `model` at `temperature`. */
export function policyForward(
  model: GPT,
  batch: SequenceBatch,
  temperature: number,
  withEntropy = false,
): PolicyOutput {
  const { ids, mask, targets } = batchTensors(batch);
  const { B, P, R } = batch;
  const L = P + R;
  const { hidden } = model.forward(ids, { attentionMask: mask, logits: 'none' });
  // only the R columns that predict response tokens go through the LM head
  let logits = linear(slice(hidden, 1, P - 1, L - 1), model.lm_head.weight); // [B, R, V]
  if (temperature !== 1) logits = mul(logits, 1 / temperature);
  const V = logits.shape[2]!;
  const nll = crossEntropy(reshape(logits, [B * R, V]), reshape(targets, [B * R]), { reduction: 'none' });
  const logprobs = reshape(neg(nll), [B, R]);
  let entropy: Tensor | null = null;
  if (withEntropy) {
    const lp = logSoftmax(logits, -1);
    entropy = neg(sum(mul(exp(lp), lp), -1)); // [B, R]
  }
  return { logprobs, entropy };
}

/** The critic's value of each response step, read where the policy's logits are: [B, R]. */
export function valueForward(critic: ScalarHeadModel, batch: SequenceBatch): Tensor {
  const { ids, mask } = batchTensors(batch);
  const L = batch.P + batch.R;
  return slice(critic.forward(ids, mask), 1, batch.P - 1, L - 1);
}

/** Raw reward-model scores [B] at each row's last response token (EOS when there is one). */
export function rewardForward(rm: ScalarHeadModel, batch: SequenceBatch): Tensor {
  const { ids, mask } = batchTensors(batch);
  return rm.scoreAt(ids, mask, lastTokenColumns(batch));
}
