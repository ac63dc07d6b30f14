/**
 * What `llmts ppo` and `llmts grpo` load: the SFT policy run, the reward-model run (frozen,
 * with its normalization), and prompts from a JSONL file or a synthetic task (which also
 * brings the gold reward).
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
import type { GoldTask } from './shared/gold-task.ts';

export interface OnlineInputs {
  policy: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  scorer: RewardScorer;
  prompts: ChatMessage[][];
  evalPrompts: ChatMessage[][];
  task: GoldTask | null;
}

export function loadOnlineInputs(o: {
  model: string;
  rewardModel: string;
  /** A tokenizer.json for a model folder without one. */
  tokenizer?: string | null;
  prompts?: string;
  evalPrompts?: string;
  task?: string;
}): OnlineInputs {
  const policy = loadPolicyRun(o.model, { tokenizer: o.tokenizer ?? null });
  if (policy.format === null)
    throw new ConfigError('model', `${o.model} has no chat format (tokenizer_config.json): run llmts sft first`);
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
  const scorer = new RewardScorer(rm.rm, rm.info.normalization, ids.padId, ids.eosId);
  const task = o.task !== undefined ? getTask(o.task) : null;
  let prompts: ChatMessage[][];
  let evalPrompts: ChatMessage[][] = [];
  if (o.prompts !== undefined) prompts = readPromptJsonl(o.prompts).map((r) => r.prompt);
  else if (task !== null) prompts = task.prompts('train');
  else throw new ArgumentError('--prompts', 'give a prompts JSONL file, or --task NAME');
  if (o.evalPrompts !== undefined) evalPrompts = readPromptJsonl(o.evalPrompts).map((r) => r.prompt);
  else if (task !== null) evalPrompts = task.prompts('eval');
  return {
    policy: policy.model,
    tokenizer: policy.tokenizer,
    format: policy.format ?? resolveChatFormat('chatml'),
    scorer,
    prompts,
    evalPrompts,
    task,
  };
}
