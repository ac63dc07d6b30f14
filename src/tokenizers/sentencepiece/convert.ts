/**
 * SentencePiece ModelProto <-> pipeline Tokenizer (and so tokenizer.json), as Hugging Face's
 * converters do, arranged so the pipeline gives SentencePiece's ids:
 *
 *   normalizer     Precompiled(charsmap)                    if the model has one
 *                  Replace(leading/trailing ' ' -> '')     \ remove_extra_whitespaces
 *                  Replace(' {2,}' -> ' ')                 /
 *                  Prepend('▁'), Replace(' ' -> '▁')        add_dummy_prefix, escape_whitespaces
 *   pre-tokenizer  none: the model sees the whole text, as in SentencePiece
 *   model          Unigram (vocab [piece, score], unk_id, byte_fallback) | BPE (vocab, merges)
 *   decoder        Replace('▁' -> ' '), ByteFallback, Fuse, Strip(' ', 1, 0)
 *   added tokens   CONTROL and UNKNOWN pieces (special, matched in the raw text), USER_DEFINED
 *                  pieces (not special, matched in the normalized text)
 *
 * This is the LLaMA layout of HF's converters (Prepend + Replace rather than a Metaspace
 * pre-tokenizer, whose "no prefix if the text already starts with '▁'" rule differs from
 * SentencePiece on leading spaces). Loaded from a `.model`, the models keep SentencePiece's piece
 * types and exact algorithms (Unigram Viterbi, BPE by piece score); loaded back from
 * tokenizer.json they follow HF's semantics, where control pieces are ordinary vocabulary.
 */
import { describe } from '../../core/describe.ts';
import { ArgumentError, FormatError } from '../../core/errors.ts';
import type { AddedToken } from '../added-vocabulary.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../config-reader.ts';
import { ByteFallbackDecoder } from '../decoders/byte-fallback.ts';
import { DecoderSequence, FuseDecoder, ReplaceDecoder, StripDecoder } from '../decoders/simple.ts';
import type { Decoder, Normalizer } from '../interfaces.ts';
import { Unigram } from '../models/unigram.ts';
import { Precompiled } from '../normalizers/precompiled.ts';
import { Prepend } from '../normalizers/prepend.ts';
import { Replace } from '../normalizers/replace.ts';
import { NormalizerSequence } from '../normalizers/sequence.ts';
import { regexPattern, stringPattern } from '../pattern.ts';
import { Metaspace } from '../pre-tokenizers/metaspace.ts';
import { Tokenizer, type SpecialTokenRoles } from '../tokenizer.ts';
import { SentencePieceBpe } from './bpe-pipeline.ts';
import { nmtNfkcCharsmap } from './charsmap.ts';
import {
  defaultNormalizerSpec,
  defaultTrainerSpec,
  readModelProtoFile,
  writeModelProtoFile,
  type ModelProto,
  type SentencePieceEntry,
} from './model-proto.ts';
import { SPACE_SYMBOL } from './normalizer.ts';
import { bytePiece, pieceByte, PieceType, type PieceTypeName } from './piece-type.ts';

/** leading or trailing runs of ' ' (lookarounds instead of ^/$, which are line anchors in Oniguruma) */
export const EDGE_SPACES = '(?<![\\s\\S]) +| +(?![\\s\\S])';
export const SPACE_RUNS = ' {2,}';

/** The proto a tokenizer was built from (so saving it as .model is lossless). */
const origin = new WeakMap<Tokenizer, { proto: ModelProto; model: object }>();

