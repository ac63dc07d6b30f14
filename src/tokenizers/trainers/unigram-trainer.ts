/**
 * Unigram language-model training as SentencePiece does it (unigram_model_trainer.cc):
 *
 *   1. seed: every character, then the most frequent substrings (internal nodes of the suffix tree
 *      of the whole corpus, ranked by occurrences x length) up to seedSentencepieceSize, scored
 *      log(freq / total);
 *   2. sentences are split into words at '▁' and counted;
 *   3. EM: E step = expected piece counts by forward-backward over each word's lattice; M step =
 *      drop pieces with expected count < 0.5 and set score = digamma(count) - digamma(total)
 *      (the Bayesian / DP-ified EM, a sparse prior), numSubIterations times;
 *   4. prune: for each piece, the loss in corpus likelihood if it were removed and its occurrences
 *      re-segmented by its second-best segmentation; keep the highest-loss pieces, shrinking the
 *      vocabulary by shrinkingFactor per round down to 1.1 x the target; repeat 3-4;
 *   5. finalize: required characters first (missing ones get min score), then the best-scoring
 *      pieces up to the target size.
 *
 * Two quirks of SentencePiece 0.1.97 are reproduced on purpose (see prune() and TrainerModel):
 * the pruning loss's `alternatives.size()` and UNK counts credited to piece 0. Departure:
 * expectations and losses are float64 (SentencePiece: float32), so near-ties at the pruning and
 * M-step thresholds can fall differently (a few pieces in 2000 on the fixture corpus).
 */
