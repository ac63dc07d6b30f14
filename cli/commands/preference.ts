/**
 * `llmts kto | orpo | simpo | cpo`: the other offline preference objectives, on DPO's data
 * and loop with their own defaults (TRL's KTOTrainer, ORPOTrainer, CPOTrainer with loss_type
 * "simpo" / "sigmoid"). KTO compares with the frozen SFT model; ORPO, SimPO and CPO need none.
 */
import type { Command } from 'commander';
import { dpoFromFiles, DPO_DEFAULTS } from '../../src/align/dpo.ts';
import type { DpoHyper, DpoLossType } from '../../src/align/dpo.ts';
import { DPO_KINDS, DPO_TEXT } from '../../src/align/stage-options.ts';
import { addHyperOptions, addPreferenceDataOptions, hyperFromOptions, preferenceInputs } from '../stage.ts';

const OBJECTIVES: { name: string; lossType: DpoLossType; description: string; defaults: Partial<DpoHyper> }[] = [
  {
    name: 'kto',
    lossType: 'kto',
    description:
      'KTO: each chosen answer desirable, each rejected one undesirable; 1 - sigmoid(beta (log-ratio - z0)) against the frozen SFT model',
    defaults: { beta: 0.1 },
  },
  {
    name: 'orpo',
    lossType: 'orpo',
    description: 'ORPO: NLL of the chosen answer minus lambda log sigmoid(odds ratio); no reference model',
    defaults: { beta: 0.1 },
  },
  {
    name: 'simpo',
    lossType: 'simpo',
    description: 'SimPO: -log sigmoid(beta (mean log-prob difference) - gamma); no reference model',
    defaults: { beta: 2, simpoGamma: 0.5 },
  },
  {
    name: 'cpo',
    lossType: 'cpo',
    description: 'CPO: -log sigmoid(beta (log-prob difference)) + alpha NLL of the chosen answer; no reference model',
    defaults: { beta: 0.1, cpoAlpha: 1 },
  },
];

export function register(program: Command): void {
  for (const obj of OBJECTIVES) {
    const spec = {
      defaults: { ...DPO_DEFAULTS, ...obj.defaults, lossType: obj.lossType },
      kinds: DPO_KINDS,
      text: DPO_TEXT,
    };
    const cmd = program
      .command(obj.name)
      .description(obj.description)
      .requiredOption('--model <run>', 'SFT run directory or HF folder (the policy starts from it)')
      .requiredOption('--out <dir>', 'run directory');
    addPreferenceDataOptions(cmd, "preferences JSONL (the reward model's format)");
    addHyperOptions(cmd, spec);
    cmd.action(async (o: Record<string, unknown>) => {
      const hyper = { ...hyperFromOptions(o, spec), lossType: obj.lossType };
      const out = o['out'] as string;
      const r = await dpoFromFiles({ ...hyper, ...preferenceInputs(o, hyper.seed) });
      const e = r.result.lastEval;
      console.log(
        `${r.stats.trainPairs} training / ${r.stats.valPairs} held-out pairs${e ? `; held-out loss ${e['loss']?.toFixed(4)}, implicit-reward accuracy ${((e['accuracy'] ?? 0) * 100).toFixed(1)}%` : ''}`,
      );
      console.log(`run directory: ${out}   (try: llmts chat --model ${out})`);
    });
  }
}
