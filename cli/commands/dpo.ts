/** `llmts dpo`: direct preference optimization (sigmoid or IPO) from the SFT model and preference data. */
import type { Command } from 'commander';
import { dpoFromFiles, DPO_DEFAULTS, PREFERENCE_LOSSES } from '../../src/align/dpo.ts';
import { DPO_KINDS, DPO_TEXT } from '../../src/align/stage-options.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { addHyperOptions, addPreferenceDataOptions, hyperFromOptions, preferenceInputs } from '../stage.ts';

const SPEC = { defaults: DPO_DEFAULTS, kinds: DPO_KINDS, text: DPO_TEXT };

export function register(program: Command): void {
  const cmd = program
    .command('dpo')
    .description(
      'DPO: learn from preference pairs (ranked groups become all their pairs) against the frozen SFT model, no reward model, no sampling',
    )
    .requiredOption('--model <run>', 'SFT run directory (policy and reference start from it)')
    .requiredOption('--out <dir>', 'run directory');
  addPreferenceDataOptions(cmd, "preferences JSONL (the reward model's format)");
  addHyperOptions(cmd, SPEC);
  cmd.action(async (o: Record<string, unknown>) => {
    const hyper = hyperFromOptions(o, SPEC);
    if (!PREFERENCE_LOSSES.includes(hyper.lossType))
      throw new ArgumentError('--loss-type', `expects ${PREFERENCE_LOSSES.join(', ')}, got ${hyper.lossType}`);
    const out = o['out'] as string;
    const r = await dpoFromFiles({ ...hyper, ...preferenceInputs(o, hyper.seed) });
    const e = r.result.lastEval;
    console.log(
      `${r.stats.trainPairs} training / ${r.stats.valPairs} held-out pairs${e ? `; held-out loss ${e['loss']?.toFixed(4)}, implicit-reward accuracy ${((e['accuracy'] ?? 0) * 100).toFixed(1)}%` : ''}`,
    );
    console.log(`run directory: ${out}   (try: llmts chat --model ${out})`);
  });
}
