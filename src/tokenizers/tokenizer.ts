/**
 * The Tokenizer: added tokens -> normalizer -> pre-tokenizer -> model -> post-processor
 * (truncation, special tokens, padding), and the decoder back, as Hugging Face's TokenizerImpl.
 *
 * Two encode paths give the same ids:
 * - `encode` builds an Encoding with offsets into the original text, type ids, masks;
 * - `encodeIds` (the data pipeline's path) skips alignment and Encoding objects and uses a
 *   specialised scanner + cached BPE for byte-level BPE pipelines (see fast-encode.ts).
 */
import { describe } from '../core/describe.ts';
import { ArgumentError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import type { JsonObject, JsonValue } from './config-reader.ts';
import {
  AddedVocabulary,
  HF_POLICY,
  addedTokenToJson,
  type AddedToken,
  type AddedTokenInit,
  type SpecialPolicy,
} from './added-vocabulary.ts';
import { Encoding, type PaddingDirection, type TruncationDirection } from './encoding.ts';
import type { Decoder, Model, Normalizer, PostProcessor, PreTokenizer, Token } from './interfaces.ts';
import { NormalizedString } from './normalized-string.ts';
import { PreTokenizedString, type Split } from './pre-tokenized-string.ts';
import { createIdsEncoder, type IdsEncoder } from './fast-encode.ts';
import { createByteLevelDecode, type FastDecode } from './byte-level-decode.ts';
import { createDecodeFn, StreamDecoder, type StreamDecoderOptions } from './stream-decoder.ts';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface TruncationParams {
  maxLength: number;
  /** Overlap between consecutive overflowing windows. */
  stride: number;
  strategy: TruncationStrategy;
  direction: TruncationDirection;
}

export interface PaddingParams {
  /** Pad every batch to its longest member, or to a fixed length. */
  strategy: 'batch_longest' | { fixed: number };
  direction: PaddingDirection;
  padToMultipleOf: number | null;
  padId: number;
  padTypeId: number;
  padToken: string;
}

export interface EncodeOptions {
  /** Add the post-processor's special tokens ([CLS]/[SEP], BOS/EOS); default true. */
  addSpecialTokens?: boolean;
  /**
   * Special tokens written literally in the text that are encoded as their special id.
   * Default: the tokenizer's defaultAllowedSpecial ('all' as Hugging Face for tokenizer.json
   * and the other formats, 'none' as SentencePiece for a .model file). 'none' encodes them as
   * plain text. A list allows those only.
   */
  allowedSpecial?: 'all' | 'none' | Iterable<string>;
  /**
   * Special tokens whose literal presence raises an ArgumentError (tiktoken's behaviour with
   * 'all', which means every special not in allowedSpecial). Default: none.
   */
  disallowedSpecial?: 'all' | Iterable<string>;
}

export interface DecodeOptions {
  /** Drop special tokens (default true, as the tokenizers library). */
  skipSpecialTokens?: boolean;
}

/** Names of the role tokens (bos/eos/pad/unk); null = none. */
export interface SpecialTokenRoles {
  bos: string | null;
  eos: string | null;
  pad: string | null;
  unk: string | null;
}

export interface TokenizerParts {
  normalizer?: Normalizer | null;
  preTokenizer?: PreTokenizer | null;
  postProcessor?: PostProcessor | null;
  decoder?: Decoder | null;
  addedTokens?: readonly AddedToken[];
  truncation?: TruncationParams | null;
  padding?: PaddingParams | null;
  roles?: Partial<SpecialTokenRoles>;
  /**
   * Whether special tokens written literally in the text become their special ids when a call
   * gives no allowedSpecial: 'all' as Hugging Face (tokenizer.json), 'none' as SentencePiece
   * (a .model file: `static_cast<s>` is text, never BOS). Callers opt in with allowedSpecial.
   */
  defaultAllowedSpecial?: 'all' | 'none';
}

/** A tokenizer as HF tokenizers builds one: normalizer, pre-tokenizer, model, post-processor, decoder, added tokens, truncation and padding; reads and writes tokenizer.json. */
export class Tokenizer {
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  readonly addedVocabulary: AddedVocabulary;
  truncation: TruncationParams | null;
  padding: PaddingParams | null;
  private roles: SpecialTokenRoles;
  /** See TokenizerParts.defaultAllowedSpecial. */
  defaultAllowedSpecial: 'all' | 'none';
  private idsEncoder: IdsEncoder | null = null;
  private fastDecode: FastDecode | null | undefined = undefined;

  constructor(
    readonly model: Model,
    parts: TokenizerParts = {},
  ) {
    this.normalizer = parts.normalizer ?? null;
    this.preTokenizer = parts.preTokenizer ?? null;
    this.postProcessor = parts.postProcessor ?? null;
    this.decoder = parts.decoder ?? null;
    this.addedVocabulary = new AddedVocabulary(parts.addedTokens ?? []);
    this.truncation = parts.truncation ?? null;
    this.padding = parts.padding ?? null;
    this.roles = { ...this.guessRoles(), ...parts.roles };
    this.defaultAllowedSpecial = parts.defaultAllowedSpecial ?? 'all';
  }

  /** Call after replacing a pipeline stage by hand, so the fast path is rebuilt. */
  invalidate(): void {
    this.idsEncoder = null;
    this.fastDecode = undefined;
  }

  // ---------------------------------------------------------------- vocabulary

  /** Size of the id space: model vocabulary plus added tokens (max id + 1). */
  get vocabSize(): number {
    return Math.max(this.model.getVocabSize(), this.addedVocabulary.maxId() + 1);
  }

  /** Token -> id for the whole vocabulary (with the added tokens unless told otherwise). */
  getVocab(withAddedTokens = true): Map<string, number> {
    const v = new Map(this.model.getVocab());
    if (withAddedTokens) for (const t of this.addedVocabulary.all()) v.set(t.content, t.id);
    return v;
  }

  /** The id of a token (added tokens included), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.addedVocabulary.get(token)?.id ?? this.model.tokenToId(token);
  }

  /** The token of an id, or undefined. */
  idToToken(id: number): string | undefined {
    return this.addedVocabulary.byTokenId(id)?.content ?? this.model.idToToken(id);
  }

  /** The special added tokens, in id order. */
  get specialTokens(): AddedToken[] {
    return this.addedVocabulary.specials();
  }

  get addedTokens(): AddedToken[] {
    return this.addedVocabulary.all();
  }

  get bosId(): number | undefined {
    return this.roleId('bos');
  }
  get eosId(): number | undefined {
    return this.roleId('eos');
  }
  get padId(): number | undefined {
    return this.roleId('pad') ?? this.padding?.padId;
  }
  get unkId(): number | undefined {
    return this.roleId('unk');
  }

  /** Which tokens play the bos/eos/pad/unk roles. */
  getRoles(): SpecialTokenRoles {
    return { ...this.roles };
  }

  /** Names which tokens play the bos/eos/pad/unk roles (tokenizer.json does not say). */
  setRoles(roles: Partial<SpecialTokenRoles>): void {
    for (const [k, v] of Object.entries(roles) as [keyof SpecialTokenRoles, string | null][]) {
      if (v !== null && this.tokenToId(v) === undefined)
        throw new ArgumentError('Tokenizer.setRoles', `${k} token ${describe(v)} is not in the vocabulary`);
      this.roles[k] = v;
    }
  }

  private roleId(role: keyof SpecialTokenRoles): number | undefined {
    const t = this.roles[role];
    return t === null ? undefined : this.tokenToId(t);
  }

  private guessRoles(): SpecialTokenRoles {
    const has = (t: string): boolean =>
      this.addedVocabulary.get(t) !== undefined || this.model.tokenToId(t) !== undefined;
    const first = (cands: string[]): string | null => cands.find(has) ?? null;
    const eot = has('<|endoftext|>') ? '<|endoftext|>' : null;
    return {
      bos: first(['<s>', '<|begin_of_text|>', '<|startoftext|>', '[CLS]', '<bos>']) ?? eot,
      eos: first(['</s>', '<|end_of_text|>', '<|endoftext|>', '[SEP]', '<eos>']),
      pad: first(['<pad>', '[PAD]', '<|pad|>']),
      unk: first([...(this.model.unkToken === undefined ? [] : [this.model.unkToken]), '<unk>', '[UNK]']),
    };
  }

  /** Adds tokens that are never split; returns how many were new. Ids follow the current vocab. */
  addTokens(tokens: readonly (string | AddedTokenInit)[], special = false): number {
    let added = 0;
    for (const t of tokens) {
      const init: AddedTokenInit = typeof t === 'string' ? { content: t } : t;
      if (init.content.length === 0) throw new ArgumentError('Tokenizer.addTokens', 'an added token cannot be empty');
      if (this.addedVocabulary.get(init.content) !== undefined) continue;
      const isSpecial = init.special ?? special;
      const id = this.model.tokenToId(init.content) ?? this.vocabSize;
      this.addedVocabulary.add({
        id,
        content: init.content,
        singleWord: init.singleWord ?? false,
        lstrip: init.lstrip ?? false,
        rstrip: init.rstrip ?? false,
        normalized: init.normalized ?? !isSpecial,
        special: isSpecial,
      });
      added++;
    }
    this.invalidate();
    return added;
  }

  /** Adds special tokens (never split, skipped by decode by default); returns how many were new. */
  addSpecialTokens(tokens: readonly (string | AddedTokenInit)[]): number {
    return this.addTokens(tokens, true);
  }

  // ---------------------------------------------------------------- encode

  /** Encodes one text (or a pair) with offsets, masks and the configured truncation/padding. */
  encode(text: string, pair: string | null = null, options: EncodeOptions = {}): Encoding {
    const policy = resolvePolicy(options, this.defaultAllowedSpecial);
    const addSpecial = options.addSpecialTokens ?? true;
    const a = this.encodeSequence(text, 0, policy);
    const b = pair === null ? null : this.encodeSequence(pair, 1, policy);
    const out = this.postProcess(a, b, addSpecial);
    if (this.padding !== null) padEncodings([out], this.padding);
    return out;
  }

  /** Encodes many inputs; padding (if enabled) applies across the batch. */
  encodeBatch(inputs: readonly (string | readonly [string, string])[], options: EncodeOptions = {}): Encoding[] {
    const policy = resolvePolicy(options, this.defaultAllowedSpecial);
    const addSpecial = options.addSpecialTokens ?? true;
    const out = inputs.map((inp) => {
      const [t, p] = typeof inp === 'string' ? [inp, null] : inp;
      const a = this.encodeSequence(t, 0, policy);
      const b = p === null ? null : this.encodeSequence(p, 1, policy);
      return this.postProcess(a, b, addSpecial);
    });
    if (this.padding !== null) padEncodings(out, this.padding);
    return out;
  }

  /** The token strings of `encode(text)`. */
  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.encode(text, null, options).tokens;
  }

  /**
   * Ids only, no offsets, no truncation or padding: the fast path for large text. Equal to
   * `encode(text, null, options).ids` when truncation and padding are off.
   */
  encodeIds(text: string, options: EncodeOptions = {}): number[] {
    const policy = resolvePolicy(options, this.defaultAllowedSpecial);
    const out: number[] = [];
    this.appendIds(text, policy, out);
    const addSpecial = options.addSpecialTokens ?? true;
    if (!addSpecial || this.postProcessor === null) return out;
    if (this.postProcessor.processIds !== undefined) return this.postProcessor.processIds(out, null);
    return this.postProcessor.process(idsOnlyEncoding(out), null, true).ids;
  }

  /** `encodeIds` into an Int32Array. */
  encodeIdsTyped(text: string, options: EncodeOptions = {}): Int32Array {
    return Int32Array.from(this.encodeIds(text, options));
  }

  private appendIds(text: string, policy: SpecialPolicy, out: number[]): void {
    this.addedVocabulary.checkDisallowed(text, policy);
    const enc = (this.idsEncoder ??= createIdsEncoder(this));
    const hasAdded = this.addedVocabulary.size > 0;
    const rawParts = hasAdded
      ? this.addedVocabulary.split(text, false, policy)
      : [{ start: 0, end: text.length, token: null }];
    for (const part of rawParts) {
      if (part.token !== null) {
        out.push(part.token.id);
        continue;
      }
      let piece = text.slice(part.start, part.end);
      if (this.normalizer !== null) piece = this.normalizer.normalizeString(piece);
      if (!hasAdded) {
        enc(piece, out, true);
        continue;
      }
      for (const sub of this.addedVocabulary.split(piece, true, policy)) {
        if (sub.token !== null) out.push(sub.token.id);
        else
          enc(
            sub.start === 0 && sub.end === piece.length ? piece : piece.slice(sub.start, sub.end),
            out,
            part.start === 0 && sub.start === 0,
          );
      }
    }
  }

  /** Added tokens + normalization + pre-tokenization + model, before post-processing. */
  private encodeSequence(text: string, sequenceId: number, policy: SpecialPolicy): Encoding {
    this.addedVocabulary.checkDisallowed(text, policy);
    const pts = this.extractAndNormalize(text, policy);
    if (this.preTokenizer !== null) this.preTokenizer.preTokenize(pts);
    pts.tokenize((ns) => this.model.tokenize(ns.normalized));
    const enc = new Encoding();
    pts.splits.forEach((sp: Split, word) => {
      for (const tok of sp.tokens as Token[]) {
        const offsets = sp.normalized.originalRange(tok.offsets[0], tok.offsets[1]);
        enc.push(tok.id, tok.value, offsets, sequenceId, false, word, sequenceId);
      }
    });
    return enc;
  }

  private extractAndNormalize(text: string, policy: SpecialPolicy): PreTokenizedString {
    const splits: Split[] = [];
    const tokenSplit = (ns: NormalizedString, t: AddedToken): Split => ({
      normalized: ns,
      tokens: [{ id: t.id, value: t.content, offsets: [0, ns.length] }],
    });
    for (const part of this.addedVocabulary.split(text, false, policy)) {
      const ns = NormalizedString.from(text.slice(part.start, part.end), text, part.start);
      if (part.token !== null) {
        splits.push(tokenSplit(ns, part.token));
        continue;
      }
      if (this.normalizer !== null) this.normalizer.normalize(ns);
      for (const sub of this.addedVocabulary.split(ns.normalized, true, policy)) {
        const piece = sub.start === 0 && sub.end === ns.length ? ns : ns.slice(sub.start, sub.end);
        if (sub.token !== null) splits.push(tokenSplit(piece, sub.token));
        else if (piece.length > 0) splits.push({ normalized: piece, tokens: null });
      }
    }
    return new PreTokenizedString(splits);
  }

  /** Number of special tokens the post-processor adds (used to budget truncation). */
  numSpecialTokensToAdd(isPair: boolean): number {
    return this.postProcessor === null ? 0 : this.postProcessor.addedTokens(isPair);
  }

  private postProcess(a: Encoding, b: Encoding | null, addSpecial: boolean): Encoding {
    if (this.truncation !== null) {
      const n = addSpecial ? this.numSpecialTokensToAdd(b !== null) : 0;
      truncateEncodings(a, b, { ...this.truncation, maxLength: Math.max(0, this.truncation.maxLength - n) });
    }
    if (this.postProcessor !== null) return this.postProcessor.process(a, b, addSpecial);
    return defaultProcess(a, b);
  }

  // ---------------------------------------------------------------- decode

  /** Ids back to text (special tokens skipped unless `skipSpecialTokens: false`). */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    if (this.fastDecode === undefined) this.fastDecode = createByteLevelDecode(this);
    if (this.fastDecode !== null) {
      const text = this.fastDecode(ids, skip);
      if (text !== null) return text;
    }
    const tokens: string[] = [];
    const hasAdded = this.addedVocabulary.size > 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = hasAdded ? this.addedVocabulary.byTokenId(id) : undefined;
      if (added !== undefined) {
        if (!(skip && added.special)) tokens.push(added.content);
        continue;
      }
      const tok = this.model.idToToken(id);
      if (tok === undefined)
        throw new ArgumentError(
          'Tokenizer.decode',
          `id ${id} at position ${i} is not in the vocabulary (size ${this.vocabSize})`,
        );
      tokens.push(tok);
    }
    return this.decodeTokens(tokens);
  }

  /** decode for each id sequence. */
  decodeBatch(batch: readonly ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /** Joins token strings through the decoder chain (space-joined without a decoder, as HF). */
  decodeTokens(tokens: string[]): string {
    if (this.decoder === null) return tokens.join(' ');
    return this.decoder.decodeChain(tokens).join('');
  }

  /** An incremental decoder for generation: push(id) returns only complete new text. */
  createStreamDecoder(options: StreamDecoderOptions = {}): StreamDecoder {
    return new StreamDecoder(createDecodeFn(this, options.skipSpecialTokens ?? true), options);
  }

  // ---------------------------------------------------------------- truncation / padding

  /** Truncates every encoding to `maxLength` from now on (strategy, stride and direction as HF). */
  enableTruncation(params: Partial<TruncationParams> & { maxLength: number }): void {
    const p: TruncationParams = { stride: 0, strategy: 'longest_first', direction: 'right', ...params };
    if (!Number.isInteger(p.maxLength) || p.maxLength < 0)
      throw new ArgumentError(
        'Tokenizer.enableTruncation',
        `maxLength must be a non-negative integer, got ${p.maxLength}`,
      );
    if (!Number.isInteger(p.stride) || p.stride < 0)
      throw new ArgumentError('Tokenizer.enableTruncation', `stride must be a non-negative integer, got ${p.stride}`);
    this.truncation = p;
  }

  /** Turns truncation off. */
  noTruncation(): void {
    this.truncation = null;
  }

  /** Pads batches to their longest (or a fixed length) from now on. */
  enablePadding(params: Partial<PaddingParams> = {}): void {
    const padToken = params.padToken ?? this.roles.pad ?? '[PAD]';
    const padId = params.padId ?? this.tokenToId(padToken) ?? 0;
    this.padding = {
      strategy: 'batch_longest',
      direction: 'right',
      padToMultipleOf: null,
      padTypeId: 0,
      ...params,
      padToken,
      padId,
    };
  }

  /** Turns padding off. */
  noPadding(): void {
    this.padding = null;
  }

  // ---------------------------------------------------------------- serialization

  /** The tokenizer.json object (Hugging Face layout). */
  toJSON(): JsonObject {
    return {
      version: '1.0',
      truncation: this.truncation === null ? null : truncationToJson(this.truncation),
      padding: this.padding === null ? null : paddingToJson(this.padding),
      added_tokens: this.addedVocabulary.all().map(addedTokenToJson),
      normalizer: this.normalizer?.toJSON() ?? null,
      pre_tokenizer: this.preTokenizer?.toJSON() ?? null,
      post_processor: this.postProcessor?.toJSON() ?? null,
      decoder: this.decoder?.toJSON() ?? null,
      model: this.model.toJSON(),
    };
  }

  /** Writes tokenizer.json atomically. */
  save(path: string, pretty = true): void {
    writeFileAtomic(path, JSON.stringify(this.toJSON(), null, pretty ? 2 : undefined) + '\n');
  }
}

