/** `llmts ppo`: PPO-RLHF with actor, critic, frozen reference and frozen reward model. */
import type { Command } from 'commander';
import { trainPpo, PPO_DEFAULTS } from '../../src/train/ppo.ts';
import type { PpoHyper } from '../../src/train/ppo.ts';
import { mergeConfig, optionSpecs, readConfigFile } from '../../src/train/rlhf/config.ts';
import { PPO_KINDS, PPO_TEXT } from '../../src/train/rlhf/stage-options.ts';
import { loadOnlineInputs } from '../../src/train/rlhf/online-inputs.ts';

export function register(program: Command): void {
  const cmd = program
    .command('ppo')
    .description('PPO-RLHF: rollouts from the actor, RM score at EOS, per-token KL penalty to the frozen reference, GAE, clipped surrogate and value losses')
    .requiredOption('--model <run>', 'SFT run directory (actor and reference start from it)')
    .requiredOption('--reward-model <run>', 'reward-model run directory (llmts rm)')
    .requiredOption('--out <dir>', 'run directory (metrics.jsonl, samples.md, reward/kl/ppo/value/length .svg, checkpoints)')
    .option('--prompts <file>', 'prompts JSONL ({"prompt": ...} per line)')
    .option('--eval-prompts <file>', 'held-out prompts JSONL')
    .option('--task <name>', 'prompts (train/eval) and gold reward of a synthetic task (reviews)')
    .option('--config <file>', 'hyperparameters from a JSON or YAML file');
  for (const o of optionSpecs(PPO_DEFAULTS, PPO_KINDS, PPO_TEXT)) cmd.option(o.flag, o.description);
  cmd.action(async (o: Record<string, unknown>) => {
    const config = o['config'] as string | undefined;
    const hyper: PpoHyper = mergeConfig(PPO_DEFAULTS, PPO_KINDS, config ? { path: config, values: readConfigFile(config) } : null, o);
    const inputs = loadOnlineInputs(o as { model: string; rewardModel: string; prompts?: string; evalPrompts?: string; task?: string });
    const out = o['out'] as string;
    const r = await trainPpo({ ...hyper, ...inputs, runDir: out, inputs: { model: o['model'] as string, rewardModel: o['rewardModel'] as string } });
    const f = (e: Record<string, number> | null): string => (e === null ? 'n/a' : Object.entries(e).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', '));
    console.log(`before: ${f(r.loop.firstEval)}`);
    console.log(`after:  ${f(r.loop.lastEval)}`);
    console.log(`${r.loop.steps} steps, ${(r.loop.msPerStep / 1000).toFixed(2)} s/step; run directory: ${out}   (try: llmts chat --model ${out})`);
  });
}
