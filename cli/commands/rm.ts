/** `llmts rm`: train a reward model on ranked answers (K-way / pairwise Bradley-Terry). */
import type { Command } from 'commander';
import { rewardFromFiles, REWARD_DEFAULTS } from '../../src/align/reward.ts';
import { REWARD_KINDS, REWARD_TEXT } from '../../src/align/stage-options.ts';
import { addHyperOptions, addPreferenceDataOptions, hyperFromOptions, preferenceInputs } from '../stage.ts';

const SPEC = { defaults: REWARD_DEFAULTS, kinds: REWARD_KINDS, text: REWARD_TEXT };

export function register(program: Command): void {
  const cmd = program
    .command('rm')
    .description(
      'train a reward model: backbone + scalar head at the last token, ranking loss over all C(K,2) pairs, held-out accuracy, mean-0/std-1 normalization',
    )
    .requiredOption('--model <run>', 'SFT run directory (the backbone)')
    .requiredOption('--out <dir>', 'run directory');
  addPreferenceDataOptions(
    cmd,
    'preferences JSONL: {prompt, chosen, rejected[, margin]} or {prompt, responses, ranking}',
  );
  addHyperOptions(cmd, SPEC);
  cmd.action(async (o: Record<string, unknown>) => {
    const hyper = hyperFromOptions(o, SPEC);
    const r = await rewardFromFiles({ ...hyper, ...preferenceInputs(o, hyper.seed) });
    console.log(
      `${r.stats.trainGroups} training / ${r.stats.valGroups} held-out groups; held-out pairwise accuracy ${(r.heldOut.accuracy * 100).toFixed(1)}% over ${r.heldOut.pairs} pairs`,
    );
    console.log(
      `normalization: score = (raw - ${r.normalization.mean.toFixed(4)}) / ${r.normalization.std.toFixed(4)}`,
    );
    console.log(`run directory: ${o['out'] as string}`);
  });
}
