/**
 * The segmentation lattice of a Unigram language model (SentencePiece's unigram_model.cc): one
 * node per vocabulary piece found at each character position, plus BOS and EOS. On it:
 *
 *   viterbi()          the best segmentation (max sum of piece log-probabilities)
 *   nbest(n)           the n best, exactly, by A* from EOS with the Viterbi scores as heuristic
 *   sample(alpha, rng) one segmentation drawn with p(x) ∝ P(x)^alpha (forward filtering,
 *                      backward sampling)
 *   marginals(...)     expected piece counts by forward-backward (the trainer's E step)
 *
 * Positions are characters (code points). Scores are float32 and sums are rounded to float32 after
 * every addition, as SentencePiece's `float` arithmetic does, so ties and near-ties resolve the
 * same way and n-best lists come out in the same order.
 */
import type { Generator } from '../../core/random.ts';
import type { UnigramTrie } from './unigram-trie.ts';
import { StdHeap } from '../sentencepiece/std-heap.ts';

const f32 = Math.fround;

/** What the lattice needs from a vocabulary. */
export interface LatticeVocab {
  readonly trie: UnigramTrie;
  /** float32-valued log-probabilities by id */
  readonly scores: ArrayLike<number>;
  /** SentencePiece piece types by id (null: every piece is NORMAL, as in training) */
  readonly types: Uint8Array | null;
  /** id given to unknown characters (-1: none, as in training) */
  readonly unkId: number;
  readonly minScore: number;
  readonly maxScore: number;
}

const USER_DEFINED = 4;
const UNUSED = 5;
/** score = min_score - 10 for an unknown character */
export const UNK_PENALTY = 10;

export interface LatticePath {
  /** node indices, BOS/EOS excluded, left to right */
  nodes: number[];
  score: number;
}

export class Lattice {
  text = '';
  /** number of characters */
  size = 0;
  /** UTF-16 offset of each character start, plus the end: length size + 1 */
  charOffsets = new Int32Array(16);
  private unitToChar = new Int32Array(16);

  nodeCount = 0;
  nodePos = new Int32Array(64);
  nodeLen = new Int32Array(64);
  nodeId = new Int32Array(64);
  nodeScore = new Float64Array(64);
  backtrace = new Float64Array(64);
  prev = new Int32Array(64);
  private fwd = new Float64Array(16);
  private bwd = new Float64Array(16);
  private beginNext = new Int32Array(64);
  private endNext = new Int32Array(64);
  private beginHead = new Int32Array(16);
  private beginTail = new Int32Array(16);
  private endHead = new Int32Array(16);
  private endTail = new Int32Array(16);

  static readonly BOS = 0;
  static readonly EOS = 1;

  /** Resets the lattice to `text`, with only BOS (ending at 0) and EOS (beginning at size). */
  setSentence(text: string): void {
    this.text = text;
    const n16 = text.length;
    if (this.unitToChar.length < n16 + 1) this.unitToChar = new Int32Array(n16 * 2 + 1);
    if (this.charOffsets.length < n16 + 1) this.charOffsets = new Int32Array(n16 * 2 + 1);
    let k = 0;
    for (let u = 0; u < n16; u++) {
      this.charOffsets[k] = u;
      this.unitToChar[u] = k;
      const c = text.charCodeAt(u);
      if (c >= 0xd800 && c <= 0xdbff && u + 1 < n16 && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
        this.unitToChar[++u] = -1;
      }
      k++;
    }
    this.charOffsets[k] = n16;
    this.unitToChar[n16] = k;
    this.reset(k);
  }

  /**
   * Resets to an empty lattice over `k` characters (BOS and EOS only) without a text; the
   * trainer inserts nodes it found earlier (span() and surface() then need setSentence).
   */
  reset(k: number): void {
    this.size = k;
    if (this.beginHead.length < k + 1) {
      const cap = k * 2 + 1;
      this.beginHead = new Int32Array(cap);
      this.beginTail = new Int32Array(cap);
      this.endHead = new Int32Array(cap);
      this.endTail = new Int32Array(cap);
    }
    this.beginHead.fill(-1, 0, k + 1);
    this.beginTail.fill(-1, 0, k + 1);
    this.endHead.fill(-1, 0, k + 1);
    this.endTail.fill(-1, 0, k + 1);
    this.nodeCount = 0;
    const bos = this.newNode(0, 0, -1, 0);
    this.linkEnd(bos, 0);
    const eos = this.newNode(k, 0, -1, 0);
    this.linkBegin(eos, k);
  }

  /** Adds a node for characters [pos, pos + length) with a vocabulary id and score. */
  insert(pos: number, length: number, id: number, score: number): number {
    const node = this.newNode(pos, length, id, score);
    this.linkBegin(node, pos);
    this.linkEnd(node, pos + length);
    return node;
  }

