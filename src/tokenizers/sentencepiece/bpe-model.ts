/**
 * SentencePiece BPE segmentation (bpe_model.cc): start from characters (user-defined symbols
 * stay whole and never merge), then repeatedly merge the adjacent pair whose concatenation is the
 * vocabulary piece with the highest score, leftmost first on ties. There is no merge list: the
 * piece scores order the merges. UNUSED pieces may be formed and are then split back into the
 * pieces they were merged from.
 *
 * Text is split, where provably harmless, into chunks before each '▁' that follows a non-'▁'
 * character (no piece can span such a boundary in that case), and chunks are cached.
 */
import { ArgumentError } from '../../core/errors.ts';
import type { Generator } from '../../core/random.ts';
import { mergeUnknown, type Segment } from '../models/unigram-model.ts';
import { PieceType } from './piece-type.ts';
import { PrefixMatcher } from './prefix-matcher.ts';
import { StdHeap } from './std-heap.ts';
import { SPACE_SYMBOL } from './normalizer.ts';

interface Pair {
  left: number;
  right: number;
  score: number;
  size: number;
}

const CACHE_LIMIT = 1 << 16;

export class SpmBpeModel {
  /** NORMAL, USER_DEFINED and UNUSED pieces: the ones merges can produce */
  private readonly mergeable = new Map<string, number>();
  /** CONTROL, UNKNOWN and BYTE pieces (looked up first, as SentencePiece's reserved map) */
  private readonly reserved = new Map<string, number>();
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  readonly unkId: number;
  readonly userDefined: PrefixMatcher;
  /** whether chunking at word boundaries is exact for this vocabulary */
  private readonly chunkable: boolean;
  private readonly cache = new Map<string, Segment[]>();

  /** merge runs of unknown characters into one UNK (SentencePiece does unless byte fallback is on) */
  readonly mergeUnknown: boolean;

  constructor(
    readonly pieces: readonly string[],
    scores: ArrayLike<number>,
    types: ArrayLike<number>,
    options: { mergeUnknown?: boolean } = {},
  ) {
    this.mergeUnknown = options.mergeUnknown ?? true;
    const n = pieces.length;
    if (scores.length !== n || types.length !== n) {
      throw new ArgumentError(
        'SpmBpeModel',
        `pieces (${n}), scores (${scores.length}) and types (${types.length}) differ in length`,
      );
    }
    this.scores = Float32Array.from(scores);
    this.types = Uint8Array.from(types);
    let unk = -1;
    const user: string[] = [];
    let chunkable = true;
    for (let i = 0; i < n; i++) {
      const p = pieces[i]!;
      const t = this.types[i]!;
      if (t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED) {
        if (!this.mergeable.has(p)) this.mergeable.set(p, i);
        if (chunkable && spansBoundary(p)) chunkable = false;
      } else if (!this.reserved.has(p)) this.reserved.set(p, i);
      if (t === PieceType.UNKNOWN) unk = i;
      if (t === PieceType.USER_DEFINED) user.push(p);
    }
    this.unkId = unk;
    this.userDefined = new PrefixMatcher(user);
    this.chunkable = chunkable;
  }

  get size(): number {
    return this.pieces.length;
  }

  /** SentencePiece's PieceToId: reserved pieces, then mergeable ones, else the unknown id. */
  pieceToId(piece: string): number {
    return this.reserved.get(piece) ?? this.mergeable.get(piece) ?? this.unkId;
  }

  /**
   * Segments normalized text; consecutive unknowns are merged. `dropout` > 0 skips each merge
   * with that probability (BPE-dropout, SentencePiece's SampleEncode) and needs `rng`.
   */
  encode(text: string, dropout = 0, rng?: Generator): Segment[] {
    if (dropout > 0 && rng === undefined)
      throw new ArgumentError('SpmBpeModel.encode', 'dropout needs a random generator');
    const out: Segment[] = [];
    if (text.length === 0) return out;
    if (!this.chunkable || dropout > 0) {
      this.encodeChunk(text, 0, text.length, out, dropout, rng);
      return this.mergeUnknown ? mergeUnknown(out, 0, this.unkId) : out;
    }
    let start = 0;
    for (let i = 1; i <= text.length; i++) {
      if (i < text.length && !(text.charCodeAt(i) === 0x2581 && text.charCodeAt(i - 1) !== 0x2581)) continue;
      this.encodeCached(text, start, i, out);
      start = i;
    }
    return this.mergeUnknown ? mergeUnknown(out, 0, this.unkId) : out;
  }

