/**
 * Tokenizers: the public API.
 *
 *   const tok = loadTokenizer('path/to/tokenizer.json');   // or a dir, .tiktoken, vocab.txt, .model
 *   tok.encode('Hello world').ids / .offsets / .attentionMask
 *   tok.encodeIds(bigText)            // fast path for data pipelines
 *   tok.decode(ids); tok.createStreamDecoder()
 *   const bpe = await trainBpe(['corpus.txt'], { vocabSize: 8000 }); bpe.save('tokenizer.json')
 */
import './normalizers/index.ts';
import './pre-tokenizers/index.ts';
import './models/index.ts';
import './post-processors/index.ts';
import './decoders/index.ts';
import './byte-level-fast.ts';
import './char-fast.ts';
import './trainers/register.ts';
import './plugins.ts';

export { Tokenizer } from './tokenizer.ts';
export type {
  TokenizerParts,
  EncodeOptions,
  DecodeOptions,
  TruncationParams,
  PaddingParams,
  SpecialTokenRoles,
  TruncationStrategy,
} from './tokenizer.ts';
export { Encoding } from './encoding.ts';
export type { AddedToken, AddedTokenInit } from './added-vocabulary.ts';
export { StreamDecoder } from './stream-decoder.ts';
export type { StreamDecoderOptions } from './stream-decoder.ts';
export type { Normalizer, PreTokenizer, Model, PostProcessor, Decoder, Token } from './interfaces.ts';
export { NormalizedString } from './normalized-string.ts';
export { PreTokenizedString } from './pre-tokenized-string.ts';
export { ConfigReader } from './config-reader.ts';
export * from './registry.ts';

export { loadTokenizer } from './formats/load.ts';
export { loadTokenizerFrom } from './formats/from-source.ts';
export type { TokenizerSources } from './formats/from-source.ts';
export { loadTokenizerJson, parseTokenizerJson, tokenizerFromJson } from './formats/tokenizer-json.ts';
export type { LoadTokenizerOptions } from './formats/tokenizer-json.ts';
export { defaultCacheDir } from './formats/tokenizer-cache.ts';
export { loadGpt2, gpt2FromText, parseMergesTxt } from './formats/gpt2.ts';
export { loadTiktoken, tiktokenFromText, TIKTOKEN_SPECIALS } from './formats/tiktoken.ts';
export type { TiktokenOptions } from './formats/tiktoken.ts';
export { loadBertVocab, bertTokenizerFromVocab, parseVocabTxt, saveBertVocab } from './formats/bert-vocab.ts';
export type { BertOptions } from './formats/bert-vocab.ts';

export * from './normalizers/index.ts';
export * from './pre-tokenizers/index.ts';
export { GPT2_PATTERN, CL100K_PATTERN, O200K_PATTERN } from './pre-tokenizers/patterns.ts';
export * from './models/index.ts';
export * from './post-processors/index.ts';
export * from './decoders/index.ts';

export { trainBpe, trainBpeFromIterator } from './trainers/bpe.ts';
export type { BpeTrainerOptions } from './trainers/bpe.ts';
export { trainWordPiece, trainWordPieceFromIterator } from './trainers/wordpiece.ts';
export type { WordPieceTrainerOptions } from './trainers/wordpiece.ts';
export { trainChar, trainCharTokenizer } from './trainers/char.ts';

export * from './sentencepiece/index.ts';
