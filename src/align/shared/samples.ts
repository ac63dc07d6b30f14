/**
 * The samples table of an RL run: every N steps a few (prompt, response, reward, gold) rows
 * go to samples.jsonl, and samples.md shows the latest table (TRL's generate_completions).
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import type { ChatMessage } from '../../data/chat/template.ts';
import type { GoldTask } from './gold-task.ts';

export interface RlSample {
  prompt: string;
  response: string;
  reward: number | null;
  gold: number | null;
}

/**
 * A rollout's gold rewards (null without a task) and its table rows (the first 8 answers),
 * as PPO and GRPO both report them. `prompts[j]` is answer j's prompt, `rewards[j]` its
 * normalized RM score.
 */
export function rolloutSamples(
  texts: readonly string[],
  prompts: readonly (readonly ChatMessage[])[],
  hasEos: readonly boolean[],
  rewards: ArrayLike<number>,
  task: GoldTask | null,
): { golds: number[] | null; samples: RlSample[] } {
  const golds = task ? texts.map((t, j) => task.gold(prompts[j]!, t, hasEos[j]!)) : null;
  const samples = texts.slice(0, 8).map((t, j) => ({
    prompt: prompts[j]!.map((m) => m.content).join(' | '),
    response: t,
    reward: rewards[j]!,
    gold: golds ? golds[j]! : null,
  }));
  return { golds, samples };
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function samplesMarkdown(step: number, samples: readonly RlSample[]): string {
  const fmt = (v: number | null): string => (v === null ? '' : v.toFixed(3));
  const rows = samples.map((s) => `| ${cell(s.prompt)} | ${cell(s.response)} | ${fmt(s.reward)} | ${fmt(s.gold)} |`);
  return [`## step ${step}`, '', '| prompt | response | reward | gold |', '|---|---|---|---|', ...rows, ''].join('\n');
}

export function writeSamples(runDir: string, step: number, samples: readonly RlSample[]): void {
  appendFileSync(join(runDir, 'samples.jsonl'), samples.map((s) => JSON.stringify({ step, ...s })).join('\n') + '\n');
  writeFileAtomic(join(runDir, 'samples.md'), samplesMarkdown(step, samples));
}
