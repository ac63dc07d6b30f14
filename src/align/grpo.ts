/**
 * GRPO (DeepSeekMath, arXiv:2402.03300): no critic. For each prompt sample a group of G
 * answers, score them with the frozen reward model (normalized, EOS penalty), and use the
 * group-normalized score (r - mean_group) / (std_group + 1e-4) as every token's advantage.
 * The loss is the clipped surrogate plus beta * k3(pi_theta, pi_ref) in the loss (not in the
 * reward), aggregated per sequence then over sequences ('grpo'), or as a token mean ('token',
 * DAPO / Dr. GRPO style). Shares PPO's rollout, scoring, minibatching, checkpoints, metrics
 * and loop, so the two can be compared on the same task with the same models.
 */
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { add, mul } from '../engine/ops/elementwise.ts';
import { sum } from '../engine/ops/reduce.ts';
import { ArgumentError } from '../core/errors.ts';
import type { GPT } from '../models/gpt.ts';
import { flattenParameters } from '../nn/module.ts';
import type { AdamW } from '../optim/adamw.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { encodePrompt } from '../data/chat/encode.ts';
import type { ChatIds } from '../data/chat/encode.ts';
import type { ChatMessage, ChatTemplate } from '../data/chat/template.ts';
import type { JsonValue } from '../core/json.ts';
import { policyForward } from './shared/forward.ts';
import { k3Tensor, klPerToken } from './shared/kl.ts';
import { maskCount, maskedMean } from './shared/masked.ts';
import { forwardMicroBatches, microBatches, minibatches } from './shared/micro-batches.ts';
import type { OnlineHyper, OnlineStageInputs } from './shared/online-stage.ts';
import { rewardSpecOf, runOnlineStage, startOnlineStage } from './shared/online-stage.ts';
import { clippedPolicyLoss } from './shared/ppo-loss.ts';
import { penalizedScores } from './shared/reward-scorer.ts';
import { componentMetrics, scoreRollout } from './shared/reward-functions.ts';
import type { RewardSpec } from './shared/reward-functions.ts';
import type { JsonValue as Json } from '../core/json.ts';
import { rollout } from './shared/rollout.ts';
import type { RlAlgorithm, RlLoopResult, RlStepResult } from './shared/rl-loop.ts';
import { clippedStep, lrFactor, rlOptimizer } from './shared/rl-optimizer.ts';
import { RlStreams } from './shared/rl-streams.ts';
import type { RlStreamsState } from './shared/rl-streams.ts';
import { rolloutSamples } from './shared/samples.ts';
import { LORA_DEFAULTS } from './shared/lora.ts';
import type { ReferenceModel } from './shared/lora.ts';
import type { GoldTask } from './shared/gold-task.ts';
import type { ModuleEntry, OptimizerEntry } from './shared/checkpoint.ts';

export interface GrpoHyper extends OnlineHyper {
  /** Prompts per step; each gets groupSize answers. */
  promptsPerStep: number;
  groupSize: number;
  /** Answers per optimizer step. */
  miniBatchSize: number;
  microBatchSize: number;
  /** Passes over each batch (GRPO's mu; 1 = on-policy, the ratio is 1 but still carries the gradient). */
  numIterations: number;
  /** Coefficient of the k3 KL term in the loss. */
  beta: number;
  clipEps: number;
  /** How advantages are scaled: by the group's std (GRPO), the batch's, or not at all (Dr. GRPO). */
  scaleRewards: 'group' | 'batch' | 'none';
  /**
   * How token losses add up over a minibatch: 'grpo' mean over each answer's tokens, then over
   * answers; 'token' mean over all tokens (DAPO); 'dr_grpo' sum over tokens / (answers ·
   * maxNewTokens) (Dr. GRPO, no length bias); 'sequence' sum over each answer's tokens, mean
   * over answers (REINFORCE on the sequence log-probability: RLOO).
   */
  lossType: 'grpo' | 'token' | 'dr_grpo' | 'sequence';
  /** Clip-higher (DAPO): the ratio's upper clip is 1 + epsilonHigh (null: 1 + clipEps). */
  epsilonHigh: number | null;
  /** Answers cut at maxNewTokens (no EOS) are left out of the loss (DAPO's overlong filtering, TRL's mask_truncated_completions). */
  maskTruncatedCompletions: boolean;
  /** Advantages: 'group' (r - group mean, scaled by scaleRewards) or 'rloo' (r - mean of the other answers of the prompt). */
  advantageEstimator: 'group' | 'rloo';
  /** Where beta's KL goes: the loss (k3, GRPO) or the reward (summed k1 of each answer, RLOO). */
  klIn: 'loss' | 'reward';
}

