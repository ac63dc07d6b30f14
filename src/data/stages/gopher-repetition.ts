/**
 * Gopher repetition rules (Gopher Table A1) as datatrove's GopherRepetitionFilter
 * computes them. Checks run in order paragraphs, lines, top n-grams, duplicate
 * n-grams; the first failing one is the reason. Char fractions divide by len(text).
 */
import type { Stage } from './stage.ts';
import { findDuplicates } from '../text/lines.ts';
import { wordsOf } from '../text/words.ts';

export interface GopherRepetitionOptions {
  dup_line_frac: number | null;
  dup_para_frac: number | null;
  dup_line_char_frac: number | null;
  dup_para_char_frac: number | null;
  /** [n, max fraction] pairs */
  top_n_grams: [number, number][];
  dup_n_grams: [number, number][];
}

export const GOPHER_REPETITION_DEFAULTS: GopherRepetitionOptions = {
  dup_line_frac: 0.3,
  dup_para_frac: 0.3,
  dup_line_char_frac: 0.2,
  dup_para_char_frac: 0.2,
  top_n_grams: [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ],
  dup_n_grams: [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ],
};

const PARAGRAPH_RE = /\n{2,}/;
const LINE_RE = /\n+/;

// scratch buffers reused across documents (one pipeline thread uses one at a time)
let scratchA: Int32Array = new Int32Array(1024);
let scratchB: Int32Array = new Int32Array(1024);
let tableA: Int32Array = new Int32Array(4096);
let tableB: Int32Array = new Int32Array(4096);
let tableV: Int32Array = new Int32Array(4096);
let counts: Int32Array = new Int32Array(1024);
let firstAt: Int32Array = new Int32Array(1024);
let seen = new Uint8Array(1024);
function grow(a: Int32Array, n: number): Int32Array {
  return a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
}

/**
 * Word n-grams as integer ids, level by level: the id of an n-gram is looked up from
 * (id of its (n-1)-gram prefix, id of its last word), so no n-gram strings are built.
 * Ids are assigned in order of first occurrence (Counter insertion order), exact (no
 * hashing). `ids[i]` identifies the n-gram starting at word i.
 */
export class NGramIndex {
  readonly wordIds: Int32Array;
  readonly vocab: number;
  /** prefix sums of word lengths: chars of words [i, j) = len[j] - len[i] */
  readonly lenPrefix: Float64Array;
  private level = 1;
  private ids: Int32Array;
  private count = 0;

  constructor(readonly words: readonly string[]) {
    const dict = new Map<string, number>();
    this.wordIds = new Int32Array(words.length);
    this.lenPrefix = new Float64Array(words.length + 1);
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as string;
      let id = dict.get(w);
      if (id === undefined) {
        id = dict.size;
        dict.set(w, id);
      }
      this.wordIds[i] = id;
      this.lenPrefix[i + 1] = (this.lenPrefix[i] as number) + w.length;
    }
    this.vocab = dict.size;
    this.ids = this.wordIds;
    this.count = dict.size;
  }

  /** Ids of the n-grams (n >= current level), and how many distinct ones there are. */
  ngrams(n: number): { ids: Int32Array; distinct: number } {
    if (n < this.level) {
      // asked for a shorter n-gram than the last one: start over from words
      this.level = 1;
      this.ids = this.wordIds;
      this.count = this.vocab;
    }
    while (this.level < n) {
      const prev = this.ids;
      const m = prev.length - 1;
      // ping-pong between two scratch arrays (prev may be one of them)
      if (prev.buffer !== scratchA.buffer) scratchA = grow(scratchA, m);
      else scratchB = grow(scratchB, m);
      const next = (prev.buffer !== scratchA.buffer ? scratchA : scratchB).subarray(0, Math.max(0, m));
      // open addressing on (prefix id, last word id): exact keys, no Map or string allocation
      let cap = 16;
      while (cap < 2 * m) cap <<= 1;
      const mask = cap - 1;
      tableA = grow(tableA, cap);
      tableB = grow(tableB, cap);
      tableV = grow(tableV, cap);
      const keyA = tableA;
      const keyB = tableB;
      const val = tableV;
      keyA.fill(-1, 0, cap);
      let distinct = 0;
      const words = this.wordIds;
      const off = this.level;
      for (let i = 0; i < m; i++) {
        const a = prev[i] as number;
        const b = words[i + off] as number;
        let h = Math.imul(a ^ Math.imul(b, 0x9e3779b1), 0x85ebca6b);
        h ^= h >>> 15;
        let slot = h & mask;
        for (;;) {
          const ka = keyA[slot] as number;
          if (ka === -1) {
            keyA[slot] = a;
            keyB[slot] = b;
            val[slot] = distinct;
            next[i] = distinct++;
            break;
          }
          if (ka === a && keyB[slot] === b) {
            next[i] = val[slot] as number;
            break;
          }
          slot = (slot + 1) & mask;
        }
      }
      this.ids = next;
      this.count = distinct;
      this.level++;
    }
    return { ids: this.ids, distinct: this.count };
  }

  /** Characters of the n words starting at i. */
  chars(i: number, n: number): number {
    return (this.lenPrefix[i + n] as number) - (this.lenPrefix[i] as number);
  }
}

