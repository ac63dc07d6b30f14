/**
 * Alignment, the ChatGPT recipe and its successors: SFT, reward models from rankings, PPO-RLHF,
 * DPO and GRPO, the gold-reward tasks they are measured on, and the whole pipeline.
 */
export { trainSft, sftFromFiles, tokenizeSft, SFT_DEFAULTS } from './sft.ts';
export type { SftHyper, SftOptions, SftResult, SftExample, SftFileConfig } from './sft.ts';
export {
  trainRewardModel,
  rewardFromFiles,
  loadRewardModel,
  rankingMetrics,
  tokenizeGroups,
  REWARD_DEFAULTS,
} from './reward.ts';
export type { RewardHyper, RewardOptions, RewardResult, RewardModelInfo, RewardFileConfig } from './reward.ts';
export { trainPpo, buildCritic, PPO_DEFAULTS } from './ppo.ts';
export type { PpoHyper, PpoOptions, PpoResult } from './ppo.ts';
export { trainDpo, dpoFromFiles, dpoLoss, DPO_DEFAULTS } from './dpo.ts';
export type { DpoHyper, DpoOptions, DpoResult, DpoLossType, DpoFileConfig } from './dpo.ts';
export { trainGrpo, groupAdvantages, GRPO_DEFAULTS } from './grpo.ts';
export type { GrpoHyper, GrpoOptions, GrpoResult } from './grpo.ts';
export { runAlignmentPipeline, pipelineTable } from './pipeline.ts';
export type { PipelineOptions, PipelineReport, PolicyReport } from './pipeline.ts';
export { loadOnlineInputs } from './online-inputs.ts';
export type { OnlineInputs } from './online-inputs.ts';
export { TASKS, getTask } from './tasks/index.ts';
export type { GoldTask } from './shared/gold-task.ts';
export { computeGae } from './shared/gae.ts';
export type { GaeResult } from './shared/gae.ts';
export { klPerToken, KL_ESTIMATORS } from './shared/kl.ts';
export type { KlEstimator } from './shared/kl.ts';
export { clippedPolicyLoss, clippedValueLoss } from './shared/ppo-loss.ts';
export { rankingLoss } from './shared/ranking-loss.ts';
export { RewardScorer } from './shared/reward-scorer.ts';
export type { RewardNormalization } from './shared/reward-scorer.ts';
export { loadPolicyRun } from './shared/setup.ts';
export type { PolicyBundle } from './shared/setup.ts';