/** Special tokens in the text stay text (SentencePiece's rule for control pieces). */
const NO_SPECIAL_POLICY: SpecialPolicy = { allowed: new Set(), disallowed: new Set() };

function resolvePolicy(options: EncodeOptions, byDefault: 'all' | 'none'): SpecialPolicy {
  const a = options.allowedSpecial ?? (byDefault === 'none' ? 'none' : undefined);
  const d = options.disallowedSpecial;
  if (a === undefined && d === undefined) return HF_POLICY;
  if (a === 'none' && d === undefined) return NO_SPECIAL_POLICY;
  const allowed = a === undefined || a === 'all' ? 'all' : a === 'none' ? new Set<string>() : new Set(a);
  const disallowed = d === undefined ? new Set<string>() : d === 'all' ? 'all' : new Set(d);
  return { allowed, disallowed };
}

function idsOnlyEncoding(ids: number[]): Encoding {
  const e = new Encoding();
  for (const id of ids) e.push(id, '', [0, 0], 0, false, null, 0);
  return e;
}

/** Pair merge without a post-processor (HF `default_process`): type ids 0 then 1. */
export function defaultProcess(a: Encoding, b: Encoding | null): Encoding {
  if (b === null) return a;
  a.setSequence(0);
  b.setSequence(1);
  a.mergeWith(b);
  return a;
}

