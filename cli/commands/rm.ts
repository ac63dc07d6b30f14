/** `llmts rm`: train a reward model on ranked answers (K-way / pairwise Bradley-Terry). */
import type { Command } from 'commander';
import { join } from 'node:path';
import { rewardFromFiles, REWARD_DEFAULTS } from '../../src/train/reward.ts';
import type { RewardHyper } from '../../src/train/reward.ts';
import { mergeConfig, optionSpecs, readConfigFile } from '../../src/train/rlhf/config.ts';
import { REWARD_KINDS, REWARD_TEXT } from '../../src/train/rlhf/stage-options.ts';
import { getTask, taskPreferences, TASK_PREFERENCE_DEFAULTS, writePreferenceJsonl } from '../../src/train/rlhf/tasks/index.ts';
import { loadPolicyRun } from '../../src/train/rlhf/setup.ts';
import { resolveChatFormat } from '../../src/data/chat/format-file.ts';
import { ArgumentError } from '../../src/errors.ts';
import { floatOption, intOption } from '../options.ts';

/** --task: rank K answers of the SFT model per prompt with simulated annotators; writes train/val JSONL. */
export function collectTaskPreferences(o: Record<string, unknown>, out: string, seed: number): { data: string; valData: string } {
  const task = getTask(o['task'] as string);
  const policy = loadPolicyRun(o['model'] as string);
  const format = policy.format ?? resolveChatFormat('chatml');
  const prefs = taskPreferences(policy.model, policy.tokenizer, format, task, {
    ...TASK_PREFERENCE_DEFAULTS,
    groupsPerPrompt: intOption('--task-groups', o['taskGroups'], 1)!, k: intOption('--k', o['k'], 2)!,
    annotatorTemperature: floatOption('--annotator-temperature', o['annotatorTemperature'], 0)!, seed,
  });
  const data = join(out, 'data', 'preferences.jsonl');
  const valData = join(out, 'data', 'preferences-val.jsonl');
  writePreferenceJsonl(data, prefs.train);
  writePreferenceJsonl(valData, prefs.val);
  console.log(`task ${task.name}: ${prefs.train.length} + ${prefs.val.length} groups of ${intOption('--k', o['k'], 2)} answers ranked by simulated annotators -> ${data}`);
  return { data, valData };
}

export function addTaskPreferenceOptions(cmd: Command): Command {
  return cmd
    .option('--task <name>', 'instead of --data: sample answers from the model and rank them with simulated annotators (reviews)')
    .option('--task-groups <n>', 'groups per training prompt with --task', String(TASK_PREFERENCE_DEFAULTS.groupsPerPrompt))
    .option('--k <n>', 'answers ranked per group with --task', String(TASK_PREFERENCE_DEFAULTS.k))
    .option('--annotator-temperature <x>', 'annotator noise with --task (0: rank exactly by the gold reward)', String(TASK_PREFERENCE_DEFAULTS.annotatorTemperature));
}

export function register(program: Command): void {
  const cmd = program
    .command('rm')
    .description('train a reward model: backbone + scalar head at the last token, ranking loss over all C(K,2) pairs, held-out accuracy, mean-0/std-1 normalization')
    .requiredOption('--model <run>', 'SFT run directory (the backbone)')
    .requiredOption('--out <dir>', 'run directory')
    .option('--data <file>', 'preferences JSONL: {prompt, chosen, rejected[, margin]} or {prompt, responses, ranking}')
    .option('--val-data <file>', 'held-out preferences JSONL')
    .option('--val-fraction <x>', 'hold out this fraction of --data when --val-data is absent', '0.1')
    .option('--chat-template <t>', 'chatml | plain | file (default: the model run\'s)')
    .option('--config <file>', 'hyperparameters from a JSON or YAML file');
  addTaskPreferenceOptions(cmd);
  for (const o of optionSpecs(REWARD_DEFAULTS, REWARD_KINDS, REWARD_TEXT)) cmd.option(o.flag, o.description);
  cmd.action(async (o: Record<string, unknown>) => {
    const config = o['config'] as string | undefined;
    const hyper: RewardHyper = mergeConfig(REWARD_DEFAULTS, REWARD_KINDS, config ? { path: config, values: readConfigFile(config) } : null, o);
    const out = o['out'] as string;
    let data = o['data'] as string | undefined;
    let valData = (o['valData'] as string | undefined) ?? null;
    if (o['task'] !== undefined) ({ data, valData } = collectTaskPreferences(o, out, hyper.seed));
    if (data === undefined) throw new ArgumentError('--data', 'give a preferences JSONL file, or --task NAME');
    const r = await rewardFromFiles({
      ...hyper, model: o['model'] as string, data, valData, valFraction: floatOption('--val-fraction', o['valFraction'], 0, 0.9)!,
      chatTemplate: (o['chatTemplate'] as string | undefined) ?? null, runDir: out,
    });
    console.log(`${r.stats.trainGroups} training / ${r.stats.valGroups} held-out groups; held-out pairwise accuracy ${(r.heldOut.accuracy * 100).toFixed(1)}% over ${r.heldOut.pairs} pairs`);
    console.log(`normalization: score = (raw - ${r.normalization.mean.toFixed(4)}) / ${r.normalization.std.toFixed(4)}`);
    console.log(`run directory: ${out}`);
  });
}