import { ConfigError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import { Lattice, UNK_PENALTY, type LatticeVocab } from '../models/unigram-lattice.ts';
import { UnigramTrie } from '../models/unigram-trie.ts';
import { isValidPiece, type PieceRules, WS_CHAR } from '../sentencepiece/piece-validity.ts';
import { suffixArray, suffixTreeNodes } from '../sentencepiece/suffix-array.ts';

export interface UnigramTrainerOptions {
  /** number of pieces to produce (the model's vocab size minus its meta pieces) */
  pieceCount: number;
  /** vocab size used for the 1.1x stopping rule (SentencePiece's vocab_size) */
  vocabSize: number;
  rules: PieceRules;
  seedSentencepieceSize?: number;
  shrinkingFactor?: number;
  numSubIterations?: number;
  showProgress?: boolean;
  /** when not enough pieces can be found: throw (SentencePiece's hard_vocab_limit) or return fewer */
  hardVocabLimit?: boolean;
  /** called after each EM iteration */
  onIteration?: (info: { round: number; size: number; objective: number }) => void;
}

export type ScoredPiece = [piece: string, score: number];

/**
 * Trains on normalized sentences whose characters outside the alphabet are already U+2585;
 * `requiredChars` is the alphabet (code point, count), most frequent first. Returns pieces sorted
 * by score (best first), without meta pieces.
 */
export function trainUnigramPieces(
  sentences: readonly string[],
  requiredChars: readonly [number, number][],
  options: UnigramTrainerOptions,
): ScoredPiece[] {
  const seedSize = options.seedSentencepieceSize ?? 1_000_000;
  const shrinking = options.shrinkingFactor ?? 0.75;
  const subIterations = options.numSubIterations ?? 2;
  if (!(shrinking > 0 && shrinking < 1))
    throw new ConfigError('shrinking_factor', `must be in (0, 1), got ${shrinking}`);
  if (options.pieceCount <= 0)
    throw new ConfigError('vocab_size', `leaves no room for pieces after the meta pieces (${options.pieceCount})`);

  const seed = makeSeedPieces(sentences, seedSize, options.rules);
  const words = splitIntoWords(sentences, options.rules.treatWhitespaceAsSuffix);
  // every word's lattice under the seed vocabulary, found once; later vocabularies are subsets
  const cache = WordMatches.build(
    words,
    seed.map((p) => p[0]),
  );
  let vocab: Vocab = { pieces: seed, seed: Int32Array.from(seed, (_, i) => i) };
  const desired = Math.floor(options.vocabSize * 1.1);
  const progress = createProgress(
    Math.max(1, Math.ceil(Math.log(Math.max(2, seed.length / desired)) / -Math.log(shrinking)) + 1),
    {
      label: 'unigram EM',
      unit: 'round',
      force: options.showProgress ?? false,
    },
  );
  try {
    for (let round = 0; ; round++) {
      for (let iter = 0; iter < subIterations; iter++) {
        const { expected, objective } = eStep(vocab, words, cache);
        vocab = mStep(vocab, expected);
        options.onIteration?.({ round, size: vocab.pieces.length, objective });
      }
      progress.update(round + 1, { pieces: vocab.pieces.length });
      if (vocab.pieces.length <= desired) break;
      vocab = prune(vocab, words, cache, desired, shrinking);
      cache.compact(vocab.seed);
    }
  } finally {
    progress.stop();
  }
  const final = finalize(new TrainerModel(vocab.pieces), requiredChars, options.pieceCount);
  if (final.length < options.pieceCount && (options.hardVocabLimit ?? true)) {
    throw new ConfigError(
      'vocab_size',
      `the corpus supports only ${final.length} pieces besides the meta pieces, fewer than the ${options.pieceCount} asked; lower vocab_size or set hard_vocab_limit false`,
    );
  }
  return final;
}

/** The current pieces and, for each, its index in the seed vocabulary. */
interface Vocab {
  pieces: ScoredPiece[];
  seed: Int32Array;
}

/**
 * subtle: SentencePiece's TrainerModel never sets its unk id, which defaults to 0, so the
 * expected counts of UNK nodes (characters outside the coverage) go to piece 0 (the most
 * frequent character, usually '▁'); reproduced because it measurably shifts the result.
 */
const TRAINER_UNK_ID = 0;

/**
 * The seed-vocabulary matches of every word: per word its length in characters and the
 * (begin, length, seed index) of each piece found at each position, in SentencePiece's
 * PopulateNodes order (by begin, then length). A lattice for any later vocabulary is these
 * matches filtered, plus UNK where no single character remains.
 */
export class WordMatches {
  private constructor(
    readonly charLen: Int32Array,
    private start: Int32Array,
    private matches: Int32Array,
    /** size of the seed vocabulary the matches index */
    readonly seedCount: number,
  ) {}

  static build(words: Words, seedPieces: readonly string[]): WordMatches {
    const trie = UnigramTrie.from(seedPieces);
    const n = words.words.length;
    const charLen = new Int32Array(n);
    const start = new Int32Array(n + 1);
    let buf = new Int32Array(1 << 20);
    let k = 0;
    const u2c: number[] = [];
    for (let w = 0; w < n; w++) {
      start[w] = k / 3;
      const text = words.words[w]!;
      const n16 = text.length;
      // UTF-16 unit -> character index (-1 inside a surrogate pair)
      u2c.length = 0;
      let c = 0;
      for (let u = 0; u < n16; u++) {
        u2c.push(c);
        const x = text.charCodeAt(u);
        if (x >= 0xd800 && x <= 0xdbff && u + 1 < n16 && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
          u2c.push(-1);
          u++;
        }
        c++;
      }
      u2c.push(c);
      charLen[w] = c;
      for (let u0 = 0; u0 < n16; u0++) {
        const begin = u2c[u0]!;
        if (begin < 0) continue;
        let node = 0;
        for (let u = u0; u < n16; u++) {
          node = trie.step(node, text.charCodeAt(u));
          if (node < 0) break;
          const id = trie.value(node);
          const end = u2c[u + 1]!;
          if (id < 0 || end < 0) continue;
          if (k + 3 > buf.length) {
            const b = new Int32Array(buf.length * 2);
            b.set(buf);
            buf = b;
          }
          buf[k++] = begin;
          buf[k++] = end - begin;
          buf[k++] = id;
        }
      }
    }
    start[n] = k / 3;
    return new WordMatches(charLen, start, buf.slice(0, k), seedPieces.length);
  }

  /** Drops matches of seed pieces no longer in the vocabulary (`alive`: seed indices kept). */
  compact(alive: Int32Array): void {
    const keep = new Uint8Array(this.seedCount);
    for (const s of alive) keep[s] = 1;
    const m = this.matches;
    let k = 0;
    const n = this.charLen.length;
    let from = this.start[0]!;
    for (let w = 0; w < n; w++) {
      const to = this.start[w + 1]!;
      this.start[w] = k / 3;
      for (let i = from; i < to; i++) {
        if (keep[m[3 * i + 2]!] === 0) continue;
        m[k++] = m[3 * i]!;
        m[k++] = m[3 * i + 1]!;
        m[k++] = m[3 * i + 2]!;
      }
      from = to;
    }
    this.start[n] = k / 3;
    this.matches = m.slice(0, k);
  }

  /**
   * Fills `lattice` with word `w` under the vocabulary `idOfSeed` (seed index -> current id or
   * -1), scoring pieces by `scores` and UNK by `unkScore`.
   */
  fill(lattice: Lattice, w: number, idOfSeed: Int32Array, scores: Float64Array, unkScore: number): void {
    const n = this.charLen[w]!;
    lattice.reset(n);
    const m = this.matches;
    let i = this.start[w]!;
    const end = this.start[w + 1]!;
    for (let pos = 0; pos < n; pos++) {
      let single = false;
      for (; i < end && m[3 * i] === pos; i++) {
        const id = idOfSeed[m[3 * i + 2]!]!;
        if (id < 0) continue;
        const len = m[3 * i + 1]!;
        lattice.insert(pos, len, id, scores[id]!);
        if (len === 1) single = true;
      }
      if (!single) lattice.insert(pos, 1, TRAINER_UNK_ID, unkScore);
    }
  }
}

/** seed index -> current piece id (-1 when gone), the scores, and UNK's score. */
function vocabView(vocab: Vocab, seedCount: number): { idOfSeed: Int32Array; scores: Float64Array; unkScore: number } {
  const idOfSeed = new Int32Array(seedCount).fill(-1);
  vocab.seed.forEach((s, i) => (idOfSeed[s] = i));
  const scores = Float64Array.from(vocab.pieces, (p) => p[1]);
  let min = Infinity;
  for (const x of scores) if (x < min) min = x;
  return { idOfSeed, scores, unkScore: Math.fround(min - UNK_PENALTY) };
}

/** Pieces with scores and a trie, for lattices over piece strings (SentencePiece's TrainerModel). */
export class TrainerModel implements LatticeVocab {
  readonly trie: UnigramTrie;
  readonly scores: Float64Array;
  readonly types = null;
  readonly unkId = TRAINER_UNK_ID;
  readonly minScore: number;
  readonly maxScore = 0;

  constructor(readonly pieces: ScoredPiece[]) {
    this.scores = Float64Array.from(pieces, (p) => p[1]);
    let min = Infinity;
    for (const s of this.scores) if (s < min) min = s;
    this.minScore = min;
    this.trie = UnigramTrie.from(pieces.map((p) => p[0]));
  }
}

/** Characters first, then frequent substrings by occurrences x length, as log-probabilities. */
export function makeSeedPieces(sentences: readonly string[], seedSize: number, rules: PieceRules): ScoredPiece[] {
  // the corpus as one code point array, sentences separated by 0
  let total = 0;
  for (const s of sentences) total += s.length + 1;
  let cps = new Int32Array(total);
  let n = 0;
  const charFreq = new Map<number, number>();
  const seen = new Uint8Array(0x110000);
  for (const s of sentences) {
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if ((d & 0xfc00) === 0xdc00) {
          c = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          i++;
        }
      }
      cps[n++] = c;
      if (seen[c] === 0) seen[c] = 1;
    }
    cps[n++] = 0;
  }
  cps = cps.subarray(0, n);
  seen[0] = 1;
  // dense ids in code point order (0 stays the boundary) so the suffix order is SentencePiece's
  const idOf = new Int32Array(0x110000);
  const counts: number[] = [];
  const alphabet: number[] = [];
  for (let c = 0; c < 0x110000; c++) {
    if (seen[c] === 0) continue;
    idOf[c] = alphabet.length;
    alphabet.push(c);
    counts.push(0);
  }
  const text = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const id = idOf[cps[i]!]!;
    text[i] = id;
    counts[id]!++;
  }
  alphabet.forEach((c, id) => {
    if (c !== 0 && c !== 0x2585) charFreq.set(c, counts[id]!);
  });
  const sa = suffixArray(text, alphabet.length);
  const nodes = suffixTreeNodes(text, sa);
  // nextBoundary[i]: first sentence boundary at or after i
  const nextBoundary = new Int32Array(n + 1);
  nextBoundary[n] = n;
  for (let i = n - 1; i >= 0; i--) nextBoundary[i] = cps[i] === 0 ? i : nextBoundary[i + 1]!;

  // candidates packed as one float64 key each: ascending = score desc, node index asc
  // (scores <= n * maxPieceLength, so key magnitudes stay below 2^53 for any corpus that fits)
  const keys = new Float64Array(nodes.count);
  let nk = 0;
  let span = 1;
  while (span <= nodes.count) span *= 2;
  for (let i = 0; i < nodes.count; i++) {
    const len = nodes.depth[i]!;
    if (len <= 1 || len > rules.maxPieceLength) continue;
    const offset = sa[nodes.left[i]!]!;
    if (nextBoundary[offset]! < offset + len) continue;
    if (!isValidPiece(cps, rules, offset, offset + len)) continue;
    const score = (nodes.right[i]! - nodes.left[i]!) * len;
    keys[nk++] = -score * span + i;
  }
  const sorted = keys.subarray(0, nk).sort();

  const seed: ScoredPiece[] = [...charFreq.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([c, f]) => [String.fromCodePoint(c), f]);
  for (let k = 0; k < sorted.length && seed.length < seedSize; k++) {
    const key = sorted[k]!;
    const node = ((key % span) + span) % span;
    const score = -(key - node) / span;
    const offset = sa[nodes.left[node]!]!;
    seed.push([String.fromCodePoint(...cps.subarray(offset, offset + nodes.depth[node]!)), score]);
  }
  let sum = 0;
  for (const p of seed) sum += p[1];
  const logSum = Math.log(sum);
  for (const p of seed) p[1] = Math.log(p[1]) - logSum;
  return seed;
}

