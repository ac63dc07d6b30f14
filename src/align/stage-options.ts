/**
 * The option tables of the alignment commands: which hyperparameters are integers or
 * nullable, and a one-line description each (shown by --help with the default).
 */
import type { FieldKinds } from './shared/config.ts';
import type { SftHyper } from './sft.ts';
import type { RewardHyper } from './reward.ts';
import type { PpoHyper } from './ppo.ts';
import type { DpoHyper } from './dpo.ts';
import type { GrpoHyper } from './grpo.ts';
import { LORA_KINDS, LORA_TEXT } from './shared/lora.ts';

const loopKinds = {
  steps: 'integer',
  batchSize: 'integer',
  warmupSteps: 'integer',
  gradAccumSteps: 'integer',
  evalEvery: 'integer',
  checkpointEvery: 'integer',
  maxLength: 'integer',
  seed: 'integer',
  gradClip: 'number',
  timeLimitSeconds: 'number',
  ...LORA_KINDS,
} as const;

const loopText = {
  batchSize: 'examples per micro-batch',
  steps: 'optimizer steps',
  lr: 'peak learning rate',
  minLr: 'final learning rate (cosine)',
  warmupSteps: 'linear warmup steps',
  weightDecay: 'AdamW weight decay',
  gradClip: 'global grad-norm clip (null: none)',
  gradAccumSteps: 'micro-batches per step',
  evalEvery: 'steps between evaluations',
  checkpointEvery: 'steps between checkpoints (0: at the end)',
  maxLength: 'longest sequence in tokens (default: block size)',
  seed: 'random seed',
  resume: "continue from the run directory's last checkpoint",
  timeLimitSeconds: 'stop after this many seconds (final eval and checkpoint still run)',
  ...LORA_TEXT,
} as const;

export const SFT_KINDS: FieldKinds<SftHyper> = { ...loopKinds };
export const SFT_TEXT: Partial<Record<keyof SftHyper, string>> = {
  ...loopText,
  packing: 'pack several conversations per row (block-diagonal attention)',
};

export const REWARD_KINDS: FieldKinds<RewardHyper> = { ...loopKinds };
export const REWARD_TEXT: Partial<Record<keyof RewardHyper, string>> = {
  ...loopText,
  batchSize: 'preference groups per micro-batch',
  centerCoef: 'reward centering coefficient c * mean((r_w + r_l)^2) (TRL: 0.01)',
};

export const DPO_KINDS: FieldKinds<DpoHyper> = { ...loopKinds };
export const DPO_TEXT: Partial<Record<keyof DpoHyper, string>> = {
  ...loopText,
  batchSize: 'pairs per micro-batch',
  beta: 'DPO beta (strength of the implicit KL)',
  lossType: 'sigmoid (DPO) | ipo | kto | orpo | simpo | cpo',
  labelSmoothing: 'conservative DPO label smoothing',
  simpoGamma: 'SimPO target margin gamma',
  cpoAlpha: 'CPO weight of the NLL term',
  desirableWeight: 'KTO weight of desirable (chosen) answers',
  undesirableWeight: 'KTO weight of undesirable (rejected) answers',
};

