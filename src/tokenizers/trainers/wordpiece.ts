/**
 * WordPiece training with the likelihood score of the notes: merge the pair (a, b) with the
 * highest score = freq(ab) / (freq(a) * freq(b)) (how much more often a and b occur together
 * than independence predicts), not the most frequent pair as BPE does. Non-initial pieces
 * carry '##'. Produces a BERT-style vocabulary ([PAD] [UNK] [CLS] [SEP] [MASK], characters,
 * merged pieces) and the BERT pipeline around it.
 *
 * Incremental like the BPE trainer: pair counts once, an index pair -> words, and a heap with
 * versioned entries. A merge changes freq(a), freq(b) and so the score of every pair that
 * contains a or b; those pairs get fresh heap entries (index token -> pairs).
 */
import { ArgumentError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import { bertTokenizerFromVocab } from '../formats/bert-vocab.ts';
import { BertNormalizer } from '../normalizers/bert.ts';
import { BertPreTokenizer } from '../pre-tokenizers/bert.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { Heap } from './heap.ts';
import { forEachChunk } from './text-source.ts';
import { WordCounter } from './word-counter.ts';
import { tokenTable } from './token-table.ts';

export interface WordPieceTrainerOptions {
  vocabSize: number;
  /** Minimum pair frequency for a merge (default 2). */
  minFrequency?: number;
  specialTokens?: string[];
  /** Lowercase + strip accents (uncased BERT); default true. */
  lowercase?: boolean;
  limitAlphabet?: number;
  continuingSubwordPrefix?: string;
  showProgress?: boolean;
}

const SHIFT = 2097152;
const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

interface Entry {
  key: number;
  score: number;
  count: number;
  version: number;
}

/** The training loop on counted words; returns the vocabulary in id order. */
export function trainWordPieceCore(
  wordCounts: ReadonlyMap<string, number>,
  o: Required<Omit<WordPieceTrainerOptions, 'limitAlphabet' | 'lowercase'>> & { limitAlphabet: number | null },
): string[] {
  const prefix = o.continuingSubwordPrefix;
  const { id2w, w2id, add } = tokenTable();
  for (const s of o.specialTokens) add(s);

  const charFreq = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charFreq.set(ch, (charFreq.get(ch) ?? 0) + c);
  let alphabet = [...charFreq.entries()];
  if (o.limitAlphabet !== null && alphabet.length > o.limitAlphabet)
    alphabet = alphabet.sort((x, y) => y[1] - x[1]).slice(0, o.limitAlphabet);
  const allowed = new Set(alphabet.map(([ch]) => ch));
  // initial symbols: word-initial characters and their ## forms, sorted for determinism
  const initial = new Set<string>();
  for (const w of wordCounts.keys()) {
    [...w].forEach((ch, i) => {
      if (allowed.has(ch)) initial.add(i === 0 ? ch : prefix + ch);
    });
  }
  for (const t of [...initial].sort()) add(t);

  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const chars = [...w];
    if (!chars.every((ch) => allowed.has(ch))) continue; // such words become [UNK] anyway
    words.push(chars.map((ch, i) => w2id.get(i === 0 ? ch : prefix + ch)!));
    counts.push(c);
  }

  const freq: number[] = new Array<number>(id2w.length).fill(0);
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const pairsOf = new Map<number, Set<number>>();
  const version = new Map<number, number>();
  const link = (key: number, wi: number): void => {
    let s = where.get(key);
    if (s === undefined) {
      where.set(key, (s = new Set()));
      const a = Math.floor(key / SHIFT);
      const b = key - a * SHIFT;
      for (const t of [a, b]) {
        let p = pairsOf.get(t);
        if (p === undefined) pairsOf.set(t, (p = new Set()));
        p.add(key);
      }
    }
    s.add(wi);
  };
  words.forEach((w, wi) => {
    const c = counts[wi]!;
    for (let i = 0; i < w.length; i++) {
      freq[w[i]!] = (freq[w[i]!] ?? 0) + c;
      if (i + 1 < w.length) {
        const key = w[i]! * SHIFT + w[i + 1]!;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + c);
        link(key, wi);
      }
    }
  });

  const heap = new Heap<Entry>(
    (x, y) =>
      x.score > y.score || (x.score === y.score && (x.count > y.count || (x.count === y.count && x.key < y.key))),
  );
  const refresh = (key: number): void => {
    const v = (version.get(key) ?? 0) + 1;
    version.set(key, v);
    const c = pairCounts.get(key) ?? 0;
    if (c < o.minFrequency || c <= 0) return;
    const a = Math.floor(key / SHIFT);
    const b = key - a * SHIFT;
    heap.push({ key, score: c / (freq[a]! * freq[b]!), count: c, version: v });
  };
  for (const key of pairCounts.keys()) refresh(key);

  const bar = createProgress(Math.max(1, o.vocabSize - id2w.length), {
    unit: 'merge',
    label: 'wordpiece merges',
    force: o.showProgress,
  });
  const start = id2w.length;
  while (id2w.length < o.vocabSize) {
    const top = heap.pop();
    if (top === undefined) break;
    if (top.version !== version.get(top.key)) continue;
    const a = Math.floor(top.key / SHIFT);
    const b = top.key - a * SHIFT;
    const tb = id2w[b]!;
    const rep = add(id2w[a]! + (tb.startsWith(prefix) ? tb.slice(prefix.length) : tb));
    if (freq[rep] === undefined) freq[rep] = 0;
    const touched = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      const w = words[wi]!;
      const c = counts[wi]!;
      const change = (x: number, y: number, delta: number): void => {
        const key = x * SHIFT + y;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta * c);
        if (delta > 0) link(key, wi);
        touched.add(key);
      };
      for (let i = 0; i + 1 < w.length; i++) {
        if (w[i] !== a || w[i + 1] !== b) continue;
        if (i > 0) {
          change(w[i - 1]!, a, -1);
          change(w[i - 1]!, rep, 1);
        }
        if (i + 2 < w.length) {
          change(b, w[i + 2]!, -1);
          change(rep, w[i + 2]!, 1);
        }
        w.splice(i, 2, rep);
        freq[a] = freq[a]! - c;
        freq[b] = freq[b]! - c;
        freq[rep] = freq[rep]! + c;
      }
    }
    pairCounts.set(top.key, 0);
    touched.add(top.key);
    for (const t of [a, b, rep]) for (const key of pairsOf.get(t) ?? []) touched.add(key);
    for (const key of touched) refresh(key);
    bar.update(id2w.length - start);
  }
  bar.stop();
  return id2w;
}

