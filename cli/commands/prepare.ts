/**
 * `llmts prepare`: tokenize text once into a token-shard dataset (docs/shard-format.md)
 * with a train/val split, for `llmts pretrain --data DIR`.
 */
import type { Command } from 'commander';
import { ArgumentError } from '../../src/core/errors.ts';
import { prepareDataset } from '../../src/data/prepare.ts';
import { loadTokenizerLike } from '../../src/data/tokenize/tokenizer-like.ts';

/** A numeric flag in [min, max] (an integer when `int`), or undefined when not given. */
function num(name: string, v: string | undefined, int: boolean, min: number, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}${int ? ']' : ')'}`;
    throw new ArgumentError('prepare', `--${name} expects ${int ? 'an integer' : 'a number'} ${range}, got ${v}`);
  }
  return n;
}

export function register(program: Command): void {
  program
    .command('prepare')
    .description(
      'tokenize text files into a token-shard dataset (uint16/uint32 .bin + .idx + meta.json) with a train/val split',
    )
    .requiredOption('--input <files...>', 'text or JSONL files, directories or globs')
    .requiredOption('--out <dir>', 'dataset directory to write')
    .option('--tokenizer <spec>', 'tokenizer.json / tokenizer directory, "char" or "bytes"')
    .option('--char', 'character-level vocabulary built from the input (nanoGPT shakespeare_char)')
    .option(
      '--val-fraction <f>',
      'fraction for val: of the characters for a single document, else of the documents (default 0.1)',
    )
    .option('--val-documents <n>', 'the last N documents are val (instead of --val-fraction)')
    .option('--format <f>', 'auto | jsonl | text', 'auto')
    .option('--text-field <name>', 'JSONL field holding the text', 'text')
    .option('--text-mode <mode>', 'text files: file | paragraph | line (one document per ...)', 'file')
    .option('--no-eos', "do not append the tokenizer's EOS after each document")
    .option('--eos-id <id>', "the separator id appended after each document (default: the tokenizer's EOS)")
    .option('--max-tokens-per-file <n>', 'roll to a new .bin after this many tokens')
    .action(async (o: Record<string, string | string[] | boolean | undefined>) => {
      const spec = o['char'] === true ? 'char' : (o['tokenizer'] as string | undefined);
      if (spec === undefined) throw new ArgumentError('prepare', 'give --tokenizer <file|dir|char|bytes> or --char');
      if (o['valFraction'] !== undefined && o['valDocuments'] !== undefined)
        throw new ArgumentError('prepare', '--val-fraction and --val-documents exclude each other');
      const format = o['format'] as string;
      const mode = o['textMode'] as string;
      if (!['auto', 'jsonl', 'text'].includes(format))
        throw new ArgumentError('prepare', `--format must be auto, jsonl or text, got ${format}`);
      if (!['file', 'paragraph', 'line'].includes(mode))
        throw new ArgumentError('prepare', `--text-mode must be file, paragraph or line, got ${mode}`);
      const t0 = performance.now();
      const valFraction = num('val-fraction', o['valFraction'] as string | undefined, false, 0, 1);
      if (valFraction === 1)
        throw new ArgumentError('prepare', '--val-fraction must be below 1 (some data must train)');
      const valDocuments = num('val-documents', o['valDocuments'] as string | undefined, true, 0);
      const eosId = num('eos-id', o['eosId'] as string | undefined, true, 0);
      const maxTokens = num('max-tokens-per-file', o['maxTokensPerFile'] as string | undefined, true, 1);
      const r = await prepareDataset({
        inputs: o['input'] as string[],
        out: o['out'] as string,
        char: spec === 'char',
        tokenizer: spec === 'char' ? null : await loadTokenizerLike(spec, '--tokenizer'),
        tokenizerName: spec === 'bytes' ? 'bytes' : null,
        ...(valFraction !== undefined ? { valFraction } : {}),
        ...(valDocuments !== undefined ? { valDocuments } : {}),
        ...(maxTokens !== undefined ? { maxTokensPerFile: maxTokens } : {}),
        appendEos: o['eos'] !== false,
        ...(eosId !== undefined ? { eosId } : {}),
        format: format as 'auto' | 'jsonl' | 'text',
        textField: o['textField'] as string,
        textMode: mode as 'file' | 'paragraph' | 'line',
      });
      const m = r.meta;
      const secs = (performance.now() - t0) / 1000;
      for (const [name, s] of Object.entries(m.splits))
        console.log(
          `${name}: ${s.tokens.toLocaleString('en')} tokens in ${s.documents} documents, ${s.files.length} file(s)`,
        );
      console.log(`vocab ${m.vocab_size} (${m.dtype}), eos ${m.eos_id ?? 'none'}; ${m.source}`);
      const mal = Object.entries(r.reader.malformed);
      if (mal.length > 0) console.log(`malformed input skipped: ${mal.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const e of r.reader.errors) console.log(`error: ${e}`);
      console.log(`wrote ${o['out']} in ${secs.toFixed(2)}s`);
    });
}