export const PPO_KINDS: FieldKinds<PpoHyper> = {
  steps: 'integer',
  batchSize: 'integer',
  miniBatchSize: 'integer',
  microBatchSize: 'integer',
  ppoEpochs: 'integer',
  maxNewTokens: 'integer',
  evalEvery: 'integer',
  evalSamplesPerPrompt: 'integer',
  sampleEvery: 'integer',
  checkpointEvery: 'integer',
  seed: 'integer',
  gradClip: 'number',
  klTarget: 'number',
  targetKl: 'number',
  timeLimitSeconds: 'number',
  ...LORA_KINDS,
};
export const PPO_TEXT: Partial<Record<keyof PpoHyper, string>> = {
  steps: 'PPO iterations (rollout + update)',
  batchSize: 'episodes per rollout',
  miniBatchSize: 'episodes per optimizer step',
  microBatchSize: 'episodes per forward/backward',
  ppoEpochs: 'passes over each rollout',
  lr: 'actor learning rate',
  criticLr: 'critic learning rate',
  adamEps: 'Adam epsilon',
  lrSchedule: 'linear (to 0) | constant',
  gradClip: 'grad-norm clip per model (null: none)',
  temperature: 'sampling temperature (log-probs use it too)',
  maxNewTokens: 'longest answer',
  klCoef: 'beta of the per-token KL penalty (0: none)',
  klEstimator: 'k1 | k2 | k3',
  klTarget: 'adaptive KL target (null: fixed beta)',
  klHorizon: 'adaptive KL horizon',
  gamma: 'GAE discount',
  lam: 'GAE lambda',
  clipEps: 'policy clip epsilon',
  valueClip: 'value clip',
  vfCoef: 'value loss coefficient',
  entropyCoef: 'entropy bonus c',
  targetKl: "stop the step's updates when approx-KL > 1.5 x this (null: never)",
  ratioThreshold: 'skip minibatches whose mean ratio exceeds this',
  missingEosPenalty: 'subtracted from the score of answers without EOS',
  scoreClip: 'clip normalized scores to +- this',
  whitenRewards: 'whiten shaped rewards before GAE',
  criticInit: 'reward (from the RM) | sft (SFT backbone, zero head)',
  ptxCoef: 'PPO-ptx: gamma of the pretraining NLL added to the actor loss (needs --ptx-data)',
  evalEvery: 'steps between evaluations',
  evalSamplesPerPrompt: 'answers per eval prompt',
  sampleEvery: 'steps between samples tables',
  checkpointEvery: 'steps between checkpoints',
  seed: 'random seed',
  resume: 'continue from the last checkpoint',
  timeLimitSeconds: 'stop after this many seconds',
  ...LORA_TEXT,
};

export const GRPO_KINDS: FieldKinds<GrpoHyper> = {
  steps: 'integer',
  promptsPerStep: 'integer',
  groupSize: 'integer',
  miniBatchSize: 'integer',
  microBatchSize: 'integer',
  numIterations: 'integer',
  maxNewTokens: 'integer',
  evalEvery: 'integer',
  evalSamplesPerPrompt: 'integer',
  sampleEvery: 'integer',
  checkpointEvery: 'integer',
  seed: 'integer',
  gradClip: 'number',
  timeLimitSeconds: 'number',
  epsilonHigh: 'number',
  ...LORA_KINDS,
};
export const GRPO_TEXT: Partial<Record<keyof GrpoHyper, string>> = {
  steps: 'iterations',
  promptsPerStep: 'prompts per step',
  groupSize: 'answers per prompt (G)',
  miniBatchSize: 'answers per optimizer step',
  microBatchSize: 'answers per forward/backward',
  numIterations: 'passes over each batch (mu)',
  lr: 'learning rate',
  beta: 'k3 KL coefficient in the loss',
  clipEps: 'clip epsilon',
  scaleRewards: 'group | batch | none',
  lossType:
    'grpo (per-answer mean) | token (token mean, DAPO) | dr_grpo (sum / answers x max tokens) | sequence (RLOO)',
  epsilonHigh: 'clip-higher: upper clip epsilon (DAPO 0.28; null: clip-eps)',
  maskTruncatedCompletions: 'leave answers without EOS out of the loss',
  advantageEstimator: 'group (GRPO) | rloo (leave-one-out baseline)',
  klIn: 'loss (k3, GRPO) | reward (summed k1 per answer, RLOO)',
  temperature: 'sampling temperature',
  maxNewTokens: 'longest answer',
  missingEosPenalty: 'subtracted from the score of answers without EOS',
  resume: 'continue from the last checkpoint',
  seed: 'random seed',
  ...LORA_TEXT,
};
