/**
 * SentencePieceProcessor: a `.model` file in, SentencePiece's exact ids, pieces and offsets out.
 *
 *   text -> SentencePieceNormalizer (charsmap, whitespace, '▁') -> Unigram | BPE | WORD | CHAR
 *        -> unknown runs merged -> byte fallback (<0xNN>) -> pieces with offsets into `text`
 *   ids  -> pieces -> bytes regrouped into characters, '▁' -> ' ', leading space dropped
 *
 * Offsets are UTF-16 [start, end) into the input, computed as SentencePiece does from its
 * norm_to_orig table (the Python binding reports the same spans in code points). The pipeline
 * form of the same tokenizer (Tokenizer / tokenizer.json) is built by convert.ts.
 */
import { ArgumentError } from '../../core/errors.ts';
import type { Generator } from '../../core/random.ts';
import { UnigramModel, mergeUnknown, type Segment } from '../models/unigram-model.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { SpmBpeModel } from './bpe-model.ts';
import { tokenizerFromModelProto } from './convert.ts';
import { PrecompiledCharsmap } from './charsmap.ts';
import {
  decodeModelProto,
  encodeModelProto,
  readModelProtoFile,
  writeModelProtoFile,
  type ModelProto,
  type ModelType,
  type NormalizerSpec,
} from './model-proto.ts';
import { SentencePieceNormalizer, SPACE_SYMBOL } from './normalizer.ts';
import { PieceType, bytePiece, pieceByte } from './piece-type.ts';
import { PrefixMatcher } from './prefix-matcher.ts';

export interface EncodedPiece {
  id: number;
  /** the piece; for an unknown run, its normalized text */
  piece: string;
  /** UTF-16 [start, end) in the original text (byte pieces but the last have start == end) */
  start: number;
  end: number;
}

export interface SampleOptions {
  /** smoothing: p(x) ∝ P(x)^alpha (Unigram); merge-skip probability (BPE-dropout) */
  alpha: number;
  rng: Generator;
  /** Unigram: < 0 samples from all segmentations, > 1 among the n best (default -1) */
  nbestSize?: number;
}

export class SentencePieceProcessor {
  readonly modelType: ModelType;
  readonly normalizer: SentencePieceNormalizer;
  readonly denormalizer: SentencePieceNormalizer | null;
  readonly unigram: UnigramModel | null;
  readonly bpe: SpmBpeModel | null;
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  readonly byteFallback: boolean;
  readonly unkId: number;
  private readonly idOf = new Map<string, number>();
  private readonly reservedIdOf = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(readonly proto: ModelProto) {
    this.modelType = proto.trainerSpec.modelType;
    this.pieces = proto.pieces.map((p) => p.piece);
    this.scores = Float32Array.from(proto.pieces, (p) => p.score);
    this.types = Uint8Array.from(proto.pieces, (p) => PieceType[p.type]);
    this.byteFallback = proto.trainerSpec.byteFallback;
    let unk = -1;
    const user: string[] = [];
    proto.pieces.forEach((p, i) => {
      const t = PieceType[p.type];
      if (t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED) this.idOf.set(p.piece, i);
      else this.reservedIdOf.set(p.piece, i);
      if (t === PieceType.UNKNOWN) unk = i;
      if (t === PieceType.USER_DEFINED) user.push(p.piece);
      if (t === PieceType.BYTE) this.byteIds[pieceByte(p.piece)] = i;
    });
    this.unkId = unk;
    const matcher = user.length > 0 ? new PrefixMatcher(user) : null;
    this.normalizer = makeNormalizer(
      proto.normalizerSpec,
      proto.trainerSpec.treatWhitespaceAsSuffix,
      matcher,
      'normalizer_spec',
    );
    const d = proto.denormalizerSpec;
    this.denormalizer =
      d !== null && d.precompiledCharsmap.byteLength > 0 ? makeNormalizer(d, false, null, 'denormalizer_spec') : null;
    const mergeUnk = !this.byteFallback;
    this.unigram =
      this.modelType === 'UNIGRAM'
        ? new UnigramModel(this.pieces, this.scores, this.types, { mergeUnknown: mergeUnk })
        : null;
    this.bpe =
      this.modelType === 'BPE'
        ? new SpmBpeModel(this.pieces, this.scores, this.types, { mergeUnknown: mergeUnk })
        : null;
  }

  static load(path: string): SentencePieceProcessor {
    return new SentencePieceProcessor(readModelProtoFile(path));
  }

