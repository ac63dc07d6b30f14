/**
 * HF's `Unigram` model (tokenizer.json `{"type": "Unigram", "vocab": [[piece, score], ...],
 * "unk_id": 0, "byte_fallback": false}`), segmenting with SentencePiece's exact Viterbi
 * (unigram-model.ts): float32 scores and sums, ties to the longest piece.
 *
 * Built from tokenizer.json, pieces are NORMAL except the unknown piece and, with byte fallback,
 * the `<0xNN>` pieces, which (as in SentencePiece) never match text. Built from a `.model`
 * (sentencepiece/convert.ts), the real piece types apply: CONTROL and UNUSED pieces never match,
 * USER_DEFINED ones always win.
 */
import { describe } from '../../core/describe.ts';
import { ArgumentError, FormatError } from '../../core/errors.ts';
import type { Generator } from '../../core/random.ts';
import type { JsonObject } from '../config-reader.ts';
import type { Model, Token } from '../interfaces.ts';
import { bytePiece, pieceByte, PieceType } from '../sentencepiece/piece-type.ts';
import { UnigramModel, type Segment } from './unigram-model.ts';

export interface UnigramOptions {
  /** id of the unknown piece; null: unknown characters are an error (as HF) */
  unkId: number | null;
  byteFallback: boolean;
  /** SentencePiece piece types by id (default: NORMAL, UNKNOWN for unkId, BYTE for byte pieces) */
  types?: ArrayLike<number>;
}

export class Unigram implements Model {
  readonly type = 'Unigram';
  readonly core: UnigramModel;
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  private readonly idOf = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(
    readonly vocab: readonly (readonly [string, number])[],
    options: UnigramOptions,
  ) {
    const n = vocab.length;
    this.unkId = options.unkId;
    this.byteFallback = options.byteFallback;
    if (this.unkId !== null && (this.unkId < 0 || this.unkId >= n)) {
      throw new ArgumentError('Unigram', `unk_id ${this.unkId} is outside the vocabulary [0, ${n})`);
    }
    const pieces = vocab.map((v) => v[0]);
    pieces.forEach((p, i) => {
      if (!this.idOf.has(p)) this.idOf.set(p, i);
    });
    const types =
      options.types !== undefined ? Uint8Array.from(options.types) : new Uint8Array(n).fill(PieceType.NORMAL);
    if (options.types === undefined) {
      if (this.unkId !== null) types[this.unkId] = PieceType.UNKNOWN;
      if (this.byteFallback)
        pieces.forEach((p, i) => pieceByte(p) >= 0 && i !== this.unkId && (types[i] = PieceType.BYTE));
    }
    if (this.byteFallback) {
      for (let b = 0; b < 256; b++) {
        const id = this.idOf.get(bytePiece(b));
        if (id === undefined)
          throw new ArgumentError('Unigram', `byte_fallback needs the piece ${bytePiece(b)}, which is missing`);
        this.byteIds[b] = id;
      }
    }
    this.core = new UnigramModel(
      pieces,
      vocab.map((v) => Math.fround(v[1])),
      types,
      {
        unkId: this.unkId ?? -1,
        mergeUnknown: !this.byteFallback,
      },
    );
  }

  get unkToken(): string | undefined {
    return this.unkId === null ? undefined : this.vocab[this.unkId]![0];
  }

  tokenize(piece: string): Token[] {
    return this.toTokens(piece, this.core.encode(piece));
  }

  encodeIds(piece: string, out: number[]): void {
    for (const s of this.core.encode(piece)) {
      if (s.id === -1) this.noUnk(piece, s);
      if (s.id === this.unkId && this.byteFallback) {
        for (const b of Buffer.from(piece.slice(s.start, s.end), 'utf8')) out.push(this.byteIds[b]!);
      } else out.push(s.id);
    }
  }

  /** The n best segmentations of a (normalized) piece, best first. */
  nbest(piece: string, n: number): { tokens: Token[]; score: number }[] {
    return this.core.nbest(piece, n).map((r) => ({ tokens: this.toTokens(piece, r.segments), score: r.score }));
  }

  /** One segmentation sampled with p ∝ P^alpha (or among the n best when nbestSize > 1). */
  sample(piece: string, alpha: number, rng: Generator, nbestSize = -1): Token[] {
    return this.toTokens(piece, this.core.sample(piece, alpha, rng, nbestSize));
  }

  private toTokens(piece: string, segs: readonly Segment[]): Token[] {
    const out: Token[] = [];
    for (const s of segs) {
      if (s.id === -1) this.noUnk(piece, s);
      if (s.id === this.unkId && this.byteFallback) {
        for (const b of Buffer.from(piece.slice(s.start, s.end), 'utf8')) {
          out.push({ id: this.byteIds[b]!, value: bytePiece(b), offsets: [s.start, s.end] });
        }
      } else
        out.push({
          id: s.id,
          value: s.id === this.unkId ? this.vocab[s.id]![0] : piece.slice(s.start, s.end),
          offsets: [s.start, s.end],
        });
    }
    return out;
  }

  private noUnk(piece: string, s: Segment): never {
    throw new ArgumentError(
      'Unigram.tokenize',
      `${describe(piece.slice(s.start, s.end))} is not in the vocabulary and the model has no unk_id`,
    );
  }

  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id]?.[0];
  }

  getVocab(): Map<string, number> {
    return new Map(this.idOf);
  }

  getVocabSize(): number {
    return this.vocab.length;
  }

  toJSON(): JsonObject {
    return {
      type: this.type,
      unk_id: this.unkId,
      vocab: this.vocab.map(([p, s]) => [p, s]),
      byte_fallback: this.byteFallback,
    };
  }
}

/** Reads the `vocab` of a Unigram section: [[piece, score], ...] with finite scores. */
export function readUnigramVocab(raw: unknown, file: string, field: string): [string, number][] {
  if (!Array.isArray(raw)) throw new FormatError(file, 'expected an array of [piece, score] pairs', field);
  return raw.map((e, i) => {
    if (
      !Array.isArray(e) ||
      e.length !== 2 ||
      typeof e[0] !== 'string' ||
      typeof e[1] !== 'number' ||
      !Number.isFinite(e[1])
    ) {
      throw new FormatError(file, `expected [piece, finite score], got ${describe(e)}`, `${field}[${i}]`);
    }
    return [e[0], e[1]] as [string, number];
  });
}