  /** SentencePiece's PopulateNodes: every vocabulary piece at every position, UNK where no single character matches. */
  populate(vocab: LatticeVocab): void {
    const text = this.text;
    const n16 = text.length;
    const { trie, scores, types, unkId } = vocab;
    const unkScore = f32(vocab.minScore - UNK_PENALTY);
    for (let c = 0; c < this.size; c++) {
      const start = this.charOffsets[c]!;
      let node = 0;
      let hasSingle = false;
      for (let u = start; u < n16; u++) {
        node = trie.step(node, text.charCodeAt(u));
        if (node < 0) break;
        const id = trie.value(node);
        if (id < 0) continue;
        const endChar = this.unitToChar[u + 1]!;
        if (endChar < 0) continue; // a piece ending inside a surrogate pair (hostile vocabularies only)
        const type = types === null ? 1 : types[id]!;
        if (type === UNUSED) continue;
        const length = endChar - c;
        const score = type === USER_DEFINED ? f32(f32(length * vocab.maxScore) - 0.1) : scores[id]!;
        this.insert(c, length, id, score);
        if (length === 1) hasSingle = true;
      }
      if (!hasSingle) this.insert(c, 1, unkId, unkScore);
    }
  }

  /** Best path (empty with score 0 if some position cannot be reached). */
  viterbi(): LatticePath {
    const len = this.size;
    for (let pos = 0; pos <= len; pos++) {
      let r = this.beginHead[pos]!;
      if (r < 0) return { nodes: [], score: 0 };
      for (; r >= 0; r = this.beginNext[r]!) {
        let best = -1;
        let bestScore = 0;
        const rs = this.nodeScore[r]!;
        for (let l = this.endHead[pos]!; l >= 0; l = this.endNext[l]!) {
          const s = f32(this.backtrace[l]! + rs);
          if (best < 0 || s > bestScore) {
            bestScore = s;
            best = l;
          }
        }
        if (best < 0) return { nodes: [], score: 0 };
        this.prev[r] = best;
        this.backtrace[r] = bestScore;
      }
    }
    const nodes: number[] = [];
    for (let n = this.prev[Lattice.EOS]!; n !== Lattice.BOS; n = this.prev[n]!) nodes.push(n);
    nodes.reverse();
    return { nodes, score: this.backtrace[Lattice.EOS]! };
  }

  /**
   * The `n` best paths, best first (SentencePiece's Lattice::NBest without sampling): A* from
   * EOS where g is the score of the suffix so far and h the Viterbi score of the prefix.
   */
  nbest(n: number): LatticePath[] {
    if (n < 1) return [];
    if (n === 1) {
      const v = this.viterbi();
      return this.size === 0 || v.nodes.length > 0 ? [v] : [];
    }
    const first = this.viterbi();
    if (first.nodes.length === 0 && this.size > 0) return [];
    interface Hyp {
      node: number;
      next: Hyp | null;
      fx: number;
      gx: number;
    }
    const agenda = new StdHeap<Hyp>((a, b) => a.fx < b.fx);
    agenda.push({ node: Lattice.EOS, next: null, fx: this.backtrace[Lattice.EOS]!, gx: 0 });
    const results: LatticePath[] = [];
    const MAX_AGENDA = 10000;
    const MIN_AGENDA = 512;
    while (agenda.size > 0) {
      const top = agenda.pop()!;
      const node = top.node;
      if (node === Lattice.BOS) {
        const nodes: number[] = [];
        for (let h = top.next; h !== null && h.next !== null; h = h.next) nodes.push(h.node);
        results.push({ nodes, score: top.fx });
        if (results.length === n) break;
        continue;
      }
      const pos = this.nodePos[node]!;
      for (let l = this.endHead[pos]!; l >= 0; l = this.endNext[l]!) {
        agenda.push({
          node: l,
          next: top,
          gx: f32(this.nodeScore[l]! + top.gx),
          fx: f32(this.backtrace[l]! + top.gx),
        });
      }
      if (agenda.size >= MAX_AGENDA) agenda.keepTop(Math.min(MIN_AGENDA, n * 10));
    }
    return results;
  }

  /**
   * Log forward scores with the piece scores scaled by `alpha` (theta^-1): fwd[node] is the
   * log-sum over paths from BOS up to and including... the start of `node` (SentencePiece's
   * ForwardAlgorithm: alpha of a node excludes its own score).
   */
  forward(alpha: number): Float64Array {
    const fwd = new Float64Array(this.nodeCount);
    for (let pos = 0; pos <= this.size; pos++) {
      for (let r = this.beginHead[pos]!; r >= 0; r = this.beginNext[r]!) {
        let acc = 0;
        let first = true;
        for (let l = this.endHead[pos]!; l >= 0; l = this.endNext[l]!) {
          acc = logSumExp(acc, alpha * this.nodeScore[l]! + fwd[l]!, first);
          first = false;
        }
        fwd[r] = acc;
      }
    }
    return fwd;
  }

