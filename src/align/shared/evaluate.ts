/**
 * Measuring a policy on a task: sample answers to the evaluation prompts and average the
 * gold reward, the EOS rate and the response length (and the reward model's score and the
 * KL to a reference when given). Every stage reports these before and after.
 */
import { noGrad } from '../../engine/grad-mode.ts';
import { tidy } from '../../engine/memory.ts';
import { Generator } from '../../core/random.ts';
import type { GPT } from '../../models/gpt.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import type { ChatMessage, ChatTemplate } from '../../data/chat/template.ts';
import { encodePrompt } from '../../data/chat/encode.ts';
import type { ChatIds } from '../../data/chat/encode.ts';
import { policyForward } from './forward.ts';
import { rollout } from './rollout.ts';
import type { GoldTask } from './gold-task.ts';
import type { RewardScorer } from './reward-scorer.ts';
import type { ReferenceModel } from './lora.ts';

export interface PolicyEvalOptions {
  prompts: readonly (readonly ChatMessage[])[];
  samplesPerPrompt: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
  task?: GoldTask | null;
  rewardModel?: RewardScorer | null;
  reference?: ReferenceModel | null;
  /** Rows per generation call. */
  chunk?: number;
}

export interface PolicyEval {
  gold: number | null;
  reward: number | null;
  /** Mean over answers of the summed per-token k1 KL to the reference (an unbiased sequence KL estimate). */
  kl: number | null;
  eosRate: number;
  length: number;
  samples: { prompt: string; response: string; gold: number | null; reward: number | null }[];
}

export function evaluatePolicy(
  policy: GPT,
  tokenizer: Tokenizer,
  template: ChatTemplate,
  ids: ChatIds,
  o: PolicyEvalOptions,
): PolicyEval {
  const g = new Generator(o.seed);
  const promptIds = o.prompts.map((p) => encodePrompt(tokenizer, template, p));
  const rows: number[] = [];
  for (let i = 0; i < o.prompts.length; i++) for (let k = 0; k < o.samplesPerPrompt; k++) rows.push(i);
  const chunk = o.chunk ?? 128;
  let goldSum = 0;
  let rewardSum = 0;
  let klSum = 0;
  let eos = 0;
  let len = 0;
  const samples: PolicyEval['samples'] = [];
  for (let s = 0; s < rows.length; s += chunk) {
    const part = rows.slice(s, s + chunk);
    const r = rollout(
      policy,
      tokenizer,
      ids,
      part.map((i) => promptIds[i]!),
      { temperature: o.temperature, maxNewTokens: o.maxNewTokens, generator: g },
    );
    const scores = o.rewardModel ? o.rewardModel.score(r.batch) : null;
    if (o.reference) {
      const { B, R } = r.batch;
      const [lp, lr] = noGrad(() =>
        tidy(() => [
          policyForward(policy, r.batch, o.temperature).logprobs.toTypedArray(),
          o.reference!.run((m) => policyForward(m, r.batch, o.temperature).logprobs.toTypedArray()),
        ]),
      );
      for (let b = 0; b < B; b++)
        for (let t = 0; t < R; t++)
          if (r.batch.responseMask[b * R + t] !== 0) klSum += lp![b * R + t]! - lr![b * R + t]!;
    }
    part.forEach((pi, j) => {
      const finished = r.batch.hasEos[j]!;
      const gold = o.task ? o.task.gold(o.prompts[pi]!, r.texts[j]!, finished) : null;
      const reward = scores ? scores.normalized[j]! : null;
      if (gold !== null) goldSum += gold;
      if (reward !== null) rewardSum += reward;
      eos += finished ? 1 : 0;
      len += r.batch.responseLengths[j]!;
      if (samples.length < 64)
        samples.push({ prompt: o.prompts[pi]!.map((m) => m.content).join(' | '), response: r.texts[j]!, gold, reward });
    });
  }
  const n = rows.length;
  return {
    gold: o.task ? goldSum / n : null,
    reward: o.rewardModel ? rewardSum / n : null,
    kl: o.reference ? klSum / n : null,
    eosRate: eos / n,
    length: len / n,
    samples,
  };
}
