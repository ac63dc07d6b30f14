/**
 * What the fine-tuning commands (sft, rm, dpo, ppo, grpo) share: hyperparameter flags generated
 * from a stage's defaults plus --config, the file inputs of the offline stages, and the whole
 * command of an online stage (ppo and grpo differ only in their algorithm).
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { optionSpecs, stageConfig } from '../src/align/shared/config.ts';
import type { FieldKinds } from '../src/align/shared/config.ts';
import { loadOnlineInputs } from '../src/align/online-inputs.ts';
import type { OnlineInputs } from '../src/align/online-inputs.ts';
import { loadPolicyRun } from '../src/align/shared/setup.ts';
import { getTask, taskPreferences, TASK_PREFERENCE_DEFAULTS, writePreferenceJsonl } from '../src/align/tasks/index.ts';
import { resolveChatFormat } from '../src/data/chat/format-file.ts';
import { ArgumentError } from '../src/core/errors.ts';
import { floatOption, intOption } from './options.ts';

/** A stage's hyperparameters: defaults, the kind of each field, and a description per flag. */
export interface HyperSpec<T extends object> {
  defaults: T;
  kinds: FieldKinds<T>;
  text: Partial<Record<keyof T, string>>;
}

/** --config and one flag per hyperparameter. */
export function addHyperOptions<T extends object>(cmd: Command, spec: HyperSpec<T>): Command {
  cmd.option('--config <file>', 'hyperparameters from a JSON or YAML file (flags override it)');
  for (const o of optionSpecs(spec.defaults, spec.kinds, spec.text)) cmd.option(o.flag, o.description);
  return cmd;
}

/** defaults <- --config file <- flags. */
export function hyperFromOptions<T extends object>(o: Record<string, unknown>, spec: HyperSpec<T>): T {
  return stageConfig(spec.defaults, spec.kinds, o);
}

/** The training / validation inputs of an offline stage, as its *FromFiles function takes them. */
export interface FileInputs {
  model: string;
  tokenizer: string | null;
  data: string;
  valData: string | null;
  valFraction: number;
  chatTemplate: string | null;
  runDir: string;
}

/** --data/--val-data/--val-fraction/--chat-template; `data` overrides --data (a generated file). */
export function fileInputs(
  o: Record<string, unknown>,
  data: string | undefined,
  valData: string | null,
  missing: string,
): FileInputs {
  if (data === undefined) throw new ArgumentError('--data', missing);
  return {
    model: o['model'] as string,
    tokenizer: (o['tokenizer'] as string | undefined) ?? null,
    data,
    valData,
    valFraction: floatOption('--val-fraction', o['valFraction'], 0, 0.9)!,
    chatTemplate: (o['chatTemplate'] as string | undefined) ?? null,
    runDir: o['out'] as string,
  };
}

/** --model's tokenizer, for a model folder without tokenizer.json (`llmts model init` writes none). */
export const TOKENIZER_OPTION = [
  '--tokenizer <file>',
  "tokenizer.json to use with --model (default: the model folder's)",
] as const;

/** The preference-data options of rm and dpo: files, or --task with simulated annotators. */
export function addPreferenceDataOptions(cmd: Command, dataDescription: string): Command {
  return cmd
    .option(...TOKENIZER_OPTION)
    .option('--data <file>', dataDescription)
    .option('--val-data <file>', 'held-out preferences JSONL')
    .option('--val-fraction <x>', 'hold out this fraction of --data when --val-data is absent', '0.1')
    .option('--chat-template <t>', "chatml | plain | file (default: the model run's)")
    .option(
      '--task <name>',
      'instead of --data: sample answers from the model and rank them with simulated annotators (reviews)',
    )
    .option(
      '--task-groups <n>',
      'groups per training prompt with --task',
      String(TASK_PREFERENCE_DEFAULTS.groupsPerPrompt),
    )
    .option('--k <n>', 'answers ranked per group with --task', String(TASK_PREFERENCE_DEFAULTS.k))
    .option(
      '--annotator-temperature <x>',
      'annotator noise with --task (0: rank exactly by the gold reward)',
      String(TASK_PREFERENCE_DEFAULTS.annotatorTemperature),
    );
}