  private encodeCached(text: string, start: number, end: number, out: Segment[]): void {
    const key = text.slice(start, end);
    let segs = this.cache.get(key);
    if (segs === undefined) {
      segs = [];
      this.encodeChunk(key, 0, key.length, segs, 0, undefined);
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(key, segs);
    }
    for (const s of segs) out.push({ start: s.start + start, end: s.end + start, id: s.id });
  }

  private encodeChunk(
    text: string,
    from: number,
    to: number,
    out: Segment[],
    dropout: number,
    rng: Generator | undefined,
  ): void {
    // symbols: [start, end) in text, doubly linked; an empty symbol (end == start) is dead
    const starts: number[] = [];
    const ends: number[] = [];
    const frozen: boolean[] = [];
    for (let i = from; i < to;) {
      let len = this.userDefined.size > 0 ? this.userDefined.match(text, i) : 0;
      const freeze = len > 0;
      if (!freeze) {
        const c = text.charCodeAt(i);
        len = c >= 0xd800 && c <= 0xdbff && i + 1 < to && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      }
      starts.push(i);
      ends.push(i + len);
      frozen.push(freeze);
      i += len;
    }
    const n = starts.length;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    // SymbolPairComparator: lower score, or equal score and larger left, has lower priority
    const agenda = new StdHeap<Pair>((a, b) => a.score < b.score || (a.score === b.score && a.left > b.left));
    const revMerge = new Map<string, [string, string]>();
    const maybeAdd = (left: number, right: number): void => {
      if (left < 0 || right < 0 || frozen[left] || frozen[right]) return;
      const piece = text.slice(starts[left]!, ends[right]!);
      const id = this.mergeable.get(piece);
      if (id === undefined) return;
      agenda.push({ left, right, score: this.scores[id]!, size: piece.length });
      if (this.types[id] === PieceType.UNUSED)
        revMerge.set(piece, [text.slice(starts[left]!, ends[left]!), text.slice(starts[right]!, ends[right]!)]);
    };
    for (let i = 1; i < n; i++) maybeAdd(i - 1, i);
    while (agenda.size > 0) {
      const top = agenda.pop()!;
      const l = top.left;
      const r = top.right;
      const ll = ends[l]! - starts[l]!;
      const rl = ends[r]! - starts[r]!;
      if (ll === 0 || rl === 0 || ll + rl !== top.size) continue;
      if (dropout > 0 && (dropout >= 1 || rng!.random() < dropout)) continue;
      // the right symbol is adjacent in text: extend left over it
      ends[l] = ends[r]!;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      ends[r] = starts[r]!;
      maybeAdd(prev[l]!, l);
      maybeAdd(l, next[l]!);
    }
    for (let i = n > 0 ? 0 : -1; i >= 0; i = next[i]!) this.resegment(text, starts[i]!, ends[i]!, revMerge, out);
  }

  /** Emits a final symbol, splitting UNUSED pieces back into what they were merged from. */
  private resegment(
    text: string,
    start: number,
    end: number,
    revMerge: Map<string, [string, string]>,
    out: Segment[],
  ): void {
    const piece = text.slice(start, end);
    const id = this.pieceToId(piece);
    if (id < 0 || this.types[id] !== PieceType.UNUSED) {
      out.push({ start, end, id });
      return;
    }
    const split = revMerge.get(piece);
    if (split === undefined) {
      out.push({ start, end, id });
      return;
    }
    const mid = start + split[0].length;
    this.resegment(text, start, mid, revMerge, out);
    this.resegment(text, mid, end, revMerge, out);
  }
}

/** True if the piece has '▁' right after a character that is not '▁'. */
function spansBoundary(piece: string): boolean {
  for (let i = 1; i < piece.length; i++) {
    if (piece[i] === SPACE_SYMBOL && piece[i - 1] !== SPACE_SYMBOL) return true;
  }
  return false;
}
