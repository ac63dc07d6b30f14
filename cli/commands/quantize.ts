/**
 * `llmts quantize --model PATH --bits 8|4 --out DIR`: weight-only quantization for inference
 * (q8_0 or q4_0: blocks of 32 weights with one fp16 scale, llama.cpp's semantics; see
 * docs/quantization.md). The output directory holds model.safetensors (quantized Linears,
 * everything else float32) and the source's tokenizer and generation files; every command that
 * loads a model (sample, score, eval, chat, serve) accepts it.
 */
import type { Command } from 'commander';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadModel } from '../../src/io/load-model.ts';
import { QUANTIZED_FILE, saveQuantizedModel } from '../../src/io/quantized.ts';
import { quantizeModel } from '../../src/models/quantize.ts';
import { specOf } from '../../src/models/registry.ts';
import { ArgumentError } from '../../src/core/errors.ts';

const SIDE_FILES = [
  'tokenizer.json',
  'chars.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
  'chat_template.jinja',
];

export function register(program: Command): void {
  program
    .command('quantize')
    .description('write a weight-quantized copy of a model: --bits 8 (q8_0) or 4 (q4_0)')
    .requiredOption('--model <path>', 'run directory, checkpoint file or HF model directory')
    .requiredOption('--bits <n>', '8 (q8_0) or 4 (q4_0)')
    .requiredOption('--out <dir>', 'output directory')
    .action((o: { model: string; bits: string; out: string }) => {
      if (o.bits !== '8' && o.bits !== '4') throw new ArgumentError('--bits', `expects 8 or 4, got ${o.bits}`);
      const scheme = o.bits === '8' ? 'q8_0' : 'q4_0';
      if (existsSync(join(o.out, 'config.json')))
        throw new ArgumentError(
          '--out',
          `${o.out} holds a config.json (an HF model directory): choose another directory`,
        );
      const { model, source } = loadModel(o.model);
      const report = quantizeModel(model, scheme);
      if (report.quantized.length === 0)
        throw new ArgumentError('--model', 'no linear layer has an input width that is a multiple of 32');
      mkdirSync(o.out, { recursive: true });
      saveQuantizedModel(join(o.out, QUANTIZED_FILE), model, specOf(model), source);
      const srcDir = statSync(o.model).isDirectory() ? o.model : dirname(o.model);
      const copied = SIDE_FILES.filter((f) => existsSync(join(srcDir, f)));
      for (const f of copied) copyFileSync(join(srcDir, f), join(o.out, f));
      const mb = (b: number): string => (b / 1e6).toFixed(1);
      console.log(
        `${scheme}: ${report.quantized.length} linear layers, ${mb(report.floatBytes)} MB of float32 weights -> ${mb(report.quantBytes)} MB` +
          (report.skipped.length > 0 ? `; kept in float32: ${report.skipped.join(', ')}` : ''),
      );
      console.log(`wrote ${join(o.out, QUANTIZED_FILE)}${copied.length > 0 ? ` (+ ${copied.join(', ')})` : ''}`);
    });
}