export const GRPO_DEFAULTS: GrpoHyper = {
  steps: 100,
  promptsPerStep: 16,
  groupSize: 4,
  miniBatchSize: 16,
  microBatchSize: 16,
  numIterations: 1,
  lr: 1e-4,
  adamEps: 1e-5,
  lrSchedule: 'linear',
  gradClip: 1.0,
  temperature: 1.0,
  maxNewTokens: 24,
  beta: 0.04,
  clipEps: 0.2,
  scaleRewards: 'group',
  lossType: 'grpo',
  epsilonHigh: null,
  maskTruncatedCompletions: false,
  advantageEstimator: 'group',
  klIn: 'loss',
  ...LORA_DEFAULTS,
  missingEosPenalty: 1,
  scoreClip: 10,
  evalEvery: 20,
  evalSamplesPerPrompt: 4,
  sampleEvery: 10,
  checkpointEvery: 50,
  seed: 1337,
  resume: false,
  timeLimitSeconds: null,
};

export function validateGrpo(h: GrpoHyper): void {
  const req = (ok: boolean, field: string, msg: string): void => {
    if (!ok) throw new ArgumentError(`grpo.${field}`, msg);
  };
  const B = h.promptsPerStep * h.groupSize;
  req(
    Number.isInteger(h.groupSize) && h.groupSize >= 2,
    'groupSize',
    `must be an integer >= 2 (advantages compare answers within a group), got ${h.groupSize}`,
  );
  req(
    Number.isInteger(h.promptsPerStep) && h.promptsPerStep >= 1,
    'promptsPerStep',
    `must be an integer >= 1, got ${h.promptsPerStep}`,
  );
  req(
    Number.isInteger(h.miniBatchSize) && h.miniBatchSize >= 1 && B % h.miniBatchSize === 0,
    'miniBatchSize',
    `must divide promptsPerStep * groupSize (${B}), got ${h.miniBatchSize}`,
  );
  req(
    Number.isInteger(h.microBatchSize) && h.microBatchSize >= 1 && h.miniBatchSize % h.microBatchSize === 0,
    'microBatchSize',
    `must divide miniBatchSize (${h.miniBatchSize}), got ${h.microBatchSize}`,
  );
  req(h.temperature > 0, 'temperature', `must be > 0, got ${h.temperature}`);
  req(h.beta >= 0, 'beta', `must be >= 0, got ${h.beta}`);
  req(
    ['group', 'batch', 'none'].includes(h.scaleRewards),
    'scaleRewards',
    `must be group, batch or none, got ${h.scaleRewards}`,
  );
  req(
    ['grpo', 'token', 'dr_grpo', 'sequence'].includes(h.lossType),
    'lossType',
    `must be grpo, token, dr_grpo or sequence, got ${h.lossType}`,
  );
  req(
    h.epsilonHigh === null || (h.epsilonHigh > 0 && h.epsilonHigh < 10),
    'epsilonHigh',
    `must be in (0, 10) or null, got ${h.epsilonHigh}`,
  );
  req(
    h.advantageEstimator === 'group' || h.advantageEstimator === 'rloo',
    'advantageEstimator',
    `must be group or rloo, got ${h.advantageEstimator}`,
  );
  req(h.klIn === 'loss' || h.klIn === 'reward', 'klIn', `must be loss or reward, got ${h.klIn}`);
}

