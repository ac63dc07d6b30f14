/**
 * Training a BPE tokenizer from text files (streamed) or strings. Byte-level by default (GPT-2
 * style: split regex, then bytes as characters, all 256 bytes in the alphabet, so nothing is
 * ever out of vocabulary); `byteLevel: false` gives a classic whitespace-split BPE with an
 * optional end-of-word suffix ('</w>') and an unk token.
 */
import { ArgumentError } from '../../core/errors.ts';
import { BYTE_TO_CHAR, byteLevelAlphabet } from '../byte-alphabet.ts';
import { BPEDecoder } from '../decoders/simple.ts';
import { byteLevelTokenizer } from '../formats/byte-level-pipeline.ts';
import type { PreTokenizer } from '../interfaces.ts';
import { BPE } from '../models/bpe.ts';
import { ByteLevel } from '../pre-tokenizers/byte-level.ts';
import { patternSource, type KnownPattern } from '../pre-tokenizers/patterns.ts';
import { PreTokenizerSequence } from '../pre-tokenizers/sequence.ts';
import { Split } from '../pre-tokenizers/split.ts';
import { Whitespace } from '../pre-tokenizers/whitespace.ts';
import { regexPattern } from '../pattern.ts';
import { Tokenizer } from '../tokenizer.ts';
import { trainBpeCore } from './bpe-core.ts';
import { forEachChunk } from './text-source.ts';
import { WordCounter } from './word-counter.ts';
import { specialAddedTokens } from '../formats/byte-level-pipeline.ts';

export interface BpeTrainerOptions {
  vocabSize: number;
  minFrequency?: number;
  /** Given ids 0.. in this order and registered as special added tokens. */
  specialTokens?: string[];
  limitAlphabet?: number;
  initialAlphabet?: string[];
  continuingSubwordPrefix?: string;
  endOfWordSuffix?: string;
  maxTokenLength?: number;
  showProgress?: boolean;
  /** Byte-level BPE (default true). */
  byteLevel?: boolean;
  /** Byte-level split: 'gpt2' (default), 'cl100k', 'o200k', a regex source, or null for no split (minbpe's BasicTokenizer). */
  pattern?: KnownPattern | string | null;
  /** Byte-level alphabet ids in byte order (0x00..0xFF, as tiktoken/minbpe) instead of HF's code-point order. */
  byteOrderAlphabet?: boolean;
  /** Classic BPE only: the unknown token. */
  unkToken?: string;
}

function validate(o: BpeTrainerOptions): void {
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= 0)
    throw new ArgumentError('trainBpe', `vocabSize must be a positive integer, got ${o.vocabSize}`);
  const specials = o.specialTokens ?? [];
  const base = (o.byteLevel ?? true) ? 256 : 0;
  if (o.vocabSize < specials.length + base)
    throw new ArgumentError(
      'trainBpe',
      `vocabSize ${o.vocabSize} is smaller than the ${specials.length} special tokens + ${base} byte tokens`,
    );
}

function preTokenizerFor(o: BpeTrainerOptions): PreTokenizer {
  if (!(o.byteLevel ?? true)) return new Whitespace();
  const pattern = o.pattern === undefined ? 'gpt2' : o.pattern;
  if (pattern === null) return new ByteLevel({ addPrefixSpace: false, useRegex: false });
  if (pattern === 'gpt2') return new ByteLevel({ addPrefixSpace: false, useRegex: true });
  const src = pattern === 'cl100k' || pattern === 'o200k' ? patternSource(pattern) : pattern;
  return new PreTokenizerSequence([
    new Split(regexPattern(src), 'Isolated'),
    new ByteLevel({ addPrefixSpace: false, useRegex: false }),
  ]);
}

/** Trains on counted pre-tokens and assembles the tokenizer. */
function finish(counts: Map<string, number>, o: BpeTrainerOptions, pre: PreTokenizer): Tokenizer {
  const byteLevel = o.byteLevel ?? true;
  const specials = o.specialTokens ?? [];
  const { vocab, merges } = trainBpeCore(counts, {
    vocabSize: o.vocabSize,
    minFrequency: o.minFrequency ?? 0,
    specialTokens: specials,
    limitAlphabet: o.limitAlphabet ?? null,
    initialAlphabet: [...(byteLevel ? byteLevelAlphabet() : []), ...(o.initialAlphabet ?? [])],
    alphabetOrder: byteLevel && o.byteOrderAlphabet === true ? BYTE_TO_CHAR : 'codepoint',
    continuingSubwordPrefix: o.continuingSubwordPrefix ?? null,
    endOfWordSuffix: o.endOfWordSuffix ?? null,
    maxTokenLength: o.maxTokenLength ?? null,
    showProgress: o.showProgress ?? false,
  });
  const unk = o.unkToken ?? null;
  if (unk !== null && !vocab.has(unk)) vocab.set(unk, vocab.size);
  const model = new BPE(vocab, merges, {
    unkToken: unk,
    continuingSubwordPrefix: o.continuingSubwordPrefix ?? null,
    endOfWordSuffix: o.endOfWordSuffix ?? null,
  });
  const specialIds = new Map(specials.map((s) => [s, vocab.get(s)!]));
  if (byteLevel) {
    const tok = byteLevelTokenizer(model, 'gpt2', specialIds);
    tok.preTokenizer = pre;
    tok.invalidate();
    return tok;
  }
  return new Tokenizer(model, {
    preTokenizer: pre,
    decoder: o.endOfWordSuffix === undefined ? null : new BPEDecoder(o.endOfWordSuffix),
    addedTokens: specialAddedTokens(specialIds),
  });
}

/** Trains from text files, streamed in chunks, with a progress bar when `showProgress`. */
export async function trainBpe(files: readonly string[], options: BpeTrainerOptions): Promise<Tokenizer> {
  validate(options);
  const pre = preTokenizerFor(options);
  const counter = new WordCounter(null, pre);
  forEachChunk(files, (t) => counter.add(t), { showProgress: options.showProgress ?? false, label: 'bpe: counting' });
  return finish(counter.result(), options, pre);
}

/** Trains from in-memory texts (each string is pre-tokenized on its own). */
export function trainBpeFromIterator(texts: Iterable<string>, options: BpeTrainerOptions): Tokenizer {
  validate(options);
  const pre = preTokenizerFor(options);
  const counter = new WordCounter(null, pre);
  for (const t of texts) counter.add(t);
  return finish(counter.result(), options, pre);
}
