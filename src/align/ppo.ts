/**
 * PPO-RLHF (stage 3 of the notes' section 3) with four models: the actor (a copy of the
 * SFT model, trained), the reference (another copy, frozen), the critic (a value head on a
 * backbone, initialized from the reward model by default or from the SFT model, trained),
 * and the frozen reward model. Each step:
 *
 *   1. rollout: sample answers to a batch of prompts purely from the actor (top_k 0, top_p 1,
 *      temperature T), left-padded prompts, KV cache, stop at EOS (details 3, 5, 9);
 *   2. score (no gradient, dropout off everywhere, detail 7): actor and reference
 *      log-probabilities at temperature T (detail 6), critic values, RM score at the last
 *      token, normalized (details 1, 16); answers without EOS lose `missingEosPenalty` (10);
 *   3. rewards r_t = -beta * KL_t per token (k1/k2/k3, detail 13), the score added at the last
 *      token (details 11, 12); beta fixed or adaptive (detail 14);
 *   4. GAE backwards over the response (gamma, lambda; detail 21), returns = A + V, advantages
 *      whitened over valid tokens (detail 19);
 *   5. several epochs over minibatches drawn as permutations (detail 24), micro-batches
 *      accumulating gradients of token-mean losses (detail 25): clipped surrogate (22),
 *      clipped value loss (23), entropy bonus c*S (28), log-ratio clamp (31), global-norm
 *      clipping per model and Adam eps 1e-5 with linear LR decay (26); a minibatch whose mean
 *      ratio exceeds ratioThreshold is skipped and the step's updates stop once approx-KL
 *      exceeds 1.5 * targetKl (29).
 *
 * The old log-probabilities and values are computed over exactly the micro-batches of the
 * first epoch's first permutation, so the first minibatch sees bit-identical forwards and its
 * ratio is exactly 1 (detail 8).
 */
import { noGrad } from '../engine/grad-mode.ts';
import { tensor } from '../engine/ops/creation.ts';
import { EpochSampler } from './shared/sampler.ts';
import { tidy } from '../engine/memory.ts';
import { add, mul, sub } from '../engine/ops/elementwise.ts';
import { ArgumentError } from '../core/errors.ts';
import type { GPT } from '../models/gpt.ts';
import { ScalarHeadModel } from '../models/heads.ts';
import { flattenParameters } from '../nn/module.ts';
import type { AdamW } from '../optim/adamw.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { encodePrompt } from '../data/chat/encode.ts';
import type { ChatIds } from '../data/chat/encode.ts';
import type { ChatMessage, ChatTemplate } from '../data/chat/template.ts';
import type { JsonValue } from '../core/json.ts';
import type { SequenceBatch } from './shared/batch.ts';
import { policyForward, valueForward } from './shared/forward.ts';
import { computeGae } from './shared/gae.ts';
import { createKlController } from './shared/kl-controller.ts';
import type { KlController } from './shared/kl-controller.ts';
import { klPerToken } from './shared/kl.ts';
import type { KlEstimator } from './shared/kl.ts';
import { maskCount, maskedMean, maskedVar, maskedWhiten } from './shared/masked.ts';
import { forwardMicroBatches, microBatches, minibatches } from './shared/micro-batches.ts';
import type { OnlineHyper, OnlineStageInputs } from './shared/online-stage.ts';
import { rewardSpecOf, runOnlineStage, startOnlineStage } from './shared/online-stage.ts';
import { clippedPolicyLoss, clippedValueLoss, maskedTokenMean } from './shared/ppo-loss.ts';
import { penalizedScores } from './shared/reward-scorer.ts';
import type { RewardScorer } from './shared/reward-scorer.ts';
import { componentMetrics, scoreRollout } from './shared/reward-functions.ts';
import type { RewardSpec } from './shared/reward-functions.ts';
import type { JsonValue as Json } from '../core/json.ts';
import { rollout } from './shared/rollout.ts';
import type { RlAlgorithm, RlLoopResult, RlStepResult } from './shared/rl-loop.ts';
import { clippedStep, lrFactor, rlOptimizer } from './shared/rl-optimizer.ts';
import { RlStreams } from './shared/rl-streams.ts';
import type { RlStreamsState } from './shared/rl-streams.ts';
import { rolloutSamples } from './shared/samples.ts';
import type { RlSample } from './shared/samples.ts';
import { cloneGpt, shareFrozenWeights } from './shared/setup.ts';
import { addLora, LORA_DEFAULTS } from './shared/lora.ts';
import type { LoraHyper, ReferenceModel } from './shared/lora.ts';
import type { GoldTask } from './shared/gold-task.ts';
import type { ModuleEntry, OptimizerEntry } from './shared/checkpoint.ts';