/** HF `truncate_encodings`. */
export function truncateEncodings(a: Encoding, b: Encoding | null, p: TruncationParams): void {
  if (p.maxLength === 0) {
    a.truncate(0, p.stride, p.direction);
    b?.truncate(0, p.stride, p.direction);
    return;
  }
  const total = a.length + (b?.length ?? 0);
  if (total <= p.maxLength) return;
  const toRemove = total - p.maxLength;
  if (p.strategy === 'longest_first') {
    if (b === null) {
      a.truncate(p.maxLength, p.stride, p.direction);
      return;
    }
    let n1 = a.length;
    let n2 = b.length;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > p.maxLength ? n1 : Math.max(n1, p.maxLength - n1);
    if (n1 + n2 > p.maxLength) {
      n1 = Math.floor(p.maxLength / 2);
      n2 = n1 + (p.maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    a.truncate(n1, p.stride, p.direction);
    b.truncate(n2, p.stride, p.direction);
    return;
  }
  const target = p.strategy === 'only_first' ? a : b;
  if (target === null)
    throw new ArgumentError('Tokenizer.encode', "truncation strategy 'only_second' needs a pair of sequences");
  if (target.length <= toRemove) {
    throw new ArgumentError(
      'Tokenizer.encode',
      `truncation: the ${p.strategy === 'only_first' ? 'first' : 'second'} sequence (${target.length} tokens) is too short to remove ${toRemove} tokens`,
    );
  }
  target.truncate(target.length - toRemove, p.stride, p.direction);
}

/** HF `pad_encodings`. */
export function padEncodings(encs: Encoding[], p: PaddingParams): void {
  if (encs.length === 0) return;
  let len = p.strategy === 'batch_longest' ? Math.max(...encs.map((e) => e.length)) : p.strategy.fixed;
  const m = p.padToMultipleOf;
  if (m !== null && m > 0 && len % m > 0) len += m - (len % m);
  for (const e of encs) e.pad(len, p.padId, p.padTypeId, p.padToken, p.direction);
}

export function truncationToJson(t: TruncationParams): JsonObject {
  const strategy = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[t.strategy];
  return { direction: t.direction === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy, stride: t.stride };
}

export function paddingToJson(p: PaddingParams): JsonObject {
  const strategy: JsonValue = p.strategy === 'batch_longest' ? 'BatchLongest' : { Fixed: p.strategy.fixed };
  return {
    strategy,
    direction: p.direction === 'left' ? 'Left' : 'Right',
    pad_to_multiple_of: p.padToMultipleOf,
    pad_id: p.padId,
    pad_type_id: p.padTypeId,
    pad_token: p.padToken,
  };
}