/** A pipeline Tokenizer equivalent to the SentencePiece model. */
export function tokenizerFromModelProto(proto: ModelProto, file = '<model>'): Tokenizer {
  const type = proto.trainerSpec.modelType;
  const pieces = proto.pieces.map((p) => p.piece);
  const scores = proto.pieces.map((p) => p.score);
  const types = proto.pieces.map((p) => PieceType[p.type]);
  const byteFallback = proto.trainerSpec.byteFallback;
  const unkId = proto.pieces.findIndex((p) => p.type === 'UNKNOWN');
  let model;
  if (type === 'UNIGRAM')
    model = new Unigram(
      proto.pieces.map((p) => [p.piece, p.score] as const),
      { unkId, byteFallback, types },
    );
  else if (type === 'BPE') model = new SentencePieceBpe(pieces, scores, types, byteFallback);
  else
    throw new FormatError(
      file,
      `model_type ${type} has no pipeline form; use SentencePieceProcessor for WORD and CHAR models`,
      'trainer_spec.model_type',
    );

  const spec = proto.normalizerSpec;
  const norms: Normalizer[] = [];
  if (spec.precompiledCharsmap.byteLength > 0)
    norms.push(new Precompiled(spec.precompiledCharsmap, file, 'normalizer_spec.precompiled_charsmap'));
  if (spec.removeExtraWhitespaces) {
    norms.push(new Replace(regexPattern(EDGE_SPACES), ''));
    norms.push(new Replace(regexPattern(SPACE_RUNS), ' '));
  }
  if (spec.addDummyPrefix) norms.push(new Prepend(SPACE_SYMBOL));
  if (spec.escapeWhitespaces) norms.push(new Replace(stringPattern(' '), SPACE_SYMBOL));
  const chain: Decoder[] = [
    new ReplaceDecoder(stringPattern(SPACE_SYMBOL), ' '),
    new ByteFallbackDecoder(),
    new FuseDecoder(),
  ];
  if (spec.addDummyPrefix || spec.removeExtraWhitespaces) chain.push(new StripDecoder(' ', 1, 0));
  const addedTokens: AddedToken[] = [];
  proto.pieces.forEach((p, id) => {
    if (p.type === 'CONTROL' || p.type === 'UNKNOWN' || p.type === 'USER_DEFINED') {
      // user-defined symbols match in the normalized text, so the normalizer still sees the whole
      // input (its dummy prefix goes only at the start), as SentencePiece's prefix matcher does
      const user = p.type === 'USER_DEFINED';
      addedTokens.push({
        id,
        content: p.piece,
        singleWord: false,
        lstrip: false,
        rstrip: false,
        normalized: user,
        special: !user,
      });
    }
  });
  const ts = proto.trainerSpec;
  const control = (piece: string): string | null =>
    proto.pieces.some((p) => p.piece === piece && p.type === 'CONTROL') ? piece : null;
  const roles: SpecialTokenRoles = {
    bos: control(ts.bosPiece),
    eos: control(ts.eosPiece),
    pad: control(ts.padPiece),
    unk: unkId >= 0 ? proto.pieces[unkId]!.piece : null,
  };
  const tok = new Tokenizer(model, {
    normalizer: norms.length === 0 ? null : norms.length === 1 ? norms[0]! : new NormalizerSequence(norms),
    preTokenizer: null,
    decoder: new DecoderSequence(chain),
    addedTokens,
    roles,
    // SentencePiece never matches control pieces in the text: "static_cast<s>" is text, not BOS
    defaultAllowedSpecial: 'none',
  });
  origin.set(tok, { proto, model });
  return tok;
}

/** Loads a `.model` file as a pipeline Tokenizer. */
export function loadSentencePieceTokenizer(path: string): Tokenizer {
  return tokenizerFromModelProto(readModelProtoFile(path), path);
}

/**
 * The ModelProto of a SentencePiece-style tokenizer: one built from a `.model` (returned as it
 * was), or a pipeline with a Unigram model, or a BPE model (scores from merge ranks), with the
 * whitespace handling read back from its normalizer / pre-tokenizer.
 */