interface Words {
  words: string[];
  freqs: Float64Array;
  total: number;
}

/** Sentences split before each '▁', counted; most frequent first (SentencePiece's SplitSentencesByWhitespace). */
export function splitIntoWords(sentences: readonly string[], suffix: boolean): Words {
  const counts = new Map<string, number>();
  const ws = String.fromCharCode(WS_CHAR);
  for (const s of sentences) {
    let start = 0;
    for (let i = 1; i <= s.length; i++) {
      const boundary = i === s.length || (suffix ? s[i - 1] === ws : s[i] === ws);
      if (!boundary) continue;
      const w = s.slice(start, i);
      counts.set(w, (counts.get(w) ?? 0) + 1);
      start = i;
    }
  }
  const entries = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  let total = 0;
  for (const e of entries) total += e[1];
  return { words: entries.map((e) => e[0]), freqs: Float64Array.from(entries, (e) => e[1]), total };
}

function eStep(vocab: Vocab, words: Words, cache: WordMatches): { expected: Float64Array; objective: number } {
  const { idOfSeed, scores, unkScore } = vocabView(vocab, cache.seedCount);
  const expected = new Float64Array(vocab.pieces.length);
  const lattice = new Lattice();
  let objective = 0;
  for (let i = 0; i < words.words.length; i++) {
    cache.fill(lattice, i, idOfSeed, scores, unkScore);
    const z = lattice.marginals(words.freqs[i]!, expected);
    objective -= z / words.total;
  }
  return { expected, objective };
}