export interface PpoHyper extends OnlineHyper {
  /** Episodes (prompts) per rollout. */
  batchSize: number;
  /** Episodes per optimizer step. */
  miniBatchSize: number;
  /** Episodes per forward/backward (gradient accumulation within a minibatch). */
  microBatchSize: number;
  ppoEpochs: number;
  criticLr: number;
  klCoef: number;
  klEstimator: KlEstimator;
  /** Adaptive KL: the target sequence KL (null: fixed beta). */
  klTarget: number | null;
  klHorizon: number;
  gamma: number;
  lam: number;
  clipEps: number;
  valueClip: number;
  vfCoef: number;
  /** The notes' c in loss = -(L_CLIP + c*S); most RLHF stacks use 0. */
  entropyCoef: number;
  /** Stop the step's updates once a minibatch's approx-KL exceeds 1.5 * targetKl (null: never). */
  targetKl: number | null;
  /** Skip a minibatch whose mean ratio exceeds this (TRL legacy ratio_threshold). */
  ratioThreshold: number;
  /** Whiten the shaped rewards (shift_mean false) before GAE; off by default (N+ found it hurts). */
  whitenRewards: boolean;
  /** Critic initialization: from the reward model (default, InstructGPT) or the SFT model with a zero head. */
  criticInit: 'reward' | 'sft';
  /**
   * PPO-ptx (InstructGPT Eq. 2): gamma of the pretraining term, loss += gamma * NLL of a batch
   * of pretraining text per minibatch (0: plain PPO; needs ptxTexts).
   */
  ptxCoef: number;
}

export const PPO_DEFAULTS: PpoHyper = {
  steps: 100,
  batchSize: 64,
  miniBatchSize: 16,
  microBatchSize: 16,
  ppoEpochs: 4,
  lr: 1e-4,
  criticLr: 1e-4,
  adamEps: 1e-5,
  lrSchedule: 'linear',
  gradClip: 1.0,
  temperature: 1.0,
  maxNewTokens: 24,
  klCoef: 0.05,
  klEstimator: 'k1',
  klTarget: null,
  klHorizon: 10000,
  gamma: 1,
  lam: 0.95,
  clipEps: 0.2,
  valueClip: 0.2,
  vfCoef: 0.1,
  entropyCoef: 0,
  targetKl: 0.1,
  ratioThreshold: 10,
  missingEosPenalty: 1,
  scoreClip: 10,
  whitenRewards: false,
  criticInit: 'reward',
  ptxCoef: 0,
  ...LORA_DEFAULTS,
  evalEvery: 20,
  evalSamplesPerPrompt: 4,
  sampleEvery: 10,
  checkpointEvery: 50,
  seed: 1337,
  resume: false,
  timeLimitSeconds: null,
};

export function validatePpo(h: PpoHyper): void {
  const req = (ok: boolean, field: string, msg: string): void => {
    if (!ok) throw new ArgumentError(`ppo.${field}`, msg);
  };
  req(Number.isInteger(h.batchSize) && h.batchSize >= 2, 'batchSize', `must be an integer >= 2, got ${h.batchSize}`);
  req(
    Number.isInteger(h.miniBatchSize) && h.miniBatchSize >= 1 && h.batchSize % h.miniBatchSize === 0,
    'miniBatchSize',
    `must divide batchSize (${h.batchSize}), got ${h.miniBatchSize}`,
  );
  req(
    Number.isInteger(h.microBatchSize) && h.microBatchSize >= 1 && h.miniBatchSize % h.microBatchSize === 0,
    'microBatchSize',
    `must divide miniBatchSize (${h.miniBatchSize}), got ${h.microBatchSize}`,
  );
  req(h.temperature > 0, 'temperature', `must be > 0, got ${h.temperature}`);
  req(h.clipEps > 0 && h.clipEps < 1, 'clipEps', `must be in (0, 1), got ${h.clipEps}`);
  req(h.gamma >= 0 && h.gamma <= 1 && h.lam >= 0 && h.lam <= 1, 'gamma', 'gamma and lam must be in [0, 1]');
  req(h.klCoef >= 0, 'klCoef', `must be >= 0, got ${h.klCoef}`);
  req(['k1', 'k2', 'k3'].includes(h.klEstimator), 'klEstimator', `must be k1, k2 or k3, got ${h.klEstimator}`);
  req(
    h.criticInit === 'reward' || h.criticInit === 'sft',
    'criticInit',
    `must be "reward" or "sft", got ${h.criticInit}`,
  );
  req(Number.isInteger(h.ppoEpochs) && h.ppoEpochs >= 1, 'ppoEpochs', `must be an integer >= 1, got ${h.ppoEpochs}`);
}

