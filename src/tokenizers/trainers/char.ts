/**
 * Character-level tokenizer (nanoGPT's shakespeare_char): the vocabulary is the sorted set of
 * characters (code points) of the training text, id = rank. Saved as tokenizer.json as a
 * WordLevel model behind a Split that isolates every character, with a Fuse decoder.
 */
import { ArgumentError } from '../../core/errors.ts';
import { FuseDecoder } from '../decoders/simple.ts';
import { specialAddedTokens } from '../formats/byte-level-pipeline.ts';
import { WordLevel } from '../models/word-level.ts';
import { regexPattern } from '../pattern.ts';
import { Split } from '../pre-tokenizers/split.ts';
import { Tokenizer } from '../tokenizer.ts';
import { forEachChunk } from './text-source.ts';

export interface CharTrainerOptions {
  /** Appended after the characters, as special added tokens. */
  specialTokens?: string[];
  /** A character outside the vocabulary maps to this token (added if missing); default: error. */
  unkToken?: string;
  showProgress?: boolean;
}

/** Every code point as its own piece. */
export const EACH_CHARACTER = '[\\s\\S]';

export function charTokenizerFromChars(chars: Iterable<string>, options: CharTrainerOptions = {}): Tokenizer {
  const sorted = [...new Set(chars)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const vocab = new Map(sorted.map((c, i) => [c, i]));
  const unk = options.unkToken ?? null;
  if (unk !== null && !vocab.has(unk)) vocab.set(unk, vocab.size);
  const specials = new Map<string, number>();
  for (const s of options.specialTokens ?? []) {
    const id = vocab.get(s) ?? vocab.size;
    vocab.set(s, id);
    specials.set(s, id);
  }
  return new Tokenizer(new WordLevel(vocab, unk), {
    preTokenizer: new Split(regexPattern(EACH_CHARACTER), 'Isolated'),
    decoder: new FuseDecoder(),
    addedTokens: specialAddedTokens(specials),
  });
}

/** In-memory: `trainCharTokenizer(text)`; vocab = sorted unique characters of `text`. */
export function trainCharTokenizer(text: string, options: CharTrainerOptions = {}): Tokenizer {
  if (text.length === 0) throw new ArgumentError('trainCharTokenizer', 'the training text is empty');
  const set = new Set<string>();
  for (const ch of text) set.add(ch);
  return charTokenizerFromChars(set, options);
}

/** From files, streamed. */
export async function trainChar(files: readonly string[], options: CharTrainerOptions = {}): Promise<Tokenizer> {
  const set = new Set<string>();
  forEachChunk(
    files,
    (t) => {
      for (const ch of t) set.add(ch);
    },
    { showProgress: options.showProgress ?? false, label: 'char: reading' },
  );
  if (set.size === 0) throw new ArgumentError('trainChar', 'the training files are empty');
  return charTokenizerFromChars(set, options);
}