export function modelProtoFromTokenizer(tok: Tokenizer): ModelProto {
  const o = origin.get(tok);
  if (o !== undefined && o.model === tok.model) return o.proto;
  const json = tok.model.toJSON();
  const mtype = json['type'];
  const byteFallback = json['byte_fallback'] === true;
  let pieces: SentencePieceEntry[];
  if (mtype === 'Unigram') {
    const vocab = json['vocab'];
    if (!Array.isArray(vocab)) throw new ArgumentError('modelProtoFromTokenizer', 'the Unigram model has no vocab');
    const unkId = typeof json['unk_id'] === 'number' ? json['unk_id'] : -1;
    pieces = vocab.map((e, i) => {
      const [piece, score] = e as [string, number];
      return { piece, score: Math.fround(score), type: i === unkId ? 'UNKNOWN' : 'NORMAL' };
    });
  } else if (mtype === 'BPE') {
    pieces = bpePieces(json);
  } else {
    throw new ArgumentError(
      'modelProtoFromTokenizer',
      `a ${String(mtype)} model has no SentencePiece form (Unigram or BPE needed)`,
    );
  }
  // piece types from the added tokens and byte fallback
  const byPiece = new Map(pieces.map((p, i) => [p.piece, i]));
  for (const t of tok.addedTokens) {
    let i = byPiece.get(t.content);
    if (i === undefined) {
      if (t.id !== pieces.length)
        throw new ArgumentError(
          'modelProtoFromTokenizer',
          `added token ${describe(t.content)} has id ${t.id}, not the next piece id ${pieces.length}`,
        );
      pieces.push({ piece: t.content, score: 0, type: 'NORMAL' });
      i = pieces.length - 1;
      byPiece.set(t.content, i);
    }
    const p = pieces[i]!;
    if (p.type === 'UNKNOWN') continue;
    p.type = t.special ? 'CONTROL' : 'USER_DEFINED';
    p.score = 0;
  }
  if (byteFallback)
    for (const p of pieces)
      if (p.type === 'NORMAL' && pieceByte(p.piece) >= 0) {
        p.type = 'BYTE';
        p.score = 0;
      }
  if (!pieces.some((p) => p.type === 'UNKNOWN'))
    throw new ArgumentError(
      'modelProtoFromTokenizer',
      'SentencePiece models need an unknown piece; the tokenizer has none',
    );

  const spec = defaultNormalizerSpec();
  const norms = flattenNormalizers(tok.normalizer);
  const pre = tok.preTokenizer;
  const charsmap = norms.find((n): n is Precompiled => n instanceof Precompiled)?.blob ?? new Uint8Array(0);
  spec.precompiledCharsmap = charsmap;
  spec.name =
    charsmap.byteLength === 0
      ? 'identity'
      : Buffer.from(charsmap).equals(nmtNfkcCharsmap())
        ? 'nmt_nfkc'
        : 'user_defined';
  spec.removeExtraWhitespaces = norms.some((n) => n instanceof Replace && n.pattern.source === SPACE_RUNS);
  spec.addDummyPrefix =
    norms.some((n) => n instanceof Prepend && n.prepend === SPACE_SYMBOL) ||
    (pre instanceof Metaspace && pre.prependScheme !== 'never');
  spec.escapeWhitespaces = true;

  const ts = defaultTrainerSpec();
  ts.modelType = mtype === 'Unigram' ? 'UNIGRAM' : 'BPE';
  ts.vocabSize = pieces.length;
  ts.byteFallback = byteFallback;
  ts.numThreads = 1;
  const roles = tok.getRoles();
  const idOf = (t: string | null): number => (t === null ? -1 : (byPiece.get(t) ?? -1));
  ts.unkId = pieces.findIndex((p) => p.type === 'UNKNOWN');
  ts.unkPiece = pieces[ts.unkId]!.piece;
  for (const [role, idKey, pieceKey] of [
    ['bos', 'bosId', 'bosPiece'],
    ['eos', 'eosId', 'eosPiece'],
    ['pad', 'padId', 'padPiece'],
  ] as const) {
    const name = roles[role];
    const id = idOf(name);
    ts[idKey] = id;
    if (name !== null && id >= 0) ts[pieceKey] = name;
  }
  ts.controlSymbols = pieces
    .filter((p, i) => p.type === 'CONTROL' && ![ts.bosId, ts.eosId, ts.padId].includes(i))
    .map((p) => p.piece);
  ts.userDefinedSymbols = pieces.filter((p) => p.type === 'USER_DEFINED').map((p) => p.piece);
  return { pieces, trainerSpec: ts, normalizerSpec: spec, denormalizerSpec: null };
}

/** Writes a tokenizer as a SentencePiece `.model` (see modelProtoFromTokenizer). */
export function saveSentencePieceModel(tok: Tokenizer, path: string): void {
  writeModelProtoFile(path, modelProtoFromTokenizer(tok));
}

/** BPE vocab + merges -> pieces whose scores order the merges (score = -rank of the first merge forming the piece). */
function bpePieces(json: JsonObject): SentencePieceEntry[] {
  const vocab = json['vocab'];
  const merges = json['merges'];
  if (!isJsonObject(vocab) || !Array.isArray(merges))
    throw new ArgumentError('modelProtoFromTokenizer', 'the BPE model has no vocab or merges');
  const unk = typeof json['unk_token'] === 'string' ? json['unk_token'] : null;
  const entries = Object.entries(vocab as Record<string, JsonValue>) as [string, number][];
  const n = entries.reduce((m, [, id]) => Math.max(m, id + 1), 0);
  const names: string[] = new Array<string>(n);
  for (const [p, id] of entries) names[id] = p;
  for (let i = 0; i < n; i++)
    if (names[i] === undefined)
      throw new ArgumentError('modelProtoFromTokenizer', `BPE vocab ids are not dense: id ${i} is missing`);
  return piecesFromMerges(
    names,
    merges.map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : (m as [string, string]))),
    unk,
  );
}

