/**
 * Tokenizer commands:
 *   llmts tokenizer train --model bpe|wordpiece|char|unigram|spm-bpe --vocab-size N --input FILE... --output DIR
 *   llmts tokenizer info PATH
 *   llmts tokenize --tokenizer PATH [--input FILE | TEXT...] [--format ids|tokens|json]
 *   llmts detokenize --tokenizer PATH [--input FILE | IDS...]
 * One output line per input line. PATH is a tokenizer.json, .tiktoken, vocab.txt, .model or a directory.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { ArgumentError, IOError } from '../../src/core/errors.ts';
import {
  getTrainer,
  loadTokenizer,
  saveBertVocab,
  trainerNames,
  WordPiece,
  type EncodeOptions,
  type Tokenizer,
} from '../../src/tokenizers/index.ts';

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new ArgumentError('tokenizer', `${flag} expects a positive integer, got ${v}`);
  return n;
}

/** Lines of --input FILE, or the positional arguments as one line. */
async function* inputLines(input: string | undefined, args: string[]): AsyncGenerator<string> {
  if (input !== undefined) {
    if (!existsSync(input)) throw new IOError(input, 'no such file');
    const rl = createInterface({ input: createReadStream(input, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of rl) yield line;
    return;
  }
  if (args.length === 0) throw new ArgumentError('tokenize', 'give the text as arguments or --input FILE');
  yield args.join(' ');
}

function encodeOptions(o: { special?: boolean; allowedSpecial?: string }): EncodeOptions {
  const opts: EncodeOptions = { addSpecialTokens: o.special !== false };
  if (o.allowedSpecial === 'none') opts.allowedSpecial = 'none';
  else if (o.allowedSpecial !== undefined && o.allowedSpecial !== 'all')
    opts.allowedSpecial = o.allowedSpecial.split(',');
  return opts;
}

function describe(tok: Tokenizer): string {
  const lines = [
    `model: ${tok.model.type}`,
    `vocab size: ${tok.vocabSize}`,
    `normalizer: ${tok.normalizer?.type ?? 'none'}`,
    `pre-tokenizer: ${tok.preTokenizer?.type ?? 'none'}`,
    `post-processor: ${tok.postProcessor?.type ?? 'none'}`,
    `decoder: ${tok.decoder?.type ?? 'none'}`,
    `special tokens: ${tok.specialTokens.map((t) => `${t.content}=${t.id}`).join(' ') || 'none'}`,
  ];
  const r = tok.getRoles();
  lines.push(`roles: bos=${r.bos ?? '-'} eos=${r.eos ?? '-'} pad=${r.pad ?? '-'} unk=${r.unk ?? '-'}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const tk = program
    .command('tokenizer')
    .description('train and inspect tokenizers (BPE, WordPiece, char, SentencePiece)');

  tk.command('train')
    .description('train a tokenizer on text files and write DIR/tokenizer.json (+ vocab.txt for wordpiece)')
    .requiredOption('--model <kind>', 'bpe | wordpiece | char | unigram | spm-bpe')
    .option('--vocab-size <n>', 'target vocabulary size (ignored by char)', '8000')
    .requiredOption('--input <files...>', 'training text files')
    .requiredOption('--output <dir>', 'output directory')
    .option('--special-tokens <list>', 'comma-separated special tokens, given the first ids')
    .option('--min-frequency <n>', 'minimum pair frequency for a merge')
    .option('--no-progress', 'no progress bar')
    .action(
      async (o: {
        model: string;
        vocabSize: string;
        input: string[];
        output: string;
        specialTokens?: string;
        minFrequency?: string;
        progress: boolean;
      }) => {
        const trainer = getTrainer(o.model);
        if (trainer === undefined) {
          const known = trainerNames().join(', ');
          const hint =
            o.model === 'unigram' || o.model === 'spm-bpe'
              ? ' (the SentencePiece trainers are not registered in this build)'
              : '';
          throw new ArgumentError('tokenizer train', `unknown --model ${o.model}${hint}; available: ${known}`);
        }
        const t0 = performance.now();
        const tok = await trainer.train(o.input, {
          vocabSize: positiveInt('--vocab-size', o.vocabSize),
          showProgress: o.progress,
          ...(o.specialTokens !== undefined
            ? { specialTokens: o.specialTokens.split(',').filter((s) => s.length > 0) }
            : {}),
          ...(o.minFrequency !== undefined ? { minFrequency: positiveInt('--min-frequency', o.minFrequency) } : {}),
        });
        const written = [join(o.output, 'tokenizer.json')];
        tok.save(written[0]!);
        if (tok.model instanceof WordPiece) {
          saveBertVocab(tok, join(o.output, 'vocab.txt'));
          written.push(join(o.output, 'vocab.txt'));
        }
        if (trainer.saveExtra !== undefined) written.push(...trainer.saveExtra(tok, o.output));
        console.log(
          `trained ${o.model} tokenizer: ${tok.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
        );
        for (const f of written) console.log(`wrote ${f}`);
      },
    );

  tk.command('info')
    .description('describe a tokenizer')
    .argument('<path>', 'tokenizer.json, .tiktoken, vocab.txt, .model or a directory')
    .action((path: string) => console.log(describe(loadTokenizer(path))));

  program
    .command('tokenize')
    .description('print token ids (one line per input line)')
    .requiredOption('--tokenizer <path>', 'tokenizer.json, .tiktoken, vocab.txt, .model or a directory')
    .option('--input <file>', 'read lines from a file instead of the arguments')
    .option('--format <fmt>', 'ids | tokens | json', 'ids')
    .option('--no-special', 'do not add the post-processor special tokens ([CLS]/[SEP], BOS/EOS)')
    .option(
      '--allowed-special <list>',
      "specials written in the text that become special ids: 'all' (default), 'none', or a comma list",
    )
    .argument('[text...]', 'text to tokenize')
    .action(
      async (
        text: string[],
        o: { tokenizer: string; input?: string; format: string; special?: boolean; allowedSpecial?: string },
      ) => {
        if (!['ids', 'tokens', 'json'].includes(o.format))
          throw new ArgumentError('tokenize', `--format must be ids, tokens or json, got ${o.format}`);
        const tok = loadTokenizer(o.tokenizer);
        const opts = encodeOptions(o);
        for await (const line of inputLines(o.input, text)) {
          if (o.format === 'ids') {
            console.log(tok.encodeIds(line, opts).join(' '));
            continue;
          }
          const e = tok.encode(line, null, opts);
          if (o.format === 'tokens') console.log(e.tokens.join(' '));
          else console.log(JSON.stringify({ ids: e.ids, tokens: e.tokens, offsets: e.offsets }));
        }
      },
    );

  program
    .command('detokenize')
    .description('decode token ids (one line of space-separated ids per output line)')
    .requiredOption('--tokenizer <path>', 'tokenizer.json, .tiktoken, vocab.txt, .model or a directory')
    .option('--input <file>', 'read lines of ids from a file')
    .option('--keep-special', 'keep special tokens in the text')
    .argument('[ids...]', 'ids to decode')
    .action(async (ids: string[], o: { tokenizer: string; input?: string; keepSpecial?: boolean }) => {
      const tok = loadTokenizer(o.tokenizer);
      for await (const line of inputLines(o.input, ids)) {
        const parts = line
          .trim()
          .split(/[\s,]+/)
          .filter((s) => s.length > 0);
        const nums = parts.map((p) => {
          const n = Number(p);
          if (!Number.isInteger(n) || n < 0)
            throw new ArgumentError('detokenize', `not a token id: ${JSON.stringify(p)}`);
          return n;
        });
        console.log(tok.decode(nums, { skipSpecialTokens: o.keepSpecial !== true }));
      }
    });
}
