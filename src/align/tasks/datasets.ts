/**
 * A task's datasets: SFT demonstrations for its training prompts, and preference groups
 * collected from a policy (the SFT model) with simulated annotators, for the training and
 * the held-out prompts. Written as JSONL in the formats `llmts sft/rm/dpo --data` read.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Generator } from '../../core/random.ts';
import type { GPT } from '../../models/gpt.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import { toJsonl } from '../../data/chat/dataset.ts';
import { chatIds } from '../../data/chat/encode.ts';
import type { ChatFormat, ChatMessage } from '../../data/chat/template.ts';
import { ChatTemplate } from '../../data/chat/template.ts';
import type { AnnotatedGroup } from './annotate.ts';
import { collectPreferences } from './annotate.ts';
import type { GoldTask } from '../shared/gold-task.ts';

/** n conversations: a training prompt and one demonstration each. */
export function taskSftConversations(
  task: GoldTask,
  n: number,
  seed: number,
  split: 'train' | 'eval' = 'train',
): ChatMessage[][] {
  const g = new Generator(seed);
  const prompts = task.prompts(split);
  return Array.from({ length: n }, () => {
    const p = prompts[g.randint(prompts.length)]!;
    return [...p, { role: 'assistant', content: task.demonstration(p, g) }];
  });
}

export interface TaskPreferenceOptions {
  groupsPerPrompt: number;
  /** Held-out groups per evaluation prompt. */
  valGroupsPerPrompt: number;
  k: number;
  annotatorTemperature: number;
  temperature: number;
  maxNewTokens: number;
  seed: number;
}

export const TASK_PREFERENCE_DEFAULTS: TaskPreferenceOptions = {
  groupsPerPrompt: 60,
  valGroupsPerPrompt: 10,
  k: 4,
  annotatorTemperature: 0.3,
  temperature: 1,
  maxNewTokens: 24,
  seed: 1,
};

export function taskPreferences(
  policy: GPT,
  tokenizer: Tokenizer,
  format: ChatFormat,
  task: GoldTask,
  o: TaskPreferenceOptions,
): { train: AnnotatedGroup[]; val: AnnotatedGroup[] } {
  const template = new ChatTemplate(format);
  const ids = chatIds(tokenizer, template);
  const common = {
    k: o.k,
    temperature: o.temperature,
    maxNewTokens: o.maxNewTokens,
    annotatorTemperature: o.annotatorTemperature,
  };
  return {
    train: collectPreferences(policy, tokenizer, template, ids, task, {
      ...common,
      prompts: task.prompts('train'),
      groupsPerPrompt: o.groupsPerPrompt,
      seed: o.seed,
    }),
    val: collectPreferences(policy, tokenizer, template, ids, task, {
      ...common,
      prompts: task.prompts('eval'),
      groupsPerPrompt: o.valGroupsPerPrompt,
      seed: o.seed + 1,
    }),
  };
}

/** Ranked groups as `{"prompt", "responses", "ranking"}` JSONL (responses already best first; the gold values are not written: training sees rankings only). */
export function writePreferenceJsonl(path: string, groups: readonly AnnotatedGroup[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    toJsonl(groups.map((g) => ({ prompt: g.prompt, responses: g.responses, ranking: g.responses.map((_, i) => i) }))),
  );
}

export function writeSftJsonl(path: string, conversations: readonly (readonly ChatMessage[])[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, toJsonl(conversations.map((messages) => ({ messages }))));
}
