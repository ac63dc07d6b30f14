/** `llmts grpo`: group-relative policy optimization (no critic), on the same models and data as PPO. */
import type { Command } from 'commander';
import { trainGrpo, GRPO_DEFAULTS } from '../../src/align/grpo.ts';
import { GRPO_KINDS, GRPO_TEXT } from '../../src/align/stage-options.ts';
import { registerOnlineStage } from '../stage.ts';

export function register(program: Command): void {
  registerOnlineStage(program, {
    name: 'grpo',
    description:
      'GRPO: G answers per prompt, group-normalized RM scores as advantages, clipped surrogate with a k3 KL term to the frozen reference',
    outputs: 'metrics.jsonl, samples.md, reward/kl/ppo/length .svg, checkpoints',
    spec: { defaults: GRPO_DEFAULTS, kinds: GRPO_KINDS, text: GRPO_TEXT },
    train: trainGrpo,
  });
}
