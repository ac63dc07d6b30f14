/**
 * Tokenizer commands:
 *   llmts tokenizer train --model bpe|wordpiece|char|unigram|spm-bpe --vocab-size N --input FILE... --output DIR
 *   llmts tokenizer info PATH
 *   llmts tokenize --tokenizer PATH [--input FILE | TEXT...] [--format ids|tokens|json]
 *   llmts detokenize --tokenizer PATH [--input FILE | IDS...]
 * One output line per input line. PATH is a tokenizer.json, .tiktoken, vocab.txt, .model or a directory.
 */
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ArgumentError, FormatError } from '../../src/core/errors.ts';
// only what loading and running a tokenizer needs: the pipeline components (registered by
// formats/load.ts) and the fast ids paths; trainers and the SentencePiece plugin load on demand
import '../../src/tokenizers/byte-level-fast.ts';
import '../../src/tokenizers/char-fast.ts';
import { appendByteLevelBytes, byteLevelLength, byteLevelTable } from '../../src/tokenizers/byte-level-decode.ts';
import { loadTokenizer } from '../../src/tokenizers/formats/load.ts';
import { defaultCacheDir } from '../../src/tokenizers/formats/tokenizer-cache.ts';
import type { EncodeOptions, Tokenizer } from '../../src/tokenizers/tokenizer.ts';
import { BufferedStdout, fileLineBatches } from '../text-io.ts';
import { writeTokenizerConfig } from '../../src/tokenizers/formats/tokenizer-config.ts';

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new ArgumentError('tokenizer', `${flag} expects a positive integer, got ${v}`);
  return n;
}

/** Registers the plugins (SentencePiece's `.model` format and types) and the trainers. */
async function loadEverything(): Promise<typeof import('../../src/tokenizers/index.ts')> {
  return import('../../src/tokenizers/index.ts');
}

/**
 * loadTokenizer with the binary cache (LLMTS_CACHE_DIR, LLMTS_NO_CACHE=1 to turn it off). A
 * format error may come from a type only a plugin knows (a .model file, a Unigram model):
 * then the plugins are registered and the load is tried once more.
 */
async function openTokenizer(path: string): Promise<Tokenizer> {
  const options = { cacheDir: defaultCacheDir() };
  try {
    return loadTokenizer(path, options);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    await loadEverything();
    return loadTokenizer(path, options);
  }
}

/** Batches of lines of --input FILE, or the positional arguments as one line. */
function* inputLines(input: string | undefined, args: string[], command: string): Generator<string[]> {
  if (input !== undefined) {
    yield* fileLineBatches(input);
    return;
  }
  if (args.length === 0) throw new ArgumentError(command, 'give the text as arguments or --input FILE');
  yield [args.join(' ')];
}

/** Whitespace or a comma: what separates ids on a line (as `/[\s,]+/` does). */
function isSeparator(line: string, i: number): boolean {
  const c = line.charCodeAt(i);
  if (c < 128) return c === 32 || c === 44 || (c >= 9 && c <= 13);
  return /[\s,]/.test(line[i]!);
}

/** Parses lines of ids (whitespace or commas between them) into one reused array. */
class IdLineParser {
  ids = new Int32Array(1024);

  /** The number of ids on `line`, now in `this.ids[0, n)`. */
  parse(line: string): number {
    let count = 0;
    const n = line.length;
    for (let i = 0; i < n;) {
      if (isSeparator(line, i)) {
        i++;
        continue;
      }
      const start = i;
      let v = 0;
      for (let c = line.charCodeAt(i); i < n && c >= 48 && c <= 57; c = line.charCodeAt(++i)) v = v * 10 + (c - 48);
      let text = '';
      if (i < n && !isSeparator(line, i)) {
        // not plain digits: take the whole word and judge it as Number() does
        while (i < n && !isSeparator(line, i)) i++;
        text = line.slice(start, i);
        v = Number(text);
      }
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff)
        throw new ArgumentError('detokenize', `not a token id: ${JSON.stringify(text || line.slice(start, i))}`);
      if (count === this.ids.length) {
        const bigger = new Int32Array(2 * count);
        bigger.set(this.ids);
        this.ids = bigger;
      }
      this.ids[count++] = v;
    }
    return count;
  }
}

