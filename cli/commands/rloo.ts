/** `llmts rloo`: REINFORCE with a leave-one-out baseline (RLOO), the KL to the reference in the reward. */
import type { Command } from 'commander';
import { trainRloo, RLOO_DEFAULTS } from '../../src/align/grpo.ts';
import { GRPO_KINDS, GRPO_TEXT } from '../../src/align/stage-options.ts';
import { registerOnlineStage } from '../stage.ts';

export function register(program: Command): void {
  registerOnlineStage(program, {
    name: 'rloo',
    description:
      'RLOO: k answers per prompt, reward minus beta x KL, advantage = reward minus the mean of the other k - 1, REINFORCE; no critic',
    outputs: 'metrics.jsonl, samples.md, reward/kl/length .svg, checkpoints',
    spec: { defaults: RLOO_DEFAULTS, kinds: GRPO_KINDS, text: GRPO_TEXT },
    train: trainRloo,
  });
}
