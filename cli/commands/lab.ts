/** `llmts lab`: the seed notes' claims, run as experiments on llmts's own models (src/lab). */
import type { Command } from 'commander';
import { EXPERIMENTS } from '../../src/lab/registry.ts';
import { runLab } from '../../src/lab/runner.ts';
import { intOption } from '../options.ts';

export function register(program: Command): void {
  const lab = program.command('lab').description("run the notes' claims as experiments and report whether each holds");
  lab
    .command('list')
    .description('list the experiments with the notes section each tests')
    .action(() => {
      for (const e of EXPERIMENTS) console.log(`${e.name.padEnd(18)} §${String(e.section).padEnd(3)} ${e.title}`);
      console.log(`\nrun one with: llmts lab run NAME | SECTION | all [--quick] [--out DIR] [--seed N] [--seeds N]`);
    });
  lab
    .command('run')
    .description(
      'run experiments by name, section number, or all; writes result.json and plots per experiment and report.html',
    )
    .argument('<names...>', 'experiment names, section numbers (1-11), or all')
    .option('--quick', 'small models and short runs (each experiment under a minute)')
    .option('--out <dir>', 'output directory (default runs/lab, or runs/lab-quick with --quick)')
    .option('--seed <n>', 'first random seed (comparisons use seed, seed + 1, ...)', '1337')
    .option('--seeds <n>', 'seeds per comparison of trained models (default 3 with --quick, 5 at full size)')
    .action(async (names: string[], o: { quick?: boolean; out?: string; seed: string; seeds?: string }) => {
      const quick = o.quick === true;
      const seeds = o.seeds !== undefined ? intOption('--seeds', o.seeds, 2) : undefined;
      await runLab(names, {
        outDir: o.out ?? (quick ? 'runs/lab-quick' : 'runs/lab'),
        quick,
        seed: intOption('--seed', o.seed, 0)!,
        ...(seeds !== undefined ? { seeds } : {}),
        command: `llmts lab run ${names.join(' ')}${quick ? ' --quick' : ''}${o.seed !== '1337' ? ` --seed ${o.seed}` : ''}${o.seeds !== undefined ? ` --seeds ${o.seeds}` : ''}`,
      });
    });
}
