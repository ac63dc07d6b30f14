/** `llmts lora merge`: a PEFT LoRA adapter merged into its base model (PEFT's merge_and_unload). */
import type { Command } from 'commander';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadTokenizer } from '../../src/tokenizers/index.ts';
import { join } from 'node:path';
import { ConfigError, IOError } from '../../src/core/errors.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { isHfModelDir } from '../../src/io/hf/load.ts';
import { saveHfModel } from '../../src/io/hf/save.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { mergePeftAdapter, readPeftConfig } from '../../src/io/peft.ts';
import { GPT } from '../../src/models/gpt.ts';
import { specOf } from '../../src/models/registry.ts';
import { ArgumentError } from '../../src/core/errors.ts';

export function register(program: Command): void {
  const lora = program.command('lora').description('LoRA adapters (PEFT layout)');
  lora
    .command('merge')
    .description('merge a PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) into its base model')
    .requiredOption('--adapter <dir>', 'adapter folder: an llmts run trained with --lora-r, or one PEFT wrote')
    .option(
      '--base <model>',
      "base model (run directory, checkpoint or HF folder; default: the adapter's base_model_name_or_path)",
    )
    .requiredOption('--out <dir>', 'directory to write the merged model to')
    .option('--format <f>', 'hf (config.json + model.safetensors) | llmts (checkpoint) | auto (as the base)', 'auto')
    .action((o: { adapter: string; base?: string; out: string; format: string }) => {
      const { config } = readPeftConfig(o.adapter);
      const base = o.base ?? config.base_model_name_or_path;
      if (base === null || base === undefined)
        throw new ArgumentError('--base', 'the adapter names no base model (base_model_name_or_path): give --base');
      if (!existsSync(base)) throw new IOError(base, 'base model not found (give --base)');
      const { model, source } = loadModel(base);
      if (!(model instanceof GPT)) throw new ConfigError('base', `${base} is not a GPT-family model`);
      // an adapter trained with new special tokens needs the grown embedding its run saved
      const tok = join(o.adapter, 'tokenizer.json');
      if (existsSync(tok) && loadTokenizer(tok).vocabSize > model.config.vocabSize)
        throw new ConfigError(
          'tokenizer',
          `${tok} has more tokens than ${base} has embedding rows: the adapter's run grew the vocabulary, so use its run directory (its checkpoint holds the merged model)`,
        );
      mergePeftAdapter(model, o.adapter);
      const format = o.format === 'auto' ? (isHfModelDir(base) ? 'hf' : 'llmts') : o.format;
      if (format === 'hf') saveHfModel(model, o.out);
      else if (format === 'llmts') {
        mkdirSync(o.out, { recursive: true });
        saveCheckpoint({
          path: join(o.out, 'checkpoint-last.safetensors'),
          model,
          spec: specOf(model),
          optimizer: null,
          step: 0,
          extra: null,
          train: null,
        });
      } else throw new ArgumentError('--format', `expects hf, llmts or auto, got ${o.format}`);
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
        const from = [join(o.adapter, f), join(base, f)].find((p) => existsSync(p));
        if (from !== undefined) copyFileSync(from, join(o.out, f));
      }
      console.log(`merged ${o.adapter} into ${source} -> ${o.out} (${format})`);
    });
}
