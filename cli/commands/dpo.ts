/** `llmts dpo`: direct preference optimization (sigmoid or IPO) from the SFT model and preference data. */
import type { Command } from 'commander';
import { dpoFromFiles, DPO_DEFAULTS } from '../../src/train/dpo.ts';
import type { DpoHyper } from '../../src/train/dpo.ts';
import { mergeConfig, optionSpecs, readConfigFile } from '../../src/train/rlhf/config.ts';
import { DPO_KINDS, DPO_TEXT } from '../../src/train/rlhf/stage-options.ts';
import { ArgumentError } from '../../src/errors.ts';
import { floatOption } from '../options.ts';
import { addTaskPreferenceOptions, collectTaskPreferences } from './rm.ts';

export function register(program: Command): void {
  const cmd = program
    .command('dpo')
    .description('DPO: learn from preference pairs (ranked groups become all their pairs) against the frozen SFT model, no reward model, no sampling')
    .requiredOption('--model <run>', 'SFT run directory (policy and reference start from it)')
    .requiredOption('--out <dir>', 'run directory')
    .option('--data <file>', 'preferences JSONL (the reward model\'s format)')
    .option('--val-data <file>', 'held-out preferences JSONL')
    .option('--val-fraction <x>', 'hold out this fraction of --data when --val-data is absent', '0.1')
    .option('--chat-template <t>', 'chatml | plain | file (default: the model run\'s)')
    .option('--config <file>', 'hyperparameters from a JSON or YAML file');
  addTaskPreferenceOptions(cmd);
  for (const o of optionSpecs(DPO_DEFAULTS, DPO_KINDS, DPO_TEXT)) cmd.option(o.flag, o.description);
  cmd.action(async (o: Record<string, unknown>) => {
    const config = o['config'] as string | undefined;
    const hyper: DpoHyper = mergeConfig(DPO_DEFAULTS, DPO_KINDS, config ? { path: config, values: readConfigFile(config) } : null, o);
    if (hyper.lossType !== 'sigmoid' && hyper.lossType !== 'ipo') throw new ArgumentError('--loss-type', `expects sigmoid or ipo, got ${hyper.lossType}`);
    const out = o['out'] as string;
    let data = o['data'] as string | undefined;
    let valData = (o['valData'] as string | undefined) ?? null;
    if (o['task'] !== undefined) ({ data, valData } = collectTaskPreferences(o, out, hyper.seed));
    if (data === undefined) throw new ArgumentError('--data', 'give a preferences JSONL file, or --task NAME');
    const r = await dpoFromFiles({
      ...hyper, model: o['model'] as string, data, valData, valFraction: floatOption('--val-fraction', o['valFraction'], 0, 0.9)!,
      chatTemplate: (o['chatTemplate'] as string | undefined) ?? null, runDir: out,
    });
    const e = r.result.lastEval;
    console.log(`${r.stats.trainPairs} training / ${r.stats.valPairs} held-out pairs${e ? `; held-out loss ${e['loss']?.toFixed(4)}, implicit-reward accuracy ${((e['accuracy'] ?? 0) * 100).toFixed(1)}%` : ''}`);
    console.log(`run directory: ${out}   (try: llmts chat --model ${out})`);
  });
}