function mStep(vocab: Vocab, expected: Float64Array): Vocab {
  const pieces: ScoredPiece[] = [];
  const seed: number[] = [];
  let sum = 0;
  for (let i = 0; i < vocab.pieces.length; i++) {
    const f = expected[i]!;
    if (f < 0.5) continue;
    pieces.push([vocab.pieces[i]![0], f]);
    seed.push(vocab.seed[i]!);
    sum += f;
  }
  const logSum = digamma(sum);
  for (const p of pieces) p[1] = digamma(p[1]) - logSum;
  return { pieces, seed: Int32Array.from(seed) };
}

/** SentencePiece's asymptotic digamma. */
export function digamma(x: number): number {
  let result = 0;
  for (; x < 7; ++x) result -= 1 / x;
  x -= 0.5;
  const xx = 1 / x;
  const xx2 = xx * xx;
  const xx4 = xx2 * xx2;
  result += Math.log(x) + (1 / 24) * xx2 - (7 / 960) * xx4 + (31 / 8064) * xx4 * xx2 - (127 / 30720) * xx4 * xx4;
  return result;
}

function prune(vocab: Vocab, words: Words, cache: WordMatches, desired: number, shrinking: number): Vocab {
  const model = new TrainerModel(vocab.pieces);
  const pieces = vocab.pieces;
  const n = pieces.length;
  const lattice = new Lattice();
  // how each piece would be segmented without itself: its second-best segmentation
  const alwaysKeep = new Uint8Array(n).fill(1);
  const alternatives: (Int32Array | null)[] = new Array<Int32Array | null>(n).fill(null);
  for (let i = 0; i < n; i++) {
    lattice.setSentence(pieces[i]![0]);
    lattice.populate(model);
    const best2 = twoBest(lattice);
    if (best2 === null) continue; // no second path: keep
    if (best2.first.length >= 2) alwaysKeep[i] = 0;
    else if (best2.first.length === 1) alternatives[i] = best2.second;
  }
  const { idOfSeed, scores, unkScore } = vocabView(vocab, cache.seedCount);
  // Viterbi counts over the corpus, and which words use each piece
  const freq = new Float64Array(n);
  const inverted: number[][] = Array.from({ length: n }, () => []);
  let vsum = 0;
  for (let w = 0; w < words.words.length; w++) {
    cache.fill(lattice, w, idOfSeed, scores, unkScore);
    const f = words.freqs[w]!;
    vsum += f;
    for (const node of lattice.viterbi().nodes) {
      const id = lattice.nodeId[node]!;
      if (id < 0) continue;
      freq[id]! += f;
      inverted[id]!.push(w);
    }
  }
  let sum = 0;
  for (const f of freq) sum += f;
  const logSum = Math.log(sum);
  const kept: number[] = [];
  const candidates: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    if (freq[i] === 0 || alwaysKeep[i] === 0) continue;
    const alt = alternatives[i] ?? null;
    if (alt === null || alt.length === 0) {
      kept.push(i);
      continue;
    }
    let F = 0;
    for (const w of inverted[i]!) F += words.freqs[w]!;
    F /= vsum;
    const logProbSp = Math.log(freq[i]!) - logSum;
    // removing piece i moves its count onto its alternatives: new total = sum + freq[i] * (k - 1)
    // for k alternatives. subtle: SentencePiece 0.1.97 multiplies by (vocabulary size - 1)
    // (`alternatives.size()` instead of `alternatives[i].size()`); reproduced, since the pruning
    // and so the vocabulary follow from it (fixing it gives ~4% worse compression here, as the
    // loss then stops favouring pieces whose removal would split many words).
    const logSumAlt = Math.log(sum + freq[i]! * (n - 1));
    let logProbAlt = 0;
    for (const a of alt) logProbAlt += Math.log(freq[a]! + freq[i]!) - logSumAlt;
    candidates.push([i, F * (logProbSp - logProbAlt)]);
  }
  const prunedSize = Math.max(desired, Math.floor(shrinking * n));
  candidates.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (const [i] of candidates) {
    if (kept.length >= prunedSize) break;
    kept.push(i);
  }
  return { pieces: kept.map((i) => pieces[i]!), seed: Int32Array.from(kept, (i) => vocab.seed[i]!) };
}

