/** `llmts pretrain`: train a GPT / LLaMA / BERT / encoder-decoder model on a token-shard dataset. */
import type { Command } from 'commander';
import { pretrain, defaultPretrainConfig } from '../../src/train/pretrain.ts';
import { PRESETS } from '../../src/models/registry.ts';
import type { PresetName } from '../../src/models/registry.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { defined, floatOption, intOption, positiveOption } from '../options.ts';

export function register(program: Command): void {
  program
    .command('pretrain')
    .description(
      'pretrain a model on a token-shard dataset (from `llmts prepare`): causal LM, masked LM or denoising by model family',
    )
    .requiredOption('--data <dir>', 'token-shard dataset directory')
    .requiredOption('--out <dir>', 'run directory (metrics.jsonl, loss.svg, checkpoints)')
    .option(
      '--model <preset>',
      `model preset: ${PRESETS.join(' | ')} (gpt2/llama/bert/encdec families)`,
      'shakespeare-char',
    )
    .option('--n-layer <n>')
    .option('--n-head <n>')
    .option('--n-kv-head <n>')
    .option('--n-embd <n>')
    .option('--block-size <n>', 'context length')
    .option('--intermediate-size <n>')
    .option('--dropout <p>')
    .option('--batch-size <n>', 'sequences per micro-batch', '12')
    .option('--steps <n>', 'optimizer steps', '2000')
    .option('--lr <x>', 'peak learning rate', '1e-3')
    .option('--min-lr <x>', 'final learning rate', '1e-4')
    .option('--warmup <n>', 'linear warmup steps', '100')
    .option('--decay-steps <n>', 'cosine decay length (default: steps)')
    .option('--weight-decay <x>', 'AdamW weight decay', '0.1')
    .option('--beta2 <x>', 'AdamW beta2', '0.99')
    .option('--grad-clip <x>', 'global grad-norm clip (0: none)', '1.0')
    .option('--grad-accum <n>', 'micro-batches per step', '1')
    .option('--eval-every <n>', 'steps between evaluations', '250')
    .option('--eval-batches <n>', 'batches per evaluation', '20')
    .option('--checkpoint-every <n>', 'steps between checkpoints', '250')
    .option('--seed <n>', 'random seed', '1337')
    .option('--minutes <m>', 'stop after this many minutes (final eval and checkpoint still run)')
    .option('--resume', "continue from the run directory's last checkpoint exactly")
    .option('--spike-factor <x>', 'stop when a loss exceeds x times the recent median (0: never)', '4')
    .option('--collapse-steps <n>', 'stop after n steps at the uniform-prediction loss (0: never)', '10')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const preset = o['model'] as string;
      if (!(PRESETS as readonly string[]).includes(preset))
        throw new ArgumentError('--model', `unknown preset "${preset}" (expected ${PRESETS.join(', ')})`);
      const steps = intOption('--steps', o['steps'], 1)!;
      const minutes = positiveOption('--minutes', o['minutes']);
      const lr = positiveOption('--lr', o['lr'], 10)!;
      const minLr = floatOption('--min-lr', o['minLr'], 0, lr)!;
      const clip = floatOption('--grad-clip', o['gradClip'], 0)!;
      const config = defaultPretrainConfig({
        data: o['data'] as string,
        runDir: o['out'] as string,
        preset: preset as PresetName,
        overrides: defined({
          nLayer: intOption('--n-layer', o['nLayer'], 1),
          nHead: intOption('--n-head', o['nHead'], 1),
          nKvHead: intOption('--n-kv-head', o['nKvHead'], 1),
          nEmbd: intOption('--n-embd', o['nEmbd'], 1),
          blockSize: intOption('--block-size', o['blockSize'], 1),
          intermediateSize: intOption('--intermediate-size', o['intermediateSize'], 1),
          dropout: floatOption('--dropout', o['dropout'], 0, 0.99),
        }),
        batchSize: intOption('--batch-size', o['batchSize'], 1, 1 << 20)!,
        steps,
        lr,
        minLr,
        warmupSteps: intOption('--warmup', o['warmup'], 0)!,
        decaySteps: intOption('--decay-steps', o['decaySteps'], 1) ?? steps,
        weightDecay: floatOption('--weight-decay', o['weightDecay'], 0)!,
        beta2: floatOption('--beta2', o['beta2'], 0, 0.9999999)!,
        gradClip: clip > 0 ? clip : null,
        gradAccumSteps: intOption('--grad-accum', o['gradAccum'], 1)!,
        evalEvery: intOption('--eval-every', o['evalEvery'], 0)!,
        evalBatches: intOption('--eval-batches', o['evalBatches'], 1)!,
        checkpointEvery: intOption('--checkpoint-every', o['checkpointEvery'], 0)!,
        seed: intOption('--seed', o['seed'], 0, 2 ** 32 - 1)!,
        resume: o['resume'] === true,
        spikeFactor: floatOption('--spike-factor', o['spikeFactor'], 0, 1e6)!,
        collapseSteps: intOption('--collapse-steps', o['collapseSteps'], 0)!,
        ...(minutes !== undefined ? { timeLimitSeconds: minutes * 60 } : {}),
      });
      const r = await pretrain(config);
      const e = r.result.lastEval;
      console.log(
        `steps ${r.result.steps}, ${r.result.msPerStep.toFixed(1)} ms/step, ${Math.round(r.result.tokensPerSecond)} tokens/s`,
      );
      if (e)
        console.log(
          `validation loss ${e['loss']?.toFixed(4)}, perplexity ${e['perplexity']?.toFixed(2)}${e['bits_per_byte'] !== undefined ? `, ${e['bits_per_byte'].toFixed(3)} bits/byte` : ''}`,
        );
      console.log(`run directory: ${r.runDir}`);
    });
}