  static fromBytes(bytes: Uint8Array, file = '<buffer>'): SentencePieceProcessor {
    return new SentencePieceProcessor(decodeModelProto(bytes, file));
  }

  /** The serialized `.model`. */
  serialize(): Uint8Array {
    return encodeModelProto(this.proto);
  }

  save(path: string): void {
    writeModelProtoFile(path, this.proto);
  }

  /** The equivalent pipeline Tokenizer (tokenizer.json via its save / toJSON). */
  toTokenizer(): Tokenizer {
    return tokenizerFromModelProto(this.proto);
  }

  // ---------------------------------------------------------------- vocabulary

  get vocabSize(): number {
    return this.pieces.length;
  }

  /** SentencePiece's PieceToId: unknown pieces map to the unknown id. */
  pieceToId(piece: string): number {
    return this.reservedIdOf.get(piece) ?? this.idOf.get(piece) ?? this.unkId;
  }

  idToPiece(id: number): string {
    const p = this.pieces[id];
    if (p === undefined)
      throw new ArgumentError(
        'SentencePieceProcessor.idToPiece',
        `id ${id} is outside the vocabulary [0, ${this.pieces.length})`,
      );
    return p;
  }

  getScore(id: number): number {
    this.idToPiece(id);
    return this.scores[id]!;
  }

  isControl(id: number): boolean {
    return this.types[id] === PieceType.CONTROL;
  }
  isUnknown(id: number): boolean {
    return this.types[id] === PieceType.UNKNOWN;
  }
  isByte(id: number): boolean {
    return this.types[id] === PieceType.BYTE;
  }
  isUnused(id: number): boolean {
    return this.types[id] === PieceType.UNUSED;
  }

  /** Id of a CONTROL piece named in trainer_spec (bos/eos/pad), or -1 as SentencePiece. */
  get bosId(): number {
    return this.controlId(this.proto.trainerSpec.bosPiece);
  }
  get eosId(): number {
    return this.controlId(this.proto.trainerSpec.eosPiece);
  }
  get padId(): number {
    return this.controlId(this.proto.trainerSpec.padPiece);
  }

  private controlId(piece: string): number {
    const id = this.reservedIdOf.get(piece);
    return id !== undefined && this.types[id] === PieceType.CONTROL ? id : -1;
  }

  // ---------------------------------------------------------------- encode

  /** Pieces with ids and offsets into `text`. */
  encode(text: string): EncodedPiece[] {
    const { normalized, normToOrig } = this.normalizer.normalize(text);
    return this.expand(normalized, normToOrig, this.segment(normalized));
  }

  encodeIds(text: string): number[] {
    const normalized = this.normalizer.normalizeString(text);
    const out: number[] = [];
    for (const s of this.segment(normalized)) {
      if (s.id === this.unkId && this.byteFallback) {
        for (const b of Buffer.from(normalized.slice(s.start, s.end), 'utf8')) out.push(this.byteIds[b]!);
      } else out.push(s.id);
    }
    return out;
  }

  encodePieces(text: string): string[] {
    return this.encode(text).map((p) => p.piece);
  }

  /** The `n` best segmentations (Unigram only), best first, as id lists with their scores. */
  nbest(text: string, n: number): { ids: number[]; score: number }[] {
    if (this.unigram === null)
      throw new ArgumentError(
        'SentencePieceProcessor.nbest',
        `n-best needs a Unigram model, this one is ${this.modelType}`,
      );
    const { normalized, normToOrig } = this.normalizer.normalize(text);
    if (normalized.length === 0) return [];
    return this.unigram.nbest(normalized, n).map((r) => ({
      ids: this.expand(normalized, normToOrig, r.segments).map((p) => p.id),
      score: r.score,
    }));
  }

  /** One sampled segmentation (subword regularization): Unigram sampling or BPE-dropout. */
  sample(text: string, options: SampleOptions): EncodedPiece[] {
    const { normalized, normToOrig } = this.normalizer.normalize(text);
    let segs: Segment[];
    if (this.unigram !== null)
      segs = this.unigram.sample(normalized, options.alpha, options.rng, options.nbestSize ?? -1);
    else if (this.bpe !== null) segs = this.bpe.encode(normalized, options.alpha, options.rng);
    else segs = this.segment(normalized);
    return this.expand(normalized, normToOrig, segs);
  }