/** Everything of one rollout the update reads, as [B, R] arrays in the rollout's layout. */
export interface Experience {
  batch: SequenceBatch;
  oldLogprobs: Float32Array;
  refLogprobs: Float32Array;
  values: Float32Array;
  /** Shaped per-token rewards: -beta * KL_t, plus the score at the last token. */
  rewards: Float32Array;
  /** Per-answer scores after the missing-EOS penalty and clipping. */
  scores: Float32Array;
  /** Whitened GAE advantages. */
  advantages: Float32Array;
  returns: Float32Array;
  /** The micro-batches (row lists) the old log-probabilities were computed on = the first epoch's. */
  firstEpochOrder: number[];
}

interface PpoState extends RlStreamsState {
  klCoef: number;
}

export class PpoAlgorithm implements RlAlgorithm {
  readonly actorOptimizer: AdamW;
  readonly criticOptimizer: AdamW;
  readonly kl: KlController;
  private readonly streams: RlStreams;
  private readonly promptIds: number[][];
  private readonly ptxRows: number[][];
  private readonly ptxSampler: EpochSampler;
  /** The last step's experience (tests read it). */
  lastExperience: Experience | null = null;
  /** The ratio statistics of the first minibatch of the last step (detail 8's check). */
  firstMinibatch: { ratioMean: number; ratioMaxDev: number } | null = null;

  constructor(
    readonly policy: GPT,
    readonly reference: ReferenceModel,
    readonly critic: ScalarHeadModel,
    readonly reward: RewardSpec,
    readonly tokenizer: Tokenizer,
    readonly ids: ChatIds,
    readonly prompts: readonly (readonly ChatMessage[])[],
    template: ChatTemplate,
    readonly h: PpoHyper,
    readonly task: GoldTask | null,
    readonly examples: readonly Readonly<Record<string, Json>>[] | null = null,
    /** PPO-ptx's pretraining text (tokenized into rows of up to 64 tokens). */
    ptxTexts: readonly string[] = [],
  ) {
    validatePpo(h);
    if (h.ptxCoef > 0 && ptxTexts.length === 0)
      throw new ArgumentError('ppo.ptxCoef', 'PPO-ptx needs pretraining text (ptxTexts, --ptx-data FILE)');
    const len = Math.min(64, policy.config.blockSize);
    this.ptxRows = ptxTexts
      .map((t) => tokenizer.encodeIds(t, { addSpecialTokens: false }).slice(0, len + 1))
      .filter((r) => r.length >= 2);
    this.ptxSampler = new EpochSampler(Math.max(this.ptxRows.length, 1), h.seed + 3);
    for (const m of [policy, reference.model, critic]) m.eval(); // dropout off in all four models (detail 7)
    this.promptIds = prompts.map((p) => encodePrompt(tokenizer, template, p));
    flattenParameters(policy);
    flattenParameters(critic);
    this.actorOptimizer = rlOptimizer(policy, h.lr, h.adamEps);
    this.criticOptimizer = rlOptimizer(critic, h.criticLr, h.adamEps);
    this.kl = createKlController(h);
    this.streams = new RlStreams(prompts.length, h.seed);
  }

  extraModules(): ModuleEntry[] {
    return [{ prefix: 'critic', module: this.critic }];
  }

  optimizers(): OptimizerEntry[] {
    return [
      { prefix: 'optim', optimizer: this.actorOptimizer },
      { prefix: 'critic-optim', optimizer: this.criticOptimizer },
    ];
  }

  state(): JsonValue {
    const s: PpoState = { klCoef: this.kl.value, ...this.streams.getState() };
    return s as unknown as JsonValue;
  }

  loadState(raw: JsonValue): void {
    const s = raw as unknown as PpoState;
    this.kl.value = s.klCoef;
    this.streams.setState(s);
  }

