/** `llmts demo`: the main job, end to end on embedded data (see src/demo/pretrain-demo.ts). */
import type { Command } from 'commander';
import { join } from 'node:path';
import { runPretrainDemo, DEMO_SIZES } from '../../src/demo/pretrain-demo.ts';
import { runRlhfDemo } from '../../src/demo/rlhf-demo.ts';
import { runReasoningDemo } from '../../src/demo/reasoning-demo.ts';
import type { DemoSize } from '../../src/demo/pretrain-demo.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { getDefaultBackend } from '../../src/backends/select.ts';
import { floatOption, intOption } from '../options.ts';

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'train a BPE tokenizer and pretrain a small GPT on real English text (nlp-corpus), then sample from it',
    )
    .option('--preset <size>', `model size: ${Object.keys(DEMO_SIZES).join(' | ')}`, 'small')
    .option('--steps <n>', "training steps (default: the preset's; the same work on every machine)")
    .option('--out <dir>', 'run directory (default runs/demo-<time>)')
    .option('--seed <n>', 'random seed', '1337')
    .option('--max-sentences <n>', 'use only the first N corpus sentences')
    .option(
      '--rlhf',
      'the alignment pipeline instead: tokenizer -> pretrain -> SFT -> reward model -> PPO on a task with a gold reward',
    )
    .option(
      '--compare',
      'with --rlhf: also DPO, KTO, ORPO, SimPO, CPO, GRPO, RLOO, PPO-ptx and PPO with beta = 0 (reward over-optimization)',
    )
    .option(
      '--reasoning',
      'RL with a verifiable reward instead: pretrain -> SFT on two-digit sums -> GRPO rewarded by exact match (no reward model)',
    )
    .option('--grpo-seconds <s>', 'with --reasoning: GRPO time budget', '150')
    .option('--pretrain-minutes <m>', 'with --rlhf: pretraining time budget', '1')
    .action(async (o: Record<string, string | undefined>) => {
      if (o['reasoning'] !== undefined) {
        const maxSentences = intOption('--max-sentences', o['maxSentences'], 1);
        await runReasoningDemo({
          runDir: o['out'] ?? join('runs', `reasoning-demo-${timestamp()}`),
          pretrainMinutes: floatOption('--pretrain-minutes', o['pretrainMinutes'], 0.05)!,
          grpoSeconds: floatOption('--grpo-seconds', o['grpoSeconds'], 1)!,
          seed: intOption('--seed', o['seed'])!,
          ...(maxSentences !== undefined ? { maxSentences } : {}),
        });
        return;
      }
      if (o['rlhf'] !== undefined) {
        const maxSentences = intOption('--max-sentences', o['maxSentences'], 1);
        await runRlhfDemo({
          runDir: o['out'] ?? join('runs', `rlhf-demo-${timestamp()}`),
          pretrainMinutes: floatOption('--pretrain-minutes', o['pretrainMinutes'], 0.05)!,
          seed: intOption('--seed', o['seed'])!,
          compare: o['compare'] !== undefined,
          ...(maxSentences !== undefined ? { maxSentences } : {}),
        });
        return;
      }
      const size = o['preset'] as string;
      if (!(size in DEMO_SIZES))
        throw new ArgumentError('--preset', `expects ${Object.keys(DEMO_SIZES).join(', ')}, got ${size}`);
      const backend = getDefaultBackend();
      console.log(`llmts demo: backend ${backend.name} (${backend.threads} thread${backend.threads === 1 ? '' : 's'})`);
      const maxSentences = intOption('--max-sentences', o['maxSentences'], 1);
      const steps = intOption('--steps', o['steps'], 1);
      await runPretrainDemo({
        runDir: o['out'] ?? join('runs', `demo-${timestamp()}`),
        size: size as DemoSize,
        ...(steps !== undefined ? { steps } : {}),
        seed: intOption('--seed', o['seed'])!,
        ...(maxSentences !== undefined ? { maxSentences } : {}),
      });
    });
}
