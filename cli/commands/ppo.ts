/** `llmts ppo`: PPO-RLHF with actor, critic, frozen reference and frozen reward model. */
import type { Command } from 'commander';
import { trainPpo, PPO_DEFAULTS } from '../../src/align/ppo.ts';
import { PPO_KINDS, PPO_TEXT } from '../../src/align/stage-options.ts';
import { registerOnlineStage } from '../stage.ts';

export function register(program: Command): void {
  registerOnlineStage(program, {
    name: 'ppo',
    description:
      'PPO-RLHF: rollouts from the actor, RM score at EOS, per-token KL penalty to the frozen reference, GAE, clipped surrogate and value losses',
    outputs: 'metrics.jsonl, samples.md, reward/kl/ppo/value/length .svg, checkpoints',
    spec: { defaults: PPO_DEFAULTS, kinds: PPO_KINDS, text: PPO_TEXT },
    train: trainPpo,
  });
}