/** Trains a WordPiece tokenizer (BERT-style) on text files. */
export async function trainWordPiece(files: readonly string[], options: WordPieceTrainerOptions): Promise<Tokenizer> {
  return trainWordPieceFromChunks(
    (emit) => forEachChunk(files, emit, { showProgress: options.showProgress ?? false, label: 'wordpiece: counting' }),
    options,
  );
}

export function trainWordPieceFromIterator(texts: Iterable<string>, options: WordPieceTrainerOptions): Tokenizer {
  return trainWordPieceFromChunks((emit) => {
    for (const t of texts) emit(t);
  }, options);
}

function trainWordPieceFromChunks(
  source: (emit: (t: string) => void) => void,
  options: WordPieceTrainerOptions,
): Tokenizer {
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= 0)
    throw new ArgumentError('trainWordPiece', `vocabSize must be a positive integer, got ${options.vocabSize}`);
  const lowercase = options.lowercase ?? true;
  const counter = new WordCounter(new BertNormalizer({ lowercase }), new BertPreTokenizer());
  source((t) => counter.add(t));
  const specials = options.specialTokens ?? DEFAULT_SPECIALS;
  for (const need of ['[UNK]', '[CLS]', '[SEP]'])
    if (!specials.includes(need))
      throw new ArgumentError('trainWordPiece', `specialTokens must include ${need} (BERT pipeline)`);
  const vocab = trainWordPieceCore(counter.result(), {
    vocabSize: options.vocabSize,
    minFrequency: options.minFrequency ?? 2,
    specialTokens: specials,
    limitAlphabet: options.limitAlphabet ?? null,
    continuingSubwordPrefix: options.continuingSubwordPrefix ?? '##',
    showProgress: options.showProgress ?? false,
  });
  return bertTokenizerFromVocab(vocab, { lowercase });
}
