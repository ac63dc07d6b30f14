/** `llmts model info|init`: inspect a model, or create a fresh one from a preset. */
import type { Command } from 'commander';
import { loadModel } from '../../src/io/load-model.ts';
import { saveHfModel } from '../../src/io/hf/save.ts';
import { hfArchitectureFor } from '../../src/io/hf/config.ts';
import { saveCheckpoint } from '../../src/io/checkpoint.ts';
import { PRESETS, createModel, specFromPreset, specOf } from '../../src/models/registry.ts';
import type { AnyModel, PresetName } from '../../src/models/registry.ts';
import { GPT } from '../../src/models/gpt.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { join } from 'node:path';
import { defined, floatOption, intOption } from '../options.ts';

function fmt(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)}B`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)}M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(1)}K`
        : String(n);
}

export function describeModel(model: AnyModel): Record<string, unknown> {
  const spec = specOf(model);
  const params = model.numParameters();
  const info: Record<string, unknown> = { family: spec.family, parameters: params, config: spec.config };
  if (model instanceof GPT) info['parameters_non_embedding'] = model.numParametersNonEmbedding();
  // training FLOPs (forward + backward) per token at the full context (see each model's flopsPerToken)
  info['flops_per_token'] = model.flopsPerToken();
  try {
    info['hf_architecture'] = hfArchitectureFor(spec);
  } catch {
    info['hf_architecture'] = null;
  }
  return info;
}

export function register(program: Command): void {
  const model = program.command('model').description('inspect or create models');
  model
    .command('info')
    .description('config, parameter count and training FLOPs per token of a model')
    .argument('<path>', 'run directory, checkpoint or HF model directory')
    .option('--json', 'print JSON')
    .action((path: string, o: { json?: boolean }) => {
      const { model: m, source } = loadModel(path);
      const info = describeModel(m);
      if (o.json) {
        console.log(JSON.stringify({ source, ...info }, null, 2));
        return;
      }
      console.log(`source: ${source}`);
      console.log(
        `family: ${String(info['family'])}   HF architecture: ${String(info['hf_architecture'] ?? 'none (llmts checkpoint only)')}`,
      );
      console.log(
        `parameters: ${fmt(info['parameters'] as number)} (${(info['parameters'] as number).toLocaleString('en')})`,
      );
      if (info['parameters_non_embedding'] !== undefined)
        console.log(`parameters without position embeddings: ${fmt(info['parameters_non_embedding'] as number)}`);
      console.log(`training FLOPs per token: ${fmt(info['flops_per_token'] as number)}`);
      console.log(`config: ${JSON.stringify(info['config'], null, 2)}`);
    });
  model
    .command('init')
    .description('create a freshly initialized model from a preset and save it')
    .requiredOption('--preset <name>', PRESETS.join(' | '))
    .requiredOption('--out <dir>', 'directory to write')
    .option('--vocab-size <n>')
    .option('--block-size <n>')
    .option('--n-layer <n>')
    .option('--n-head <n>')
    .option('--n-kv-head <n>')
    .option('--n-embd <n>')
    .option('--intermediate-size <n>')
    .option('--dropout <p>')
    .option('--seed <n>', 'initialization seed', '0')
    .option(
      '--format <f>',
      'auto (HF layout when the architecture has one, else llmts), hf (config.json + model.safetensors) or llmts (checkpoint)',
      'auto',
    )
    .action((o: Record<string, string | undefined>) => {
      const preset = o['preset'] as string;
      if (!(PRESETS as readonly string[]).includes(preset))
        throw new ArgumentError('--preset', `unknown preset "${preset}" (expected ${PRESETS.join(', ')})`);
      const spec = specFromPreset(
        preset as PresetName,
        defined({
          vocabSize: intOption('--vocab-size', o['vocabSize'], 1),
          blockSize: intOption('--block-size', o['blockSize'], 1),
          nLayer: intOption('--n-layer', o['nLayer'], 1),
          nHead: intOption('--n-head', o['nHead'], 1),
          nKvHead: intOption('--n-kv-head', o['nKvHead'], 1),
          nEmbd: intOption('--n-embd', o['nEmbd'], 1),
          intermediateSize: intOption('--intermediate-size', o['intermediateSize'], 1),
          dropout: floatOption('--dropout', o['dropout'], 0, 0.99),
        }),
      );
      const m = createModel(spec, { seed: intOption('--seed', o['seed']) ?? 0 });
      const out = o['out'] as string;
      let format = o['format'];
      if (format === 'auto') {
        try {
          hfArchitectureFor(spec);
          format = 'hf';
        } catch {
          format = 'llmts';
        }
      }
      if (format === 'hf') {
        const files = saveHfModel(m, out);
        console.log(`wrote ${join(out, 'config.json')} and ${files.join(', ')}`);
      } else if (format === 'llmts') {
        saveCheckpoint({
          path: join(out, 'checkpoint-last.safetensors'),
          model: m,
          spec,
          optimizer: null,
          step: 0,
          extra: null,
          train: null,
        });
        console.log(`wrote ${join(out, 'checkpoint-last.safetensors')}`);
      } else {
        throw new ArgumentError('--format', `expects hf or llmts, got ${String(o['format'])}`);
      }
      console.log(`${spec.family} model, ${fmt(m.numParameters())} parameters`);
    });
}