/** --data/--val-data, or with --task: rank K answers of the SFT model per prompt with simulated annotators and write train/val JSONL. */
export function preferenceInputs(o: Record<string, unknown>, seed: number): FileInputs {
  if (o['task'] === undefined)
    return fileInputs(
      o,
      o['data'] as string | undefined,
      (o['valData'] as string | undefined) ?? null,
      'give a preferences JSONL file, or --task NAME',
    );
  const task = getTask(o['task'] as string);
  const policy = loadPolicyRun(o['model'] as string, {
    tokenizer: (o['tokenizer'] as string | undefined) ?? null,
  });
  const format = policy.format ?? resolveChatFormat('chatml');
  const k = intOption('--k', o['k'], 2)!;
  const prefs = taskPreferences(policy.model, policy.tokenizer, format, task, {
    ...TASK_PREFERENCE_DEFAULTS,
    groupsPerPrompt: intOption('--task-groups', o['taskGroups'], 1)!,
    k,
    annotatorTemperature: floatOption('--annotator-temperature', o['annotatorTemperature'], 0)!,
    seed,
  });
  const out = o['out'] as string;
  const data = join(out, 'data', 'preferences.jsonl');
  const valData = join(out, 'data', 'preferences-val.jsonl');
  writePreferenceJsonl(data, prefs.train);
  writePreferenceJsonl(valData, prefs.val);
  console.log(
    `task ${task.name}: ${prefs.train.length} + ${prefs.val.length} groups of ${k} answers ranked by simulated annotators -> ${data}`,
  );
  return fileInputs(o, data, valData, '');
}

interface OnlineRun {
  loop: {
    firstEval: Record<string, number> | null;
    lastEval: Record<string, number> | null;
    steps: number;
    msPerStep: number;
  };
}

/** An online RL command (ppo, grpo): SFT policy + reward model + prompts in, a tuned policy out. */
export function registerOnlineStage<T extends object>(
  program: Command,
  c: {
    name: string;
    description: string;
    outputs: string;
    spec: HyperSpec<T>;
    train: (o: T & OnlineInputs & { runDir: string; inputs: Record<string, string> }) => Promise<OnlineRun>;
  },
): void {
  const cmd = program
    .command(c.name)
    .description(c.description)
    .requiredOption('--model <run>', 'SFT run directory or HF folder (the policy and the reference start from it)')
    .option(...TOKENIZER_OPTION)
    .option('--reward-model <run>', 'reward-model run directory (llmts rm)')
    .option(
      '--reward <spec>',
      "a reward function: a .js/.mjs module exporting (prompt, completion, example) => number (path[#export][=weight]), or task:NAME (a task's verifiable reward); repeatable",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .requiredOption('--out <dir>', `run directory (${c.outputs})`)
    .option('--prompts <file>', 'prompts JSONL ({"prompt": ...} per line)')
    .option('--eval-prompts <file>', 'held-out prompts JSONL')
    .option('--task <name>', 'prompts (train/eval) and gold reward of a synthetic task (reviews, arithmetic)');
  if (c.name === 'ppo') cmd.option('--ptx-data <file>', 'PPO-ptx: pretraining text, one document per line');
  addHyperOptions(cmd, c.spec);
  cmd.action(async (o: Record<string, unknown>) => {
    const hyper = hyperFromOptions(o, c.spec);
    const inputs = await loadOnlineInputs({
      ...(o as {
        model: string;
        rewardModel?: string;
        tokenizer?: string;
        prompts?: string;
        evalPrompts?: string;
        task?: string;
      }),
      rewards: (o['reward'] as string[] | undefined) ?? [],
    });
    const out = o['out'] as string;
    const ptx = o['ptxData'] as string | undefined;
    const r = await c.train({
      ...hyper,
      ...inputs,
      ...(ptx !== undefined
        ? {
            ptxTexts: readFileSync(ptx, 'utf8')
              .split('\n')
              .filter((l) => l.trim() !== ''),
          }
        : {}),
      runDir: out,
      inputs: {
        model: o['model'] as string,
        ...(o['rewardModel'] !== undefined ? { rewardModel: o['rewardModel'] as string } : {}),
        ...(o['reward'] !== undefined ? { rewards: (o['reward'] as string[]).join(' ') } : {}),
      },
    });
    const f = (e: Record<string, number> | null): string =>
      e === null
        ? 'n/a'
        : Object.entries(e)
            .map(([k, v]) => `${k} ${v.toFixed(3)}`)
            .join(', ');
    console.log(`before: ${f(r.loop.firstEval)}`);
    console.log(`after:  ${f(r.loop.lastEval)}`);
    console.log(
      `${r.loop.steps} steps, ${(r.loop.msPerStep / 1000).toFixed(2)} s/step; run directory: ${out}   (try: llmts chat --model ${out})`,
    );
  });
}