/** Group-normalized advantages of scores laid out group after group: (r - mean) / (std + 1e-4); std unbiased, as torch.std. */
export function groupAdvantages(
  scores: ArrayLike<number>,
  groupSize: number,
  scale: GrpoHyper['scaleRewards'],
): { advantages: Float32Array; groupStdMean: number; zeroStdFraction: number } {
  const n = scores.length;
  if (n % groupSize !== 0)
    throw new ArgumentError('groupAdvantages', `${n} scores do not split into groups of ${groupSize}`);
  const adv = new Float32Array(n);
  let stdSum = 0;
  let zero = 0;
  const groups = n / groupSize;
  const stds: number[] = [];
  for (let g = 0; g < groups; g++) {
    let mean = 0;
    for (let i = 0; i < groupSize; i++) mean += scores[g * groupSize + i]! / groupSize;
    let ss = 0;
    for (let i = 0; i < groupSize; i++) ss += (scores[g * groupSize + i]! - mean) ** 2;
    const std = Math.sqrt(ss / (groupSize - 1));
    stds.push(std);
    stdSum += std;
    if (std < 1e-6) zero++;
    for (let i = 0; i < groupSize; i++) adv[g * groupSize + i] = scores[g * groupSize + i]! - mean;
  }
  if (scale === 'group') for (let i = 0; i < n; i++) adv[i] = adv[i]! / (stds[Math.floor(i / groupSize)]! + 1e-4);
  if (scale === 'batch') {
    let m = 0;
    for (let i = 0; i < n; i++) m += scores[i]! / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (scores[i]! - m) ** 2;
    const std = Math.sqrt(ss / Math.max(n - 1, 1));
    for (let i = 0; i < n; i++) adv[i] = adv[i]! / (std + 1e-4);
  }
  return { advantages: adv, groupStdMean: stdSum / groups, zeroStdFraction: zero / groups };
}

/**
 * RLOO's leave-one-out baseline (Ahmadian et al., arXiv:2402.14740): each answer's reward
 * minus the mean reward of the other k - 1 answers to the same prompt.
 */
export function rlooAdvantages(rewards: ArrayLike<number>, k: number): { advantages: Float32Array } {
  const n = rewards.length;
  if (k < 2 || n % k !== 0)
    throw new ArgumentError('rlooAdvantages', `${n} rewards do not split into groups of ${k} >= 2`);
  const adv = new Float32Array(n);
  for (let g = 0; g < n; g += k) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += rewards[g + i]!;
    for (let i = 0; i < k; i++) adv[g + i] = rewards[g + i]! - (sum - rewards[g + i]!) / (k - 1);
  }
  return { advantages: adv };
}

/**
 * Per-token loss weights of a micro-batch [b, R] (0 off the answers and on answers left out
 * of the loss), for the minibatch's aggregation (see GrpoHyper.lossType).
 */
export function lossWeights(
  mask: ArrayLike<number>,
  B: number,
  R: number,
  inLoss: readonly boolean[],
  o: {
    type: GrpoHyper['lossType'];
    sequences: number;
    tokens: number;
    maxNewTokens: number;
    minibatchRows: number;
  },
): Float32Array {
  const w = new Float32Array(B * R);
  if (o.sequences === 0) return w;
  for (let b = 0; b < B; b++) {
    if (!inLoss[b]) continue;
    let n = 0;
    for (let t = 0; t < R; t++) if (mask[b * R + t] !== 0) n++;
    const v =
      o.type === 'grpo'
        ? 1 / (n * o.sequences)
        : o.type === 'token'
          ? 1 / o.tokens
          : o.type === 'dr_grpo'
            ? 1 / (o.minibatchRows * o.maxNewTokens)
            : 1 / o.sequences;
    for (let t = 0; t < R; t++) if (mask[b * R + t] !== 0) w[b * R + t] = v;
  }
  return w;
}

export class GrpoAlgorithm implements RlAlgorithm {
  readonly optimizer: AdamW;
  private readonly streams: RlStreams;
  private readonly promptIds: number[][];
  firstMinibatch: { ratioMean: number; ratioMaxDev: number } | null = null;

  constructor(
    readonly policy: GPT,
    readonly reference: ReferenceModel,
    readonly reward: RewardSpec,
    readonly tokenizer: Tokenizer,
    readonly ids: ChatIds,
    readonly prompts: readonly (readonly ChatMessage[])[],
    template: ChatTemplate,
    readonly h: GrpoHyper,
    readonly task: GoldTask | null,
    readonly examples: readonly Readonly<Record<string, Json>>[] | null = null,
  ) {
    validateGrpo(h);
    policy.eval();
    reference.model.eval();
    this.promptIds = prompts.map((p) => encodePrompt(tokenizer, template, p));
    flattenParameters(policy);
    this.optimizer = rlOptimizer(policy, h.lr, h.adamEps);
    this.streams = new RlStreams(prompts.length, h.seed);
  }

  extraModules(): ModuleEntry[] {
    return [];
  }

  optimizers(): OptimizerEntry[] {
    return [{ prefix: 'optim', optimizer: this.optimizer }];
  }

  state(): JsonValue {
    return this.streams.getState() as unknown as JsonValue;
  }

  loadState(raw: JsonValue): void {
    this.streams.setState(raw as unknown as RlStreamsState);
  }