  /** Steps 1-4: rollout, scoring, shaped rewards, GAE. */
  async collect(
    rows: readonly number[],
  ): Promise<{ exp: Experience; stats: Record<string, number>; samples: RlSample[] }> {
    const h = this.h;
    const r = rollout(
      this.policy,
      this.tokenizer,
      this.ids,
      rows.map((i) => this.promptIds[i]!),
      { temperature: h.temperature, maxNewTokens: h.maxNewTokens, generator: this.streams.sampling },
    );
    const batch = r.batch;
    const { B, R } = batch;
    const order = this.streams.permutation(B);
    // old log-probs over the first epoch's micro-batches (bit-identical to the first minibatch's forward)
    const {
      lp: oldLogprobs,
      ent: entropy,
      ref: refLogprobs,
      v: values,
    } = forwardMicroBatches(batch, order, h.microBatchSize, this.ids, (part) => {
      const pol = policyForward(this.policy, part, h.temperature, true);
      return {
        lp: pol.logprobs.toTypedArray(),
        ent: pol.entropy!.toTypedArray(),
        ref: this.reference.run((m) => policyForward(m, part, h.temperature).logprobs.toTypedArray()),
        v: valueForward(this.critic, part).toTypedArray(),
      };
    });
    const mask = batch.responseMask;
    const rowPrompts = r.promptIndex.map((i) => this.prompts[rows[i]!]!);
    const scored = await scoreRollout(
      this.reward,
      batch,
      rowPrompts,
      r.texts,
      this.examples ? r.promptIndex.map((i) => this.examples![rows[i]!]!) : null,
    );
    const scores = penalizedScores(scored.total, batch.hasEos, h.missingEosPenalty, h.scoreClip);
    // per-token rewards: -beta * KL_t, the score at the last token
    const klEst = klPerToken(oldLogprobs, refLogprobs, mask, h.klEstimator);
    const klK1 = klPerToken(oldLogprobs, refLogprobs, mask, 'k1');
    const beta = this.kl.value;
    let rewards: Float32Array = new Float32Array(B * R);
    let nonScore = 0;
    let klSum = 0;
    let klEstSum = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < batch.responseLengths[b]!; t++) {
        rewards[b * R + t] = -beta * klEst[b * R + t]!;
        nonScore += rewards[b * R + t]!;
        klSum += klK1[b * R + t]!;
        klEstSum += klEst[b * R + t]!;
      }
      rewards[b * R + batch.responseLengths[b]! - 1]! += scores[b]!;
    }
    if (h.whitenRewards) rewards = maskedWhiten(rewards, mask, false);
    // values are only defined on valid tokens; padding stays 0
    for (let i = 0; i < B * R; i++) if (mask[i] === 0) values[i] = 0;
    const gae = computeGae(rewards, values, mask, B, R, h.gamma, h.lam);
    const advantages = maskedWhiten(gae.advantages, mask);

    const { golds, samples } = rolloutSamples(r.texts, rowPrompts, batch.hasEos, scored.total, this.task);
    const tokens = maskCount(mask);
    const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
    const retVar = maskedVar(gae.returns, mask);
    const residual = gae.returns.map((x, i) => x - values[i]!);
    const stats: Record<string, number> = {
      reward: mean(scored.total),
      ...(scored.raw !== null ? { reward_raw: mean(scored.raw) } : {}),
      ...componentMetrics(scored),
      score: mean(scores),
      ...(golds ? { gold: mean(golds) } : {}),
      kl: klSum / B,
      kl_estimate: klEstSum / B,
      kl_coef: beta,
      non_score_reward: nonScore / B,
      rlhf_reward: mean(scores) + nonScore / B,
      entropy: maskedMean(entropy, mask),
      response_length: tokens / B,
      eos_rate: batch.hasEos.filter(Boolean).length / B,
      value_mean: maskedMean(values, mask),
      returns_mean: maskedMean(gae.returns, mask),
      explained_variance: retVar > 0 ? 1 - maskedVar(residual, mask) / retVar : 0,
    };
    const exp: Experience = {
      batch,
      oldLogprobs,
      refLogprobs,
      values,
      rewards,
      scores,
      advantages,
      returns: gae.returns,
      firstEpochOrder: order,
    };
    return { exp, stats, samples };
  }

  /**
   * PPO-ptx: accumulates gamma * (mean token NLL of `rows` pretraining rows) into the actor's
   * gradients (InstructGPT's gamma * E[log pi(x)] term, as a loss); returns the NLL.
   */
  ptxBackward(rows: number): number {
    const picked = this.ptxSampler.next(rows).map((i) => this.ptxRows[i]!);
    const T = picked.reduce((m, r) => Math.max(m, r.length - 1), 1);
    const ids = new Int32Array(picked.length * T).fill(this.ids.padId);
    const targets = new Int32Array(picked.length * T).fill(-100);
    const mask = new Int32Array(picked.length * T);
    picked.forEach((r, b) => {
      ids.set(r.slice(0, -1), b * T);
      targets.set(r.slice(1), b * T);
      mask.fill(1, b * T, b * T + r.length - 1);
    });
    return tidy(() => {
      const loss = this.policy.forward(tensor(ids, { shape: [picked.length, T], dtype: 'int32' }), {
        targets: tensor(targets, { shape: [picked.length, T], dtype: 'int32' }),
        attentionMask: tensor(mask, { shape: [picked.length, T], dtype: 'int32' }),
      }).loss!;
      mul(loss, this.h.ptxCoef).backward();
      return loss.item();
    });
  }

  /** Step 5: PPO epochs over the experience; returns the update's statistics. */
  update(exp: Experience, lrScale: number): Record<string, number> {
    const h = this.h;
    const { batch } = exp;
    const B = batch.B;
    this.actorOptimizer.setLearningRate(h.lr * lrScale);
    this.criticOptimizer.setLearningRate(h.criticLr * lrScale);
    const acc = {
      ptx: 0,
      pg: 0,
      vf: 0,
      ent: 0,
      clip: 0,
      vclip: 0,
      approxKl: 0,
      ratio: 0,
      n: 0,
      skipped: 0,
      gradNorm: 0,
      criticGradNorm: 0,
    };
    let epochsDone = 0;
    let stop = false;
    this.firstMinibatch = null;
    for (let epoch = 0; epoch < h.ppoEpochs && !stop; epoch++) {
      const order = epoch === 0 ? exp.firstEpochOrder : this.streams.permutation(B);
      for (const { rows: mbRows, tokens: mbTokens } of minibatches(batch, order, h.miniBatchSize)) {
        if (stop) break;
        const mb = { pg: 0, vf: 0, ent: 0, clip: 0, vclip: 0, approxKl: 0, ratio: 0, maxDev: 0 };
        for (const micro of microBatches(batch, mbRows, h.microBatchSize, this.ids)) {
          const part = micro.part;
          tidy(() => {
            const mask = micro.mask();
            const pol = policyForward(this.policy, part, h.temperature, h.entropyCoef > 0);
            const pl = clippedPolicyLoss(
              pol.logprobs,
              micro.gather(exp.oldLogprobs),
              micro.gather(exp.advantages),
              mask,
              { clipEps: h.clipEps, denominator: mbTokens },
            );
            const v = valueForward(this.critic, part);
            const vl = clippedValueLoss(
              v,
              micro.gather(exp.values),
              micro.gather(exp.returns),
              mask,
              h.valueClip,
              mbTokens,
            );
            let loss = add(pl.loss, mul(vl.loss, h.vfCoef));
            if (h.entropyCoef > 0) {
              const ent = maskedTokenMean(pol.entropy!, mask, mbTokens);
              loss = sub(loss, mul(ent, h.entropyCoef));
              mb.ent += ent.item();
            }
            loss.backward();
            const w = maskCount(part.responseMask) / mbTokens;
            mb.pg += pl.loss.item();
            mb.vf += vl.loss.item();
            mb.clip += pl.clipFrac * w;
            mb.vclip += vl.clipFrac * w;
            mb.approxKl += pl.approxKl * w;
            mb.ratio += pl.ratioMean * w;
            mb.maxDev = Math.max(mb.maxDev, pl.ratioMaxDev);
          });
        }
        if (this.firstMinibatch === null) this.firstMinibatch = { ratioMean: mb.ratio, ratioMaxDev: mb.maxDev };
        if (h.ptxCoef > 0) acc.ptx += this.ptxBackward(h.miniBatchSize);
        if (mb.ratio > h.ratioThreshold) {
          // a runaway ratio: skip this minibatch (TRL legacy ratio_threshold)
          acc.skipped++;
        } else {
          acc.gradNorm += clippedStep(this.actorOptimizer, h.gradClip);
          acc.criticGradNorm += clippedStep(this.criticOptimizer, h.gradClip);
        }
        this.actorOptimizer.zeroGrad();
        this.criticOptimizer.zeroGrad();
        acc.pg += mb.pg;
        acc.vf += mb.vf;
        acc.ent += mb.ent;
        acc.clip += mb.clip;
        acc.vclip += mb.vclip;
        acc.approxKl += mb.approxKl;
        acc.ratio += mb.ratio;
        acc.n++;
        if (h.targetKl !== null && mb.approxKl > 1.5 * h.targetKl) stop = true; // trust-region guard (detail 29)
      }
      epochsDone++;
    }
    const n = Math.max(acc.n, 1);
    const steps = Math.max(acc.n - acc.skipped, 1);
    return {
      policy_loss: acc.pg / n,
      ...(h.ptxCoef > 0 ? { ptx_loss: acc.ptx / n } : {}),
      value_loss: acc.vf / n,
      entropy_bonus: acc.ent / n,
      clip_frac: acc.clip / n,
      value_clip_frac: acc.vclip / n,
      approx_kl: acc.approxKl / n,
      ratio: acc.ratio / n,
      ratio_first: this.firstMinibatch?.ratioMean ?? 1,
      ratio_first_max_dev: this.firstMinibatch?.ratioMaxDev ?? 0,
      minibatches: acc.n,
      skipped: acc.skipped,
      epochs: epochsDone,
      early_stop: stop ? 1 : 0,
      grad_norm: acc.gradNorm / steps,
      critic_grad_norm: acc.criticGradNorm / steps,
      lr: h.lr * lrScale,
    };
  }

  async step(step: number): Promise<RlStepResult> {
    const h = this.h;
    const rows = this.streams.prompts.next(h.batchSize);
    const { exp, stats, samples } = await this.collect(rows);
    this.lastExperience = exp;
    const upd = this.update(exp, lrFactor(h.lrSchedule, step, h.steps));
    this.kl.update(stats['kl']!, h.batchSize);
    return { metrics: { ...stats, ...upd }, samples };
  }
}

