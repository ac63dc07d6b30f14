/** `llmts eval`: loss, perplexity and bits per byte of a model on a token-shard split. */
import type { Command } from 'commander';
import { openShardDataset } from '../../src/data/shards/index.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { evaluateCausalLM } from '../../src/train/evaluate.ts';
import { GPT } from '../../src/models/gpt.ts';
import { ArgumentError, NumericError } from '../../src/core/errors.ts';
import { intOption } from '../options.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description('loss, perplexity and bits per byte of a causal LM on a dataset split (non-overlapping windows)')
    .requiredOption('--model <path>', 'run directory, checkpoint or HF model directory')
    .requiredOption('--data <dir>', 'token-shard dataset')
    .option('--split <name>', 'split to evaluate', 'val')
    .option('--max-tokens <n>', 'evaluate at most this many tokens')
    .option('--batch-size <n>', 'windows per forward pass', '8')
    .option('--json', 'print JSON')
    .action((o: Record<string, string | boolean | undefined>) => {
      const { model, codec } = loadModel(o['model'] as string);
      if (!(model instanceof GPT))
        throw new ArgumentError('--model', 'eval measures causal-LM loss: it needs a GPT-family model');
      const dataset = openShardDataset(o['data'] as string);
      try {
        const split = dataset.split(o['split'] as string);
        const r = evaluateCausalLM(model, split, {
          batchSize: intOption('--batch-size', o['batchSize'], 1)!,
          ...(o['maxTokens'] !== undefined ? { maxTokens: intOption('--max-tokens', o['maxTokens'], 1)! } : {}),
          ...(codec !== null
            ? { decode: (ids: readonly number[]) => codec.decode(ids) }
            : dataset.meta.tokenizer.chars
              ? { decode: (ids: readonly number[]) => ids.map((i) => dataset.meta.tokenizer.chars![i] ?? '').join('') }
              : {}),
        });
        if (o['json'] === true) console.log(JSON.stringify(r));
        else
          console.log(
            `${r.tokens.toLocaleString('en')} tokens: loss ${r.loss.toFixed(4)}, perplexity ${r.perplexity.toFixed(3)}${r.bitsPerByte !== null ? `, ${r.bitsPerByte.toFixed(4)} bits/byte` : ''}`,
          );
        if (!Number.isFinite(r.loss))
          throw new NumericError(
            `the loss is ${r.loss}: the model's weights are NaN or infinite (a diverged run?), or the split is empty`,
          );
      } finally {
        dataset.close();
      }
    });
}