  async step(step: number): Promise<RlStepResult> {
    const h = this.h;
    const rows = this.streams.prompts.next(h.promptsPerStep);
    const r = rollout(
      this.policy,
      this.tokenizer,
      this.ids,
      rows.map((i) => this.promptIds[i]!),
      {
        temperature: h.temperature,
        maxNewTokens: h.maxNewTokens,
        samplesPerPrompt: h.groupSize,
        generator: this.streams.sampling,
      },
    );
    const batch = r.batch;
    const { B, R } = batch;
    const rowPrompts = r.promptIndex.map((i) => this.prompts[rows[i]!]!);
    const scored = await scoreRollout(
      this.reward,
      batch,
      rowPrompts,
      r.texts,
      this.examples ? r.promptIndex.map((i) => this.examples![rows[i]!]!) : null,
    );
    const scores = penalizedScores(scored.total, batch.hasEos, h.missingEosPenalty, h.scoreClip);
    const order = this.streams.permutation(B);
    const {
      lp: oldLogprobs,
      ent: entropy,
      ref: refLogprobs,
    } = forwardMicroBatches(batch, order, h.microBatchSize, this.ids, (part) => {
      const pol = policyForward(this.policy, part, h.temperature, true);
      return {
        lp: pol.logprobs.toTypedArray(),
        ent: pol.entropy!.toTypedArray(),
        ref: this.reference.run((m) => policyForward(m, part, h.temperature).logprobs.toTypedArray()),
      };
    });
    const mask = batch.responseMask;
    const k1 = klPerToken(oldLogprobs, refLogprobs, mask, 'k1');
    const k3 = klPerToken(oldLogprobs, refLogprobs, mask, 'k3');
    // RLOO puts beta times each answer's summed k1 KL into its reward
    const shaped = Float32Array.from(scores);
    if (h.klIn === 'reward' && h.beta > 0)
      for (let b = 0; b < B; b++) {
        let kl = 0;
        for (let t = 0; t < R; t++) kl += k1[b * R + t]!;
        shaped[b] = shaped[b]! - h.beta * kl;
      }
    const groupStats = groupAdvantages(shaped, h.groupSize, h.scaleRewards);
    const adv =
      h.advantageEstimator === 'rloo' ? { ...groupStats, ...rlooAdvantages(shaped, h.groupSize) } : groupStats;
    const tokenAdv = new Float32Array(B * R);
    for (let b = 0; b < B; b++) tokenAdv.fill(adv.advantages[b]!, b * R, b * R + batch.responseLengths[b]!);
    // answers in the loss: all, or (maskTruncatedCompletions) only those that ended with EOS
    const inLoss = batch.hasEos.map((e) => e || !h.maskTruncatedCompletions);

    // update
    const lrScale = lrFactor(h.lrSchedule, step, h.steps);
    this.optimizer.setLearningRate(h.lr * lrScale);
    const acc = { loss: 0, kl: 0, clip: 0, approxKl: 0, ratio: 0, n: 0, gradNorm: 0 };
    this.firstMinibatch = null;
    for (let it = 0; it < h.numIterations; it++) {
      const epochOrder = it === 0 ? order : this.streams.permutation(B);
      for (const { rows: mbRows, tokens: mbTokens } of minibatches(batch, epochOrder, h.miniBatchSize)) {
        const mb = { loss: 0, kl: 0, clip: 0, approxKl: 0, ratio: 0, maxDev: 0 };
        const kept = mbRows.filter((r) => inLoss[r]);
        const keptTokens = kept.reduce((n, r) => n + batch.responseLengths[r]!, 0);
        for (const micro of microBatches(batch, mbRows, h.microBatchSize, this.ids)) {
          const part = micro.part;
          tidy(() => {
            const maskT = micro.mask();
            const w = lossWeights(
              part.responseMask,
              part.B,
              part.R,
              micro.rows.map((r) => inLoss[r]!),
              {
                type: h.lossType,
                sequences: kept.length,
                tokens: keptTokens,
                maxNewTokens: h.maxNewTokens,
                minibatchRows: mbRows.length,
              },
            );
            const weights = tensor(w, { shape: [part.B, part.R] });
            const pol = policyForward(this.policy, part, h.temperature);
            const pl = clippedPolicyLoss(pol.logprobs, micro.gather(oldLogprobs), micro.gather(tokenAdv), maskT, {
              clipEps: h.clipEps,
              ...(h.epsilonHigh !== null ? { clipEpsHigh: h.epsilonHigh } : {}),
              weights,
            });
            let loss = pl.loss;
            if (h.beta > 0 && h.klIn === 'loss') {
              const klTerm = sum(mul(k3Tensor(pol.logprobs, micro.gather(refLogprobs)), weights));
              loss = add(loss, mul(klTerm, h.beta));
              mb.kl += klTerm.item();
            }
            loss.backward();
            const frac = maskCount(part.responseMask) / mbTokens;
            mb.loss += loss.item();
            mb.clip += pl.clipFrac * frac;
            mb.approxKl += pl.approxKl * frac;
            mb.ratio += pl.ratioMean * frac;
            mb.maxDev = Math.max(mb.maxDev, pl.ratioMaxDev);
          });
        }
        if (this.firstMinibatch === null) this.firstMinibatch = { ratioMean: mb.ratio, ratioMaxDev: mb.maxDev };
        const norm = clippedStep(this.optimizer, h.gradClip);
        this.optimizer.zeroGrad();
        acc.loss += mb.loss;
        acc.kl += mb.kl;
        acc.clip += mb.clip;
        acc.approxKl += mb.approxKl;
        acc.ratio += mb.ratio;
        acc.gradNorm += norm;
        acc.n++;
      }
    }
    const { golds, samples } = rolloutSamples(r.texts, rowPrompts, batch.hasEos, scored.total, this.task);
    const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
    let klSum = 0;
    let k3Sum = 0;
    for (let i = 0; i < B * R; i++) {
      klSum += k1[i]!;
      k3Sum += k3[i]!;
    }
    const n = Math.max(acc.n, 1);
    const metrics: Record<string, number> = {
      reward: mean(scored.total),
      ...componentMetrics(scored),
      score: mean(scores),
      ...(golds ? { gold: mean(golds) } : {}),
      reward_std: adv.groupStdMean,
      frac_reward_zero_std: adv.zeroStdFraction,
      kl: klSum / B,
      kl_k3: k3Sum / B,
      kl_loss: acc.kl / n,
      loss: acc.loss / n,
      entropy: maskedMean(entropy, mask),
      clip_frac: acc.clip / n,
      approx_kl: acc.approxKl / n,
      ratio: acc.ratio / n,
      ratio_first: this.firstMinibatch?.ratioMean ?? 1,
      ratio_first_max_dev: this.firstMinibatch?.ratioMaxDev ?? 0,
      response_length: maskCount(mask) / B,
      eos_rate: batch.hasEos.filter(Boolean).length / B,
      grad_norm: acc.gradNorm / n,
      lr: h.lr * lrScale,
    };
    return { metrics, samples };
  }
}