/**
 * Chars of the most frequent n-gram (words joined by " ") times its count; ties go
 * to the n-gram seen first (Python's Counter.most_common(1)).
 */
export function topNGramChars(words: readonly string[] | NGramIndex, n: number): number {
  const idx = words instanceof NGramIndex ? words : new NGramIndex(words);
  if (idx.words.length < n) return 0;
  const { ids, distinct } = idx.ngrams(n);
  counts = grow(counts, distinct);
  firstAt = grow(firstAt, distinct);
  counts.fill(0, 0, distinct);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (counts[id] === 0) firstAt[id] = i;
    counts[id] = (counts[id] as number) + 1;
  }
  // ids are in first-seen order, so strict > keeps the first-seen n-gram on ties
  let best = 0;
  for (let id = 1; id < distinct; id++) if ((counts[id] as number) > (counts[best] as number)) best = id;
  return (idx.chars(firstAt[best] as number, n) + n - 1) * (counts[best] as number);
}

/**
 * datatrove's find_all_duplicate: slide over the words; an n-gram seen before adds its
 * chars (words joined with "") and jumps n words, so overlapping repeats count once.
 * (datatrove compares the joined strings, so ["ab", "c"] equals ["a", "bc"] there; here
 * n-grams are compared as word sequences.)
 */
export function duplicateNGramChars(words: readonly string[] | NGramIndex, n: number): number {
  const idx = words instanceof NGramIndex ? words : new NGramIndex(words);
  if (idx.words.length < n) return 0;
  const { ids, distinct } = idx.ngrams(n);
  if (seen.length < distinct) seen = new Uint8Array(Math.max(distinct, seen.length * 2));
  seen.fill(0, 0, distinct);
  let repeated = 0;
  let i = 0;
  const end = idx.words.length - n + 1;
  while (i < end) {
    const id = ids[i] as number;
    if (seen[id] === 1) {
      repeated += idx.chars(i, n);
      i += n;
    } else {
      seen[id] = 1;
      i++;
    }
  }
  return repeated;
}

export function gopherRepetition(opts: Partial<GopherRepetitionOptions> = {}): Stage {
  const o: GopherRepetitionOptions = { ...GOPHER_REPETITION_DEFAULTS, ...opts };
  return {
    name: 'gopher_repetition',
    apply(doc) {
      const text = doc.text;
      const len = text.length;
      if (len === 0) return 'empty_document';

      const paragraphs = text.trim().split(PARAGRAPH_RE);
      const [pDup, pChars] = findDuplicates(paragraphs);
      if (o.dup_para_frac !== null && pDup / paragraphs.length > o.dup_para_frac) return 'dup_para_frac';
      if (o.dup_para_char_frac !== null && pChars / len > o.dup_para_char_frac) return 'dup_para_char_frac';

      const lines = text.split(LINE_RE);
      const [lDup, lChars] = findDuplicates(lines);
      if (o.dup_line_frac !== null && lDup / lines.length > o.dup_line_frac) return 'dup_line_frac';
      if (o.dup_line_char_frac !== null && lChars / len > o.dup_line_char_frac) return 'dup_line_char_frac';

      const words = wordsOf(text);
      const idx = new NGramIndex(words);
      for (const [n, frac] of o.top_n_grams) {
        if (words.length < n) continue;
        if (topNGramChars(idx, n) / len > frac) return `top_${n}_gram`;
      }
      for (const [n, frac] of o.dup_n_grams) {
        if (words.length < n) continue;
        if (duplicateNGramChars(idx, n) / len > frac) return `duplicated_${n}_n_grams`;
      }
      return undefined;
    },
  };
}
