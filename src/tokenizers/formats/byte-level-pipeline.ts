/** The standard byte-level BPE pipeline (GPT-2 / tiktoken encodings) around a BPE model. */
import type { AddedToken } from '../added-vocabulary.ts';
import { ByteLevelDecoder } from '../decoders/byte-level.ts';
import type { BPE } from '../models/bpe.ts';
import { ByteLevel } from '../pre-tokenizers/byte-level.ts';
import { identifyPattern, type KnownPattern, patternSource } from '../pre-tokenizers/patterns.ts';
import { PreTokenizerSequence } from '../pre-tokenizers/sequence.ts';
import { Split } from '../pre-tokenizers/split.ts';
import { regexPattern } from '../pattern.ts';
import { ByteLevelProcessor } from '../post-processors/byte-level.ts';
import { Tokenizer } from '../tokenizer.ts';

export function specialAddedTokens(specials: ReadonlyMap<string, number>): AddedToken[] {
  return [...specials].map(([content, id]) => ({
    id,
    content,
    singleWord: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/**
 * GPT-2's regex uses ByteLevel's built-in split (as HF's GPT-2 files); other patterns use
 * Split(regex, Isolated) followed by ByteLevel without its regex (as HF's cl100k conversions).
 */
export function byteLevelTokenizer(
  model: BPE,
  pattern: KnownPattern | string,
  specials: ReadonlyMap<string, number>,
): Tokenizer {
  const source = pattern === 'gpt2' || pattern === 'cl100k' || pattern === 'o200k' ? patternSource(pattern) : pattern;
  const pre =
    identifyPattern(source) === 'gpt2'
      ? new ByteLevel({ addPrefixSpace: false, trimOffsets: true, useRegex: true })
      : new PreTokenizerSequence([
          new Split(regexPattern(source), 'Isolated', false),
          new ByteLevel({ addPrefixSpace: false, trimOffsets: true, useRegex: false }),
        ]);
  return new Tokenizer(model, {
    preTokenizer: pre,
    decoder: new ByteLevelDecoder(),
    // as HF's gpt2 tokenizer.json: offsets keep the leading space of 'Ġworld'
    postProcessor: new ByteLevelProcessor(false, true, true),
    addedTokens: specialAddedTokens(specials),
  });
}