  /** One path drawn with probability ∝ exp(alpha * score(path)) (forward filtering, backward sampling). */
  sample(alpha: number, rng: Generator): number[] {
    if (this.size === 0) return [];
    const fwd = this.forward(alpha);
    const out: number[] = [];
    const weights: number[] = [];
    const cands: number[] = [];
    let node = Lattice.EOS;
    let z = fwd[node]!;
    for (;;) {
      weights.length = 0;
      cands.length = 0;
      for (let l = this.endHead[this.nodePos[node]!]!; l >= 0; l = this.endNext[l]!) {
        cands.push(l);
        weights.push(Math.exp(fwd[l]! + alpha * this.nodeScore[l]! - z));
      }
      node = cands[rng.categorical(weights)]!;
      if (node === Lattice.BOS) break;
      z = fwd[node]!;
      out.push(node);
    }
    out.reverse();
    return out;
  }

  /**
   * Adds freq * P(node in path) to expected[id] for every node with an id >= 0 (forward-backward);
   * returns freq * log Z (SentencePiece's PopulateMarginal).
   *
   * SentencePiece computes a forward score per node, but every node starting at a position has
   * the same one (the log-sum over the paths reaching that position), so it is computed once per
   * position here, likewise the backward score per end position: same values, far fewer exp/log.
   */
  marginals(freq: number, expected: Float64Array): number {
    const len = this.size;
    if (this.fwd.length < len + 1) {
      this.fwd = new Float64Array(2 * len + 2);
      this.bwd = new Float64Array(2 * len + 2);
    }
    const fwd = this.fwd;
    const bwd = this.bwd;
    const pos0 = this.nodePos;
    const plen = this.nodeLen;
    const score = this.nodeScore;
    fwd[0] = 0;
    for (let pos = 1; pos <= len; pos++) {
      let m = -Infinity;
      for (let l = this.endHead[pos]!; l >= 0; l = this.endNext[l]!) {
        const v = fwd[pos0[l]!]! + score[l]!;
        if (v > m) m = v;
      }
      let sum = 0;
      for (let l = this.endHead[pos]!; l >= 0; l = this.endNext[l]!) sum += Math.exp(fwd[pos0[l]!]! + score[l]! - m);
      fwd[pos] = m + Math.log(sum);
    }
    bwd[len] = 0;
    for (let pos = len - 1; pos >= 0; pos--) {
      let m = -Infinity;
      for (let r = this.beginHead[pos]!; r >= 0; r = this.beginNext[r]!) {
        const v = bwd[pos + plen[r]!]! + score[r]!;
        if (v > m) m = v;
      }
      let sum = 0;
      for (let r = this.beginHead[pos]!; r >= 0; r = this.beginNext[r]!)
        sum += Math.exp(bwd[pos + plen[r]!]! + score[r]! - m);
      bwd[pos] = m + Math.log(sum);
    }
    const z = fwd[len]!;
    const count = this.nodeCount;
    for (let node = 2; node < count; node++) {
      const id = this.nodeId[node]!;
      const p = pos0[node]!;
      if (id >= 0) expected[id]! += freq * Math.exp(fwd[p]! + score[node]! + bwd[p + plen[node]!]! - z);
    }
    return freq * z;
  }

  /** UTF-16 [start, end) of a node in `text`. */
  span(node: number): [number, number] {
    const p = this.nodePos[node]!;
    return [this.charOffsets[p]!, this.charOffsets[p + this.nodeLen[node]!]!];
  }

  /** The surface text of a node. */
  surface(node: number): string {
    const [s, e] = this.span(node);
    return this.text.slice(s, e);
  }

  private newNode(pos: number, length: number, id: number, score: number): number {
    if (this.nodeCount === this.nodePos.length) this.growNodes();
    const i = this.nodeCount++;
    this.nodePos[i] = pos;
    this.nodeLen[i] = length;
    this.nodeId[i] = id;
    this.nodeScore[i] = score;
    this.backtrace[i] = 0;
    this.prev[i] = -1;
    this.beginNext[i] = -1;
    this.endNext[i] = -1;
    return i;
  }

  private linkBegin(node: number, pos: number): void {
    const t = this.beginTail[pos]!;
    if (t < 0) this.beginHead[pos] = node;
    else this.beginNext[t] = node;
    this.beginTail[pos] = node;
  }

  private linkEnd(node: number, pos: number): void {
    const t = this.endTail[pos]!;
    if (t < 0) this.endHead[pos] = node;
    else this.endNext[t] = node;
    this.endTail[pos] = node;
  }

  private growNodes(): void {
    const cap = this.nodePos.length * 2;
    const g32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.nodePos = g32(this.nodePos);
    this.nodeLen = g32(this.nodeLen);
    this.nodeId = g32(this.nodeId);
    this.prev = g32(this.prev);
    this.beginNext = g32(this.beginNext);
    this.endNext = g32(this.endNext);
    this.nodeScore = g64(this.nodeScore);
    this.backtrace = g64(this.backtrace);
  }
}

/** log(exp(x) + exp(y)); `init` returns y (SentencePiece's LogSumExp with init_mode). */
export function logSumExp(x: number, y: number, init: boolean): number {
  if (init) return y;
  const vmin = Math.min(x, y);
  const vmax = Math.max(x, y);
  if (vmax > vmin + 50) return vmax;
  return vmax + Math.log(Math.exp(vmin - vmax) + 1);
}
