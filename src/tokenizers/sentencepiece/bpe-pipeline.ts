/**
 * SentencePiece BPE as a pipeline Model: segments exactly as SentencePiece (bpe-model.ts, merge
 * by piece score) and serializes as HF's `BPE` section, with the merge list Hugging Face's
 * converter derives from the scores (every split of every piece into two vocabulary pieces,
 * ordered by the score of the result). Loading that JSON back gives the core BPE model, which
 * applies those merges by rank: the same ids except where two splits of one piece compete.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Model, Token } from '../interfaces.ts';
import { SpmBpeModel } from './bpe-model.ts';
import { bytePiece, PieceType } from './piece-type.ts';

export class SentencePieceBpe implements Model {
  readonly type = 'BPE';
  readonly core: SpmBpeModel;
  private readonly idOf = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(
    readonly pieces: readonly string[],
    readonly scores: ArrayLike<number>,
    readonly types: ArrayLike<number>,
    readonly byteFallback: boolean,
  ) {
    this.core = new SpmBpeModel(pieces, scores, types, { mergeUnknown: !byteFallback });
    pieces.forEach((p, i) => {
      if (!this.idOf.has(p)) this.idOf.set(p, i);
    });
    for (let b = 0; b < 256; b++) this.byteIds[b] = this.idOf.get(bytePiece(b)) ?? -1;
  }

  get unkToken(): string | undefined {
    return this.core.unkId < 0 ? undefined : this.pieces[this.core.unkId];
  }

  tokenize(piece: string): Token[] {
    const out: Token[] = [];
    const unk = this.core.unkId;
    for (const s of this.core.encode(piece)) {
      if (s.id === unk && this.byteFallback) {
        for (const b of Buffer.from(piece.slice(s.start, s.end), 'utf8'))
          out.push({ id: this.byteIds[b]!, value: bytePiece(b), offsets: [s.start, s.end] });
      } else
        out.push({
          id: s.id,
          value: s.id === unk ? this.pieces[unk]! : piece.slice(s.start, s.end),
          offsets: [s.start, s.end],
        });
    }
    return out;
  }

  encodeIds(piece: string, out: number[]): void {
    const unk = this.core.unkId;
    for (const s of this.core.encode(piece)) {
      if (s.id === unk && this.byteFallback) {
        for (const b of Buffer.from(piece.slice(s.start, s.end), 'utf8')) out.push(this.byteIds[b]!);
      } else out.push(s.id);
    }
  }

  tokenToId(token: string): number | undefined {
    return this.idOf.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.idOf);
  }

  getVocabSize(): number {
    return this.pieces.length;
  }

  /** The merges Hugging Face's SentencePieceExtractor derives from the scores. */
  merges(): [string, string][] {
    return mergesFromScores(this.pieces, this.scores, this.types);
  }

  toJSON(): JsonObject {
    // null prototype: pieces such as "constructor" or "__proto__" are ordinary keys
    const vocab = Object.create(null) as JsonObject;
    this.pieces.forEach((p, i) => {
      if (!Object.hasOwn(vocab, p)) vocab[p] = i;
    });
    return {
      type: 'BPE',
      dropout: null,
      unk_token: this.unkToken ?? null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: this.byteFallback,
      ignore_merges: false,
      vocab,
      merges: this.merges().map(([a, b]) => [a, b]),
    };
  }
}

/**
 * For each mergeable piece (NORMAL, USER_DEFINED, UNUSED), every split into two mergeable pieces,
 * by the piece's score (best first; stable in id order), splits ordered by the parts' ids.
 */
export function mergesFromScores(
  pieces: readonly string[],
  scores: ArrayLike<number>,
  types: ArrayLike<number>,
): [string, string][] {
  const mergeable = (t: number): boolean =>
    t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;
  const id = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (mergeable(types[i]!) && !id.has(p)) id.set(p, i);
  });
  const merges: { l: string; r: string; score: number; order: number }[] = [];
  pieces.forEach((p, i) => {
    if (!mergeable(types[i]!) || p.length < 2) return;
    const local: { l: string; r: string; il: number; ir: number }[] = [];
    for (let k = 1; k < p.length; k++) {
      const c = p.charCodeAt(k);
      if (c >= 0xdc00 && c <= 0xdfff) continue; // never split a surrogate pair
      const l = p.slice(0, k);
      const r = p.slice(k);
      const il = id.get(l);
      const ir = id.get(r);
      if (il !== undefined && ir !== undefined) local.push({ l, r, il, ir });
    }
    local.sort((a, b) => a.il - b.il || a.ir - b.ir);
    for (const m of local) merges.push({ l: m.l, r: m.r, score: scores[i]!, order: merges.length });
  });
  merges.sort((a, b) => b.score - a.score || a.order - b.order);
  return merges.map((m) => [m.l, m.r]);
}