function piecesFromMerges(
  names: readonly string[],
  merges: readonly (readonly [string, string])[],
  unk: string | null,
): SentencePieceEntry[] {
  const firstRank = new Map<string, number>();
  merges.forEach(([a, b], r) => {
    const p = a + b;
    if (!firstRank.has(p)) firstRank.set(p, r);
  });
  return names.map((piece, id) => {
    const r = firstRank.get(piece);
    // pieces no merge forms (characters) score below every merge
    const score = Math.fround(r !== undefined ? -r : -(merges.length + id));
    const type: PieceTypeName = piece === unk ? 'UNKNOWN' : 'NORMAL';
    return { piece, score, type };
  });
}

export interface BpeProtoOptions {
  unkPiece: string;
  /** pieces that are control symbols (bos/eos...) */
  controlPieces?: readonly string[];
  bosPiece?: string;
  eosPiece?: string;
  byteFallback: boolean;
  addDummyPrefix?: boolean;
  removeExtraWhitespaces?: boolean;
  /** charsmap (default none: identity) */
  precompiledCharsmap?: Uint8Array;
}

/**
 * A SentencePiece BPE model from a vocabulary (index = id) and a ranked merge list, e.g. LLaMA's
 * from its tokenizer.json: each piece scores -(rank of the first merge that forms it).
 */
export function bpeModelProtoFromMerges(
  vocab: readonly string[],
  merges: readonly (readonly [string, string])[],
  options: BpeProtoOptions,
): ModelProto {
  const pieces = piecesFromMerges(vocab, merges, options.unkPiece);
  const control = new Set(options.controlPieces ?? []);
  for (const p of pieces) {
    if (control.has(p.piece)) {
      p.type = 'CONTROL';
      p.score = 0;
    } else if (options.byteFallback && p.type === 'NORMAL' && pieceByte(p.piece) >= 0) {
      p.type = 'BYTE';
      p.score = 0;
    } else if (p.type === 'UNKNOWN') p.score = 0;
  }
  if (options.byteFallback) {
    for (let b = 0; b < 256; b++)
      if (!vocab.includes(bytePiece(b)))
        throw new ArgumentError('bpeModelProtoFromMerges', `byte fallback needs ${bytePiece(b)} in the vocabulary`);
  }
  const ts = defaultTrainerSpec();
  ts.modelType = 'BPE';
  ts.vocabSize = pieces.length;
  ts.byteFallback = options.byteFallback;
  ts.numThreads = 1;
  ts.unkId = pieces.findIndex((p) => p.type === 'UNKNOWN');
  if (ts.unkId < 0)
    throw new ArgumentError(
      'bpeModelProtoFromMerges',
      `the unknown piece ${describe(options.unkPiece)} is not in the vocabulary`,
    );
  ts.unkPiece = options.unkPiece;
  ts.bosPiece = options.bosPiece ?? ts.bosPiece;
  ts.eosPiece = options.eosPiece ?? ts.eosPiece;
  ts.bosId = pieces.findIndex((p) => p.piece === ts.bosPiece && p.type === 'CONTROL');
  ts.eosId = pieces.findIndex((p) => p.piece === ts.eosPiece && p.type === 'CONTROL');
  ts.padId = -1;
  const spec = defaultNormalizerSpec();
  spec.precompiledCharsmap = options.precompiledCharsmap ?? new Uint8Array(0);
  spec.name = spec.precompiledCharsmap.byteLength === 0 ? 'identity' : 'user_defined';
  spec.addDummyPrefix = options.addDummyPrefix ?? true;
  spec.removeExtraWhitespaces = options.removeExtraWhitespaces ?? false;
  return { pieces, trainerSpec: ts, normalizerSpec: spec, denormalizerSpec: null };
}

function flattenNormalizers(n: Normalizer | null): Normalizer[] {
  if (n === null) return [];
  if (n instanceof NormalizerSequence) return n.normalizers.flatMap((m) => flattenNormalizers(m));
  return [n];
}