/** Best and second-best paths of a lattice (piece ids, A* n-best); null when there is no second path. */
function twoBest(lattice: Lattice): { first: Int32Array; second: Int32Array } | null {
  const paths = lattice.nbest(2);
  if (paths.length < 2) return null;
  const ids = (nodes: number[]): Int32Array => Int32Array.from(nodes, (node) => lattice.nodeId[node]!);
  return { first: ids(paths[0]!.nodes), second: ids(paths[1]!.nodes) };
}

function finalize(model: TrainerModel, requiredChars: readonly [number, number][], size: number): ScoredPiece[] {
  const byPiece = new Map<string, number>();
  for (const [p, s] of model.pieces) byPiece.set(p, s);
  const final = new Map<string, number>();
  let penalty = 0;
  for (const [c] of requiredChars) {
    const s = String.fromCodePoint(c);
    const score = byPiece.get(s);
    if (score !== undefined) final.set(s, score);
    else {
      // missing characters get the lowest scores, rarer ones lower still
      final.set(s, model.minScore + penalty);
      penalty += 0.0001;
    }
  }
  for (const [p, s] of sortByScore(model.pieces)) {
    if (final.has(p)) continue;
    if (final.size >= size) break;
    final.set(p, s);
  }
  return sortByScore([...final.entries()]);
}

/** Score descending, then piece ascending (byte order), SentencePiece's Sorted(). */
export function sortByScore(pieces: readonly ScoredPiece[]): ScoredPiece[] {
  return [...pieces].sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
}

/** Orders strings by code points (= UTF-8 byte order), unlike `<` which compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (0xd800-0xdfff) encode code points above every BMP unit
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