  /** The model's segmentation of normalized text (unknown runs merged, no byte fallback yet). */
  segment(normalized: string): Segment[] {
    if (this.unigram !== null) return this.unigram.encode(normalized);
    if (this.bpe !== null) return this.bpe.encode(normalized);
    const out: Segment[] = [];
    if (this.modelType === 'CHAR') {
      for (let i = 0; i < normalized.length;) {
        const c = normalized.codePointAt(i)!;
        const w = c > 0xffff ? 2 : 1;
        out.push({ start: i, end: i + w, id: this.pieceToId(normalized.slice(i, i + w)) });
        i += w;
      }
    } else {
      // WORD: words begin at each space symbol
      let start = 0;
      for (let i = 1; i <= normalized.length; i++) {
        if (i < normalized.length && normalized[i] !== SPACE_SYMBOL) continue;
        out.push({ start, end: i, id: this.pieceToId(normalized.slice(start, i)) });
        start = i;
      }
    }
    return this.byteFallback ? out : mergeUnknown(out, 0, this.unkId);
  }

  /** SentencePiece's PopulateSentencePieceText: offsets, byte fallback. */
  private expand(normalized: string, normToOrig: Int32Array, segs: readonly Segment[]): EncodedPiece[] {
    const out: EncodedPiece[] = [];
    for (const s of segs) {
      const ob = normToOrig[s.start]!;
      const oe = normToOrig[s.end]!;
      const surface = normalized.slice(s.start, s.end);
      if (s.id === this.unkId && this.byteFallback) {
        const bytes = Buffer.from(surface, 'utf8');
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i]!;
          out.push({ id: this.byteIds[b]!, piece: bytePiece(b), start: ob, end: i === bytes.length - 1 ? oe : ob });
        }
      } else {
        out.push({ id: s.id, piece: surface, start: ob, end: oe });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- decode

  /** SentencePiece's DecodeIds. */
  decode(ids: readonly number[]): string {
    return this.decodePieces(
      ids.map((id) => this.idToPiece(id)),
      ids,
    );
  }

  /** SentencePiece's DecodePieces (ids looked up when not given). */
  decodePieces(pieces: readonly string[], ids?: readonly number[]): string {
    const spec = this.proto.normalizerSpec;
    const stripBos = spec.addDummyPrefix || spec.removeExtraWhitespaces;
    const unkSurface = this.proto.trainerSpec.unkSurface;
    let text = '';
    // only the first piece that is not a control symbol loses its leading '▁'
    let atStart = true;
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length > 0) text += decodeBytesLikeSentencePiece(bytes);
      bytes = [];
    };
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      const id = ids?.[i] ?? this.pieceToId(piece);
      const type = this.types[id];
      if (type === PieceType.BYTE) {
        bytes.push(pieceByte(this.pieces[id]!));
        atStart = false;
        continue;
      }
      flush();
      if (type === PieceType.CONTROL) continue;
      const first = atStart;
      atStart = false;
      if (type === PieceType.UNKNOWN) {
        text += this.pieces[id] === piece ? unkSurface : piece;
        continue;
      }
      let p = piece;
      if (first && stripBos && p.startsWith(SPACE_SYMBOL)) p = p.slice(1);
      text += p.replaceAll(SPACE_SYMBOL, ' ');
    }
    flush();
    if (this.denormalizer !== null) text = this.denormalizer.normalizeString(text);
    return text;
  }
}

function makeNormalizer(
  spec: NormalizerSpec,
  suffix: boolean,
  matcher: PrefixMatcher | null,
  field: string,
): SentencePieceNormalizer {
  const blob = spec.precompiledCharsmap;
  return new SentencePieceNormalizer({
    charsmap: blob.byteLength > 0 ? new PrecompiledCharsmap(blob, '<model>', `${field}.precompiled_charsmap`) : null,
    addDummyPrefix: spec.addDummyPrefix,
    removeExtraWhitespaces: spec.removeExtraWhitespaces,
    escapeWhitespaces: spec.escapeWhitespaces,
    treatWhitespaceAsSuffix: suffix,
    userDefined: matcher,
  });
}

/**
 * Bytes -> text one character at a time; a byte that does not start a valid UTF-8 character
 * becomes U+FFFD on its own (SentencePiece's ProcessBytePieces).
 */
export function decodeBytesLikeSentencePiece(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const len = validCharLength(bytes, i);
    if (len === 0) {
      out += '\ufffd';
      i++;
    } else {
      out += Buffer.from(bytes.slice(i, i + len)).toString('utf8');
      i += len;
    }
  }
  return out;
}

/** Length of the valid UTF-8 character at bytes[i] (no overlongs, surrogates or > U+10FFFF), or 0. */
function validCharLength(b: readonly number[], i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number): boolean => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const cp = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const cp = ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
  }
  return 0;
}
