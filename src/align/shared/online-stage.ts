/**
 * What the online stages (PPO, GRPO) do around their algorithm, shared so the two are run,
 * recorded and measured identically (the comparison in docs/rlhf.md relies on it): copy the
 * SFT model into the trained policy and a frozen reference, record the hyperparameters and
 * write the run files, evaluate the policy on held-out prompts (gold reward, RM score, KL to
 * the reference) and run the shared RL loop.
 */
import { ArgumentError } from '../../core/errors.ts';
import type { GPT } from '../../models/gpt.ts';
import { specOf } from '../../models/registry.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import type { ChatFormat, ChatMessage } from '../../data/chat/template.ts';
import type { MetricRecord } from '../../train/metrics.ts';
import { evaluatePolicy } from './evaluate.ts';
import type { RewardScorer } from './reward-scorer.ts';
import type { NamedReward, RewardSpec } from './reward-functions.ts';
import { checkRewardSpec } from './reward-functions.ts';
import type { JsonValue } from '../../core/json.ts';
import type { RlAlgorithm, RlLoopResult } from './rl-loop.ts';
import { runRlLoop } from './rl-loop.ts';
import { cloneGpt, prepareForChat, shareFrozenWeights, writeStageRunFiles } from './setup.ts';
import { addLora, ReferenceModel, writeAdapterFiles } from './lora.ts';
import type { LoraHyper, LoraInfo } from './lora.ts';
import type { GoldTask } from './gold-task.ts';

/** The hyperparameters every online stage has (PpoHyper and GrpoHyper add their own). */
export interface OnlineHyper extends LoraHyper {
  /** Iterations (rollout + update). */
  steps: number;
  lr: number;
  adamEps: number;
  /** Linear decay of the learning rates to 0 over the run (detail 26), or constant. */
  lrSchedule: 'linear' | 'constant';
  gradClip: number | null;
  temperature: number;
  maxNewTokens: number;
  /** Subtracted from the normalized score of an answer without EOS (detail 10). */
  missingEosPenalty: number;
  /** Normalized scores are clipped to +-scoreClip. */
  scoreClip: number;
  evalEvery: number;
  evalSamplesPerPrompt: number;
  sampleEvery: number;
  checkpointEvery: number;
  seed: number;
  resume: boolean;
  timeLimitSeconds: number | null;
}

/** The inputs of an online stage besides its hyperparameters. */
export interface OnlineStageInputs {
  /** The SFT model: copied into the trained policy and the frozen reference. */
  policy: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  /** The frozen reward model and its normalization (null: reward functions only). */
  scorer: RewardScorer | null;
  /** Reward functions added to the reward model's score (TRL's reward_funcs, weighted). */
  rewardFunctions?: readonly NamedReward[];
  /** Pretraining text for PPO-ptx, one document per entry. */
  ptxTexts?: readonly string[];
  /** The prompts' records (JSONL lines), passed to reward functions; default {prompt}. */
  examples?: readonly Readonly<Record<string, JsonValue>>[] | null;
  prompts: readonly (readonly ChatMessage[])[];
  evalPrompts: readonly (readonly ChatMessage[])[];
  task?: GoldTask | null;
  runDir: string;
  onStep?: (r: MetricRecord) => void;
  /** Where the inputs came from, for config.json. */
  inputs?: Record<string, string>;
}

/** The keys of OnlineStageInputs that are not recorded as hyperparameters. */
const INPUT_KEYS = [
  'policy',
  'tokenizer',
  'format',
  'scorer',
  'rewardFunctions',
  'examples',
  'ptxTexts',
  'prompts',
  'evalPrompts',
  'task',
  'onStep',
  'inputs',
] as const;
export { INPUT_KEYS as ONLINE_INPUT_KEYS };

export interface OnlineStart {
  /** The SFT model as prepareForChat left it (its template and special-token ids). */
  prepared: ReturnType<typeof prepareForChat>;
  /** The copy to train (with LoRA adapters when loraR > 0). */
  policy: GPT;
  /** A frozen copy, or the policy with its adapters switched off. */
  reference: ReferenceModel;
  lora: LoraInfo | null;
}

/**
 * The policy and the frozen reference from the SFT model (which must already know the chat
 * format): two copies, or with LoRA one copy sharing the SFT model's frozen weights, with
 * adapters, whose reference is itself with the adapters switched off.
 */
export function startOnlineStage(stage: string, o: OnlineStageInputs & LoraHyper & { seed: number }): OnlineStart {
  const prepared = prepareForChat(o.policy, o.tokenizer, o.format, o.seed);
  if (prepared.added > 0)
    throw new ArgumentError(stage, "the policy's tokenizer lacks the chat format's special tokens: run SFT first");
  const policy = cloneGpt(prepared.model, o.seed);
  if (o.loraR > 0) shareFrozenWeights(policy, prepared.model);
  const lora = addLora(policy, policy, o, o.seed);
  const reference = ReferenceModel.forPolicy(policy, prepared.model, o.seed);
  return { prepared, policy, reference, lora };
}

/** Records the run, then trains `algorithm` in the shared RL loop, evaluating its policy against the reference. */
export async function runOnlineStage(
  stage: string,
  o: OnlineStageInputs & OnlineHyper,
  run: { start: OnlineStart; algorithm: RlAlgorithm; progressKeys: readonly string[] },
): Promise<RlLoopResult> {
  const { prepared, reference } = run.start;
  const spec = specOf(run.algorithm.policy);
  const record = writeStageRunFiles(stage, o, spec, INPUT_KEYS);
  const evaluate = (policy: GPT): Record<string, number> => {
    const e = evaluatePolicy(policy, o.tokenizer, prepared.template, prepared.ids, {
      prompts: o.evalPrompts.length > 0 ? o.evalPrompts : o.prompts,
      samplesPerPrompt: o.evalSamplesPerPrompt,
      temperature: o.temperature,
      maxNewTokens: o.maxNewTokens,
      seed: o.seed + 99,
      task: o.task ?? null,
      rewardModel: o.scorer,
      reference,
    });
    return {
      ...(e.reward !== null ? { reward: e.reward } : {}),
      kl: e.kl!,
      eos_rate: e.eosRate,
      response_length: e.length,
      ...(e.gold !== null ? { gold: e.gold } : {}),
    };
  };
  const loop = await runRlLoop({
    algorithm: run.algorithm,
    spec,
    steps: o.steps,
    runDir: o.runDir,
    evalEvery: o.evalEvery,
    sampleEvery: o.sampleEvery,
    checkpointEvery: o.checkpointEvery,
    resume: o.resume,
    timeLimitSeconds: o.timeLimitSeconds,
    trainRecord: record,
    evaluate,
    progressLabel: stage,
    progressKeys: run.progressKeys,
    ...(o.onStep ? { onStep: o.onStep } : {}),
  });
  if (run.start.lora !== null)
    writeAdapterFiles(o.runDir, run.start.policy, run.start.lora, o.inputs?.['model'] ?? null);
  return loop;
}

/** The reward an online stage optimizes (a reward model, reward functions, or both), checked. */
export function rewardSpecOf(o: OnlineStageInputs, stage: string): RewardSpec {
  const spec = { model: o.scorer, functions: o.rewardFunctions ?? [] };
  checkRewardSpec(spec, stage);
  return spec;
}