function encodeOptions(o: { special?: boolean; allowedSpecial?: string }): EncodeOptions {
  const opts: EncodeOptions = { addSpecialTokens: o.special !== false };
  if (o.allowedSpecial === 'none' || o.allowedSpecial === 'all') opts.allowedSpecial = o.allowedSpecial;
  else if (o.allowedSpecial !== undefined) opts.allowedSpecial = o.allowedSpecial.split(',');
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
    .option(
      '--special-tokens <list>',
      'comma-separated special tokens, given the first ids ("" for none; default: <|endoftext|> for bpe and char, ' +
        "[PAD],[UNK],[CLS],[SEP],[MASK] for wordpiece, the SentencePiece trainers' own for unigram and spm-bpe)",
    )
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
        const { getTrainer, saveBertVocab, trainerNames, WordPiece } = await loadEverything();
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
        // an EOS by default, so llmts prepare separates documents (GPT-2's <|endoftext|>)
        const specials =
          o.specialTokens !== undefined
            ? o.specialTokens.split(',').filter((s) => s.length > 0)
            : o.model === 'bpe' || o.model === 'char'
              ? ['<|endoftext|>']
              : undefined;
        const tok = await trainer.train(o.input, {
          vocabSize: positiveInt('--vocab-size', o.vocabSize),
          showProgress: o.progress,
          ...(specials !== undefined ? { specialTokens: specials } : {}),
          ...(o.minFrequency !== undefined ? { minFrequency: positiveInt('--min-frequency', o.minFrequency) } : {}),
        });
        const written = [join(o.output, 'tokenizer.json')];
        tok.save(written[0]!);
        if (tok.model instanceof WordPiece) {
          saveBertVocab(tok, join(o.output, 'vocab.txt'));
          written.push(join(o.output, 'vocab.txt'));
        }
        if (trainer.saveExtra !== undefined) written.push(...trainer.saveExtra(tok, o.output));
        written.push(writeTokenizerConfig(o.output, tok));
        console.log(
          `trained ${o.model} tokenizer: ${tok.vocabSize} tokens in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
        );
        for (const f of written) console.log(`wrote ${f}`);
      },
    );

  tk.command('info')
    .description('describe a tokenizer')
    .argument('<path>', 'tokenizer.json, .tiktoken, vocab.txt, .model or a directory')
    .action(async (path: string) => console.log(describe(await openTokenizer(path))));

  program
    .command('tokenize')
    .description('print token ids (one line per input line)')
    .requiredOption('--tokenizer <path>', 'tokenizer.json, .tiktoken, vocab.txt, .model or a directory')
    .option('--input <file>', 'read lines from a file instead of the arguments')
    .option('--format <fmt>', 'ids | tokens | json', 'ids')
    .option('--no-special', 'do not add the post-processor special tokens ([CLS]/[SEP], BOS/EOS)')
    .option(
      '--allowed-special <list>',
      "specials written in the text that become special ids: 'all', 'none' or a comma list (default: 'all', as Hugging Face; 'none' for a SentencePiece .model, as SentencePiece)",
    )
    .argument('[text...]', 'text to tokenize')
    .action(
      async (
        text: string[],
        o: { tokenizer: string; input?: string; format: string; special?: boolean; allowedSpecial?: string },
      ) => {
        if (!['ids', 'tokens', 'json'].includes(o.format))
          throw new ArgumentError('tokenize', `--format must be ids, tokens or json, got ${o.format}`);
        const tok = await openTokenizer(o.tokenizer);
        const opts = encodeOptions(o);
        const out = new BufferedStdout();
        for (const lines of inputLines(o.input, text, 'tokenize')) {
          for (const line of lines) {
            if (o.format === 'ids') out.ids(tok.encodeIds(line, opts));
            else {
              const e = tok.encode(line, null, opts);
              out.line(
                o.format === 'tokens'
                  ? e.tokens.join(' ')
                  : JSON.stringify({ ids: e.ids, tokens: e.tokens, offsets: e.offsets }),
              );
            }
          }
          if (out.full) await out.flush();
        }
        await out.flush();
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
      const tok = await openTokenizer(o.tokenizer);
      const decode = { skipSpecialTokens: o.keepSpecial !== true };
      // byte-level BPE: each line's bytes go straight into the output buffer (when they are
      // valid UTF-8; otherwise the line goes through decode, which writes U+FFFD for them)
      const table = byteLevelTable(tok);
      const parser = new IdLineParser();
      const out = new BufferedStdout();
      for (const lines of inputLines(o.input, ids, 'detokenize')) {
        for (const line of lines) {
          const n = parser.parse(line);
          const view = parser.ids.subarray(0, n);
          const size = table === null ? -1 : byteLevelLength(table, view, n);
          const wrote =
            size >= 0 &&
            out.bytes(size + 1, (buf, at) => {
              const end = appendByteLevelBytes(table!, view, n, decode.skipSpecialTokens, buf, at);
              if (!isUtf8(buf.subarray(at, end))) return -1;
              buf[end] = 0x0a;
              return end + 1;
            });
          if (!wrote) out.line(tok.decode(view, decode));
        }
        if (out.full) await out.flush();
      }
      await out.flush();
    });
}