/** The SFT model (`policy`) is copied into the actor and the frozen reference. */
export interface PpoOptions extends PpoHyper, OnlineStageInputs {}

export interface PpoResult {
  actor: GPT;
  critic: ScalarHeadModel;
  reference: ReferenceModel;
  algorithm: PpoAlgorithm;
  loop: RlLoopResult;
}

/**
 * The critic: the reward model's backbone and head with the RM normalization folded into
 * the head (w / std, (b - mean) / std), so its first values are normalized scores of the
 * partial answers (detail 18); or the SFT backbone with a zero head.
 */
export function buildCritic(
  init: 'reward' | 'sft',
  policy: GPT,
  scorer: RewardScorer | null,
  seed: number,
  lora: LoraHyper = LORA_DEFAULTS,
): ScalarHeadModel {
  if (init === 'reward' && scorer === null)
    throw new ArgumentError('ppo.criticInit', 'a critic from the reward model needs a reward model (use sft)');
  const source = init === 'sft' || scorer === null ? policy : scorer.model.backbone;
  const critic = new ScalarHeadModel(cloneGpt(source, seed), 'zero', seed);
  if (init === 'reward' && scorer !== null) {
    const rm = scorer.model;
    const { mean, std } = scorer.normalization;
    noGrad(() => {
      critic.head.weight.copy_(mul(rm.head.weight, 1 / std));
      critic.head.bias!.copy_(mul(sub(rm.head.bias!, mean), 1 / std));
    });
  }
  // LoRA: the critic's backbone shares the frozen weights of its source, trains adapters and its head
  if (lora.loraR > 0) {
    shareFrozenWeights(critic.backbone, source);
    addLora(critic, critic.backbone, lora, seed + 1, 'backbone.');
    critic.head.requiresGrad_(true);
  }
  return critic;
}

export async function trainPpo(o: PpoOptions): Promise<PpoResult> {
  validatePpo(o);
  const start = startOnlineStage('ppo', o);
  const { prepared, policy: actor, reference } = start;
  const reward = rewardSpecOf(o, 'ppo');
  // without a reward model the critic starts from the SFT model with a zero head
  const critic = buildCritic(o.scorer === null ? 'sft' : o.criticInit, prepared.model, o.scorer, o.seed, o);
  const algorithm = new PpoAlgorithm(
    actor,
    reference,
    critic,
    reward,
    o.tokenizer,
    prepared.ids,
    o.prompts,
    prepared.template,
    o,
    o.task ?? null,
    o.examples ?? null,
    o.ptxTexts ?? [],
  );
  const loop = await runOnlineStage('ppo', o, {
    start,
    algorithm,
    progressKeys: ['reward', 'gold', 'kl', 'approx_kl', 'clip_frac'],
  });
  return { actor, critic, reference, algorithm, loop };
}