/** The SFT model (`policy`) is copied into the trained policy and the frozen reference. */
export interface GrpoOptions extends GrpoHyper, OnlineStageInputs {}

export interface GrpoResult {
  policy: GPT;
  reference: ReferenceModel;
  algorithm: GrpoAlgorithm;
  loop: RlLoopResult;
}

export async function trainGrpo(o: GrpoOptions, stage = 'grpo'): Promise<GrpoResult> {
  validateGrpo(o);
  const start = startOnlineStage(stage, o);
  const { prepared, policy, reference } = start;
  const algorithm = new GrpoAlgorithm(
    policy,
    reference,
    rewardSpecOf(o, stage),
    o.tokenizer,
    prepared.ids,
    o.prompts,
    prepared.template,
    o,
    o.task ?? null,
    o.examples ?? null,
  );
  const loop = await runOnlineStage(stage, o, {
    start,
    algorithm,
    progressKeys: ['reward', 'gold', 'kl', 'reward_std'],
  });
  return { policy, reference, algorithm, loop };
}

/**
 * RLOO (Ahmadian et al., arXiv:2402.14740; TRL's RLOOTrainer): k answers per prompt, each
 * answer's reward minus beta times its summed KL to the reference, advantage = that reward
 * minus the mean of the other k - 1 (leave-one-out baseline), REINFORCE on the sequence
 * log-probability (the clipped ratio when a batch is reused). GRPO's machinery with those
 * options.
 */
export const RLOO_DEFAULTS: GrpoHyper = {
  ...GRPO_DEFAULTS,
  advantageEstimator: 'rloo',
  klIn: 'reward',
  lossType: 'sequence',
  scaleRewards: 'none',
  beta: 0.05,
};

export function trainRloo(o: GrpoOptions): Promise<GrpoResult> {
  return trainGrpo(o, 'rloo');
}
