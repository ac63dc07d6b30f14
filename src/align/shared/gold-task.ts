/**
 * Synthetic alignment tasks with a hidden gold reward. Real human preferences are not
 * available offline, so a task supplies prompts, imperfect demonstrations (what SFT learns),
 * and a gold reward that simulated annotators rank answers by (with noise). The reward model
 * learns from the rankings only; the gold reward measures real progress, so reward
 * over-optimization (proxy up, gold down) is visible.
 */
import type { Generator } from '../../core/random.ts';
import type { ChatMessage } from '../../data/chat/template.ts';

export interface GoldTask {
  readonly name: string;
  readonly description: string;
  /** Prompts for training (SFT, preference collection, RL) and held out for evaluation. */
  prompts(split: 'train' | 'eval'): ChatMessage[][];
  /** One demonstration for a prompt (varied in quality, as a crowd of writers). */
  demonstration(prompt: readonly ChatMessage[], g: Generator): string;
  /** The hidden gold reward of an answer; `finished` = it ended with EOS. */
  gold(prompt: readonly ChatMessage[], response: string, finished: boolean): number;
  /** The best gold reward an answer can get (for reports). */
  readonly maxGold: number;
  /** Plain sentences covering the task's vocabulary (tokenizer training, pretraining mix). */
  corpus(g: Generator, n: number): string[];
}

/** The last user message of a prompt. */
export function lastUserText(prompt: readonly ChatMessage[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) if (prompt[i]!.role === 'user') return prompt[i]!.content;
  return '';
}

/**
 * A simulated annotator ranking K answers (best first): Plackett-Luce with utilities
 * gold / temperature, sampled by sorting gold / temperature + Gumbel noise. Two answers whose
 * gold differs by d are ordered correctly with probability sigmoid(d / temperature).
 */
export function annotateRanking(golds: readonly number[], g: Generator, temperature: number): number[] {
  const keys = golds.map((x) => {
    const u = Math.min(Math.max(g.random(), 1e-12), 1 - 1e-12);
    const noise = temperature > 0 ? -Math.log(-Math.log(u)) : 0;
    return temperature > 0 ? x / temperature + noise : x;
  });
  return keys.map((_, i) => i).sort((a, b) => keys[b]! - keys[a]! || a - b);
}
