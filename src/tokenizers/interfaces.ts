/**
 * The tokenizer pipeline's stage interfaces.
 *
 * SHARED with src/tokenizers/sentencepiece/ (Unigram, Precompiled, SentencePiece .model): keep
 * these stable; add optional members rather than changing existing ones.
 *
 *   text -> Normalizer -> PreTokenizer -> Model -> PostProcessor -> Encoding
 *   ids  -> Model.idToToken -> Decoder chain -> text
 *
 * Offsets everywhere are UTF-16 indices into the ORIGINAL input string (so `text.slice(s, e)`
 * works in JavaScript); Hugging Face's Python bindings report code-point indices instead, which
 * differ only for characters outside the BMP.
 *
 * Each stage is built from its tokenizer.json section by a factory keyed on `type`
 * (see registry.ts: registerNormalizer / registerPreTokenizer / registerModel /
 * registerPostProcessor / registerDecoder), and serializes back with `toJSON()` to the same
 * section shape Hugging Face writes.
 */
import type { JsonObject } from './config-reader.ts';
import type { NormalizedString } from './normalized-string.ts';
import type { PreTokenizedString } from './pre-tokenized-string.ts';
import type { Encoding } from './encoding.ts';

/** One token produced by a model: offsets are [start, end) in the normalized piece it came from. */
export interface Token {
  id: number;
  value: string;
  offsets: [number, number];
}

export interface Normalizer {
  readonly type: string;
  /** Normalizes in place, keeping the alignment to the original text. */
  normalize(ns: NormalizedString): void;
  /** Fast path without alignment; must give exactly the text `normalize` gives. */
  normalizeString(text: string): string;
  toJSON(): JsonObject;
}

export interface PreTokenizer {
  readonly type: string;
  /** Splits (and may transform) every untokenized split, keeping alignments. */
  preTokenize(pts: PreTokenizedString): void;
  /**
   * Fast path: the normalized text of the pieces `preTokenize` would produce from one split
   * holding `text`, without alignment. `atStart` says whether the split starts at offset 0 of
   * the input (Metaspace's prepend_scheme "first" depends on it); default true.
   */
  preTokenizeString(text: string, atStart?: boolean): string[];
  toJSON(): JsonObject;
}

export interface Model {
  readonly type: string;
  /** Tokens for one pre-token; offsets relative to `piece` (UTF-16 units). */
  tokenize(piece: string): Token[];
  /** Fast path: appends the ids `tokenize(piece)` would give to `out`. */
  encodeIds(piece: string, out: number[]): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** token -> id for the model's own vocabulary (added tokens excluded). */
  getVocab(): Map<string, number>;
  /** Number of ids the model's vocabulary spans (max id + 1). */
  getVocabSize(): number;
  /** The unknown token, if the model has one (used for unkId). */
  readonly unkToken?: string | undefined;
  /** The `model` section of tokenizer.json. */
  toJSON(): JsonObject;
}

export interface PostProcessor {
  readonly type: string;
  /** How many special tokens `process` adds for a single sequence or a pair. */
  addedTokens(isPair: boolean): number;
  /** Adds special tokens / type ids and merges a pair into one Encoding. */
  process(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding;
  /** Optional fast path: only the ids of `process` (with addSpecialTokens = true). */
  processIds?(ids: number[], pair: number[] | null): number[];
  toJSON(): JsonObject;
}

export interface Decoder {
  readonly type: string;
  /** Transforms token strings, as HF's `decode_chain`; the final text is their concatenation. */
  decodeChain(tokens: string[]): string[];
  toJSON(): JsonObject;
}
