/**
 * Unigram language-model segmentation with SentencePiece's exact semantics (unigram_model.cc):
 * the text (already normalized, spaces as '▁') is split into the pieces that maximize the sum of
 * their log-probabilities.
 *
 * - Pieces of type NORMAL, USER_DEFINED and UNUSED are looked up; UNUSED ones are skipped,
 *   USER_DEFINED ones score `length * max_score - 0.1` so they always win.
 * - A character no single-character piece covers becomes UNK, scored `min_score - 10`.
 *   Consecutive UNKs merge into one, as SentencePiece does without byte fallback; with byte
 *   fallback the caller replaces each UNK character by its UTF-8 bytes `<0xNN>`.
 * - `encode` is SentencePiece's EncodeOptimized (Viterbi on the fly, no lattice); `nbest` and
 *   `sample` build the lattice (unigram-lattice.ts).
 */
import { ArgumentError } from '../../core/errors.ts';
import type { Generator } from '../../core/random.ts';
import { Lattice, UNK_PENALTY, type LatticeVocab } from './unigram-lattice.ts';
import { UnigramTrie } from './unigram-trie.ts';

const f32 = Math.fround;
const FLT_MIN = 1.1754943508222875e-38;
const FLT_MAX = 3.4028234663852886e38;

// SentencePiece piece types (sentencepiece/piece-type.ts)
const NORMAL = 1;
const UNKNOWN = 2;
const USER_DEFINED = 4;
const UNUSED = 5;

/** One piece of a segmentation: UTF-16 [start, end) in the normalized text and its id. */
export interface Segment {
  start: number;
  end: number;
  id: number;
}

export interface NBestResult {
  segments: Segment[];
  score: number;
}

export class UnigramModel implements LatticeVocab {
  readonly trie: UnigramTrie;
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  readonly unkId: number;
  readonly minScore: number;
  readonly maxScore: number;
  /** UTF-8 length of each piece (user-defined scores use it in EncodeOptimized) */
  private readonly byteLengths: Int32Array;
  /**
   * Whether no piece spans a "non-'▁' then '▁'" boundary, so the text can be cut there into
   * chunks whose matches are independent of each other (and cached).
   */
  private readonly chunkable: boolean;
  private readonly matchCache = new Map<string, Int32Array>();

  /**
   * `types` are SentencePiece type values (1 NORMAL ... 6 BYTE). Exactly one piece must be
   * UNKNOWN unless `unkId` is given explicitly (-1: no unknown piece; unknown characters then
   * throw in encode).
   */
  /**
   * Merge runs of unknown characters into one UNK (SentencePiece does unless byte fallback is on,
   * where each unknown character becomes its own bytes).
   */
  readonly mergeUnknown: boolean;

