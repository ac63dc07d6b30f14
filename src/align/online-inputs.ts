/**
 * What the online commands (ppo, grpo, rloo, online-dpo) load: the SFT policy, the reward
 * model run (frozen, with its normalization) and/or reward functions, and prompts from a JSONL
 * file or a synthetic task (which also brings the gold reward).
 */
import { ArgumentError, ConfigError } from '../core/errors.ts';
import type { GPT } from '../models/gpt.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { readPromptJsonl } from '../data/chat/dataset.ts';
import { resolveChatFormat } from '../data/chat/format-file.ts';
import { ChatTemplate } from '../data/chat/template.ts';
import type { ChatFormat, ChatMessage } from '../data/chat/template.ts';
import { chatIds } from '../data/chat/encode.ts';
import { loadRewardModel } from './reward.ts';
import { RewardScorer } from './shared/reward-scorer.ts';
import { loadPolicyRun } from './shared/setup.ts';
import { getTask } from './tasks/index.ts';
import { loadRewardModule } from './shared/reward-functions.ts';
import type { NamedReward } from './shared/reward-functions.ts';
import type { JsonValue } from '../core/json.ts';
import type { GoldTask } from './shared/gold-task.ts';

export interface OnlineInputs {
  policy: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  /** The frozen reward model (null: reward functions only). */
  scorer: RewardScorer | null;
  rewardFunctions: NamedReward[];
  prompts: ChatMessage[][];
  /** The prompts' records ({prompt, ...other fields}), for reward functions; null for a task's prompts. */
  examples: Record<string, JsonValue>[] | null;
  evalPrompts: ChatMessage[][];
  task: GoldTask | null;
}

/**
 * A reward function from `--reward SPEC`: `task:NAME` is a task's gold reward as a function
 * (the verifiable reward of arithmetic), anything else a module file `path[#export][=weight]`.
 */
export async function resolveRewardFunctions(spec: string): Promise<NamedReward[]> {
  const m = /^task:(\w+)(?:=([-+0-9.eE]+))?$/.exec(spec);
  if (m === null) return loadRewardModule(spec);
  const task = getTask(m[1]!);
  const weight = m[2] !== undefined ? Number(m[2]) : 1;
  if (!Number.isFinite(weight)) throw new ArgumentError('--reward', `bad weight in ${spec}`);
  return [
    {
      name: task.name,
      weight,
      fn: (prompt: string, completion: string) => task.gold([{ role: 'user', content: prompt }], completion, true),
    },
  ];
}

export async function loadOnlineInputs(o: {
  model: string;
  /** A reward-model run directory (llmts rm); optional when reward functions are given. */
  rewardModel?: string;
  /** Reward-function specs (see resolveRewardFunctions). */
  rewards?: readonly string[];
  tokenizer?: string | null;
  prompts?: string;
  evalPrompts?: string;
  task?: string;
}): Promise<OnlineInputs> {
  const policy = loadPolicyRun(o.model, { tokenizer: o.tokenizer ?? null });
  if (policy.format === null)
    throw new ConfigError('model', `${o.model} has no chat format (tokenizer_config.json): run llmts sft first`);
  const rewardFunctions: NamedReward[] = [];
  for (const spec of o.rewards ?? []) rewardFunctions.push(...(await resolveRewardFunctions(spec)));
  if (o.rewardModel === undefined && rewardFunctions.length === 0)
    throw new ArgumentError(
      '--reward-model',
      'give a reward model (--reward-model RUN), reward functions (--reward FILE), or both',
    );
  let scorer: RewardScorer | null = null;
  if (o.rewardModel !== undefined) {
    const rm = loadRewardModel(o.rewardModel);
    if (
      rm.tokenizer.vocabSize !== policy.tokenizer.vocabSize ||
      rm.format.eosToken !== policy.format.eosToken ||
      rm.format.padToken !== policy.format.padToken
    ) {
      throw new ConfigError(
        'reward_model',
        `${o.rewardModel} was trained with a different tokenizer or chat format than ${o.model}`,
      );
    }
    const ids = chatIds(policy.tokenizer, new ChatTemplate(policy.format));
    scorer = new RewardScorer(rm.rm, rm.info.normalization, ids.padId, ids.eosId);
  }
  const task = o.task !== undefined ? getTask(o.task) : null;
  let prompts: ChatMessage[][];
  let examples: Record<string, JsonValue>[] | null = null;
  let evalPrompts: ChatMessage[][] = [];
  if (o.prompts !== undefined) {
    const records = readPromptJsonl(o.prompts);
    prompts = records.map((r) => r.prompt);
    examples = records.map((r) => ({ prompt: r.prompt as unknown as JsonValue, ...r.meta }));
  } else if (task !== null) prompts = task.prompts('train');
  else throw new ArgumentError('--prompts', 'give a prompts JSONL file, or --task NAME');
  if (o.evalPrompts !== undefined) evalPrompts = readPromptJsonl(o.evalPrompts).map((r) => r.prompt);
  else if (task !== null) evalPrompts = task.prompts('eval');
  return {
    policy: policy.model,
    tokenizer: policy.tokenizer,
    format: policy.format ?? resolveChatFormat('chatml'),
    scorer,
    rewardFunctions,
    prompts,
    examples,
    evalPrompts,
    task,
  };
}