  constructor(
    readonly pieces: readonly string[],
    scores: ArrayLike<number>,
    types: ArrayLike<number>,
    options: { unkId?: number; mergeUnknown?: boolean } = {},
  ) {
    const unkId = options.unkId;
    this.mergeUnknown = options.mergeUnknown ?? true;
    const n = pieces.length;
    if (scores.length !== n || types.length !== n) {
      throw new ArgumentError(
        'UnigramModel',
        `pieces (${n}), scores (${scores.length}) and types (${types.length}) differ in length`,
      );
    }
    this.scores = Float32Array.from(scores);
    this.types = Uint8Array.from(types);
    let unk = unkId ?? -1;
    if (unkId === undefined) for (let i = 0; i < n; i++) if (this.types[i] === UNKNOWN) unk = i;
    this.unkId = unk;
    let min = FLT_MAX;
    let max = FLT_MIN;
    for (let i = 0; i < n; i++) {
      if (this.types[i] !== NORMAL) continue;
      min = Math.min(min, this.scores[i]!);
      max = Math.max(max, this.scores[i]!);
    }
    // subtle: SentencePiece starts max at FLT_MIN (the smallest positive float), so an all-negative
    // vocabulary gets max_score 0
    this.minScore = min === FLT_MAX ? 0 : min;
    this.maxScore = max === FLT_MIN ? 0 : max;
    const trieIds: number[] = [];
    const triePieces: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.types[i]!;
      if (t === NORMAL || t === USER_DEFINED || t === UNUSED) {
        triePieces.push(pieces[i]!);
        trieIds.push(i);
      }
    }
    this.trie = UnigramTrie.from(triePieces, trieIds);
    this.chunkable = !triePieces.some(spansWordBoundary);
    this.byteLengths = Int32Array.from(pieces, (p) => Buffer.byteLength(p, 'utf8'));
  }

  get size(): number {
    return this.pieces.length;
  }

  /**
   * The best segmentation (SentencePiece's EncodeOptimized), consecutive unknowns merged.
   * Ties go to the piece that starts earliest (the longest), as in SentencePiece.
   */
  encode(text: string, out: Segment[] = []): Segment[] {
    const n = text.length;
    if (n === 0) return out;
    const best = new Float64Array(n + 1);
    const from = new Int32Array(n + 1).fill(-1);
    const ids = new Int32Array(n + 1);
    const { scores, types, maxScore } = this;
    const unkScore = f32(this.minScore - UNK_PENALTY);
    // the vocabulary matches come per chunk (cached); the float Viterbi runs over the whole text,
    // since its rounding depends on the running score
    for (let a = 0; a < n;) {
      const b = this.chunkable ? chunkEnd(text, a) : n;
      const m = this.chunkMatches(text, a, b);
      let k = 0;
      for (let s = a; s < b;) {
        const c = text.charCodeAt(s);
        const w = c >= 0xd800 && c <= 0xdbff && s + 1 < n && (text.charCodeAt(s + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
        const base = best[s]!;
        let hasSingle = false;
        for (; k < m.length && m[k]! + a === s; k += 3) {
          const e = m[k + 1]! + a;
          const id = m[k + 2]!;
          // subtle: in SentencePiece `score` is a double (the ?: with the user-defined bonus
          // `length * max_score_ - 0.1` promotes it), so the candidate sum is compared in double
          // and only rounded to float when stored; this decides near-ties such as '.' + '...'
          // vs '...' + '.'
          const cand = (types[id] === USER_DEFINED ? f32(this.byteLengths[id]! * maxScore) - 0.1 : scores[id]!) + base;
          if (from[e] === -1 || cand > best[e]!) {
            best[e] = f32(cand);
            from[e] = s;
            ids[e] = id;
          }
          if (e - s === w) hasSingle = true;
        }
        if (!hasSingle) {
          const e = s + w;
          const cand = f32(unkScore + base);
          if (from[e] === -1 || cand > best[e]!) {
            best[e] = cand;
            from[e] = s;
            ids[e] = this.unkId;
          }
        }
        s += w;
      }
      a = b;
    }
    const start = out.length;
    for (let e = n; e > 0;) {
      const s = from[e]!;
      out.push({ start: s, end: e, id: ids[e]! });
      e = s;
    }
    reverseFrom(out, start);
    return this.mergeUnknown ? mergeUnknown(out, start, this.unkId) : out;
  }

  /**
   * The pieces found in text[a, b) as (start, end, id) triples relative to a, in trie-walk order
   * (by start, then length); UNUSED pieces and pieces ending inside a surrogate pair left out.
   * Cached by chunk text when the vocabulary allows chunking.
   */
  private chunkMatches(text: string, a: number, b: number): Int32Array {
    const key = this.chunkable ? text.slice(a, b) : '';
    if (this.chunkable) {
      const hit = this.matchCache.get(key);
      if (hit !== undefined) return hit;
    }
    const out: number[] = [];
    const { trie, types } = this;
    const n = text.length;
    for (let s = a; s < b;) {
      const c = text.charCodeAt(s);
      const w = c >= 0xd800 && c <= 0xdbff && s + 1 < n && (text.charCodeAt(s + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      let node = 0;
      for (let u = s; u < b; u++) {
        node = trie.step(node, text.charCodeAt(u));
        if (node < 0) break;
        const id = trie.value(node);
        if (id < 0 || types[id] === UNUSED) continue;
        const e = u + 1;
        // a hostile piece ending inside a surrogate pair cannot split it
        if (e < n && (text.charCodeAt(e) & 0xfc00) === 0xdc00 && (text.charCodeAt(u) & 0xfc00) === 0xd800) continue;
        out.push(s - a, e - a, id);
      }
      s += w;
    }
    const m = Int32Array.from(out);
    if (this.chunkable) {
      if (this.matchCache.size >= MATCH_CACHE_LIMIT) this.matchCache.clear();
      this.matchCache.set(key, m);
    }
    return m;
  }

  /** The `n` best segmentations, best first (SentencePiece's NBestEncode; n is clamped to [1, 1024]). */
  nbest(text: string, n: number): NBestResult[] {
    if (text.length === 0) return [{ segments: [], score: 0 }];
    const lattice = this.lattice(text);
    const paths = lattice.nbest(Math.max(1, Math.min(n, 1024)));
    return paths.map((p) => ({ segments: this.segmentsOf(lattice, p.nodes), score: p.score }));
  }

  /**
   * A segmentation sampled for subword regularization. With nbestSize < 0 (default), from all
   * segmentations with p(x) ∝ P(x)^alpha (forward filtering, backward sampling); with
   * nbestSize > 1, among the n best with p ∝ exp(alpha * score); nbestSize 1 or alpha 0: Viterbi.
   */
  sample(text: string, alpha: number, rng: Generator, nbestSize = -1): Segment[] {
    if (!(alpha >= 0) || !Number.isFinite(alpha))
      throw new ArgumentError('UnigramModel.sample', `alpha must be a finite number >= 0, got ${alpha}`);
    if (text.length === 0) return [];
    if (nbestSize === 1 || nbestSize === 0 || alpha === 0) return this.encode(text);
    const lattice = this.lattice(text);
    if (nbestSize > 1) {
      const paths = lattice.nbest(Math.min(nbestSize, 1024));
      if (paths.length === 0) return this.encode(text);
      const logp = paths.map((p) => alpha * p.score);
      const m = Math.max(...logp);
      const k = rng.categorical(logp.map((x) => Math.exp(x - m)));
      return this.segmentsOf(lattice, paths[k]!.nodes);
    }
    return this.segmentsOf(lattice, lattice.sample(alpha, rng));
  }

  /** The lattice of `text` with every piece inserted (for n-best, sampling, inspection). */
  lattice(text: string): Lattice {
    const lattice = new Lattice();
    lattice.setSentence(text);
    lattice.populate(this);
    return lattice;
  }

  private segmentsOf(lattice: Lattice, nodes: readonly number[]): Segment[] {
    const out: Segment[] = nodes.map((node) => {
      const [start, end] = lattice.span(node);
      return { start, end, id: lattice.nodeId[node]! };
    });
    return this.mergeUnknown ? mergeUnknown(out, 0, this.unkId) : out;
  }
}

const MATCH_CACHE_LIMIT = 1 << 16;

/** True if `piece` has '▁' right after a character that is not '▁'. */
export function spansWordBoundary(piece: string): boolean {
  for (let i = 1; i < piece.length; i++)
    if (piece.charCodeAt(i) === 0x2581 && piece.charCodeAt(i - 1) !== 0x2581) return true;
  return false;
}

/** End of the chunk starting at `a`: the next '▁' that follows a character other than '▁'. */
function chunkEnd(text: string, a: number): number {
  for (let i = a + 1; i < text.length; i++)
    if (text.charCodeAt(i) === 0x2581 && text.charCodeAt(i - 1) !== 0x2581) return i;
  return text.length;
}

function reverseFrom<T>(a: T[], start: number): void {
  for (let i = start, j = a.length - 1; i < j; i++, j--) {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Merges runs of adjacent unknown segments in `out[start..]` into one. */
export function mergeUnknown(out: Segment[], start: number, unkId: number): Segment[] {
  if (unkId < 0) return out;
  let w = start;
  for (let r = start; r < out.length; r++) {
    const seg = out[r]!;
    const last = w > start ? out[w - 1]! : undefined;
    if (seg.id === unkId && last !== undefined && last.id === unkId && last.end === seg.start) {
      last.end = seg.end;
      continue;
    }
    out[w++] = seg;
  }
  out.length = w;
  return out;
}
