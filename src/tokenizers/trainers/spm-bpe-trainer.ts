/**
 * SentencePiece BPE training (bpe_model_trainer.cc): words (sentences split before '▁') start as
 * characters; repeatedly the most frequent adjacent pair whose concatenation is a valid piece is
 * merged everywhere, the new piece getting score -(its rank). Ties: shorter piece, then the
 * smaller string (byte order). Characters outside the coverage never merge. At the end the
 * alphabet is appended, most frequent first, so every character has a piece.
 *
 * Pair counts are kept exactly with an incremental index (pair -> words containing it) and a lazy
 * max-heap, where SentencePiece rescans an "active" top-5% subset refreshed every 100 merges;
 * the merge order can therefore differ where that subset missed a pair that had become the most
 * frequent.
 */
import { ConfigError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import { isValidPiece, UNK_CHAR, type PieceRules } from '../sentencepiece/piece-validity.ts';
import { compareCodePoints, splitIntoWords, type ScoredPiece } from './unigram-trainer.ts';

export interface SpmBpeTrainerOptions {
  /** pieces to produce besides the meta pieces (merges + alphabet) */
  pieceCount: number;
  rules: PieceRules;
  showProgress?: boolean;
  hardVocabLimit?: boolean;
}

interface PairRec {
  left: number;
  right: number;
  count: number;
  /** words containing the pair (may hold words that no longer do) */
  words: Set<number>;
  piece: string;
  length: number;
  dead: boolean;
}

interface HeapItem {
  rec: PairRec;
  count: number;
}

/** Returns merged pieces (score -rank) followed by the alphabet, without meta pieces. */
export function trainSpmBpePieces(
  sentences: readonly string[],
  requiredChars: readonly [number, number][],
  options: SpmBpeTrainerOptions,
): ScoredPiece[] {
  const target = options.pieceCount - requiredChars.length;
  if (target < 0) {
    throw new ConfigError(
      'vocab_size',
      `is smaller than the alphabet (${requiredChars.length} characters) plus the meta pieces; raise it or lower character_coverage`,
    );
  }
  const { words: wordStrings, freqs } = splitIntoWords(sentences, options.rules.treatWhitespaceAsSuffix);

  // symbols: id -> string (code points); characters first
  const symbolText: string[] = [];
  const symbolCps: number[][] = [];
  const symbolUnk: boolean[] = [];
  const charSymbol = new Map<number, number>();
  const required = new Set(requiredChars.map((r) => r[0]));
  const charId = (c: number): number => {
    let id = charSymbol.get(c);
    if (id === undefined) {
      id = symbolText.length;
      symbolText.push(String.fromCodePoint(c));
      symbolCps.push([c]);
      symbolUnk.push(c === UNK_CHAR || !required.has(c));
      charSymbol.set(c, id);
    }
    return id;
  };
  const words: number[][] = wordStrings.map((w) => Array.from(w, (ch) => charId(ch.codePointAt(0)!)));

  const pairs = new Map<number, PairRec>();
  const KEY = 1 << 26;
  const heap: HeapItem[] = [];
  const better = (a: HeapItem, b: HeapItem): boolean =>
    a.count > b.count ||
    (a.count === b.count &&
      (a.rec.length < b.rec.length ||
        (a.rec.length === b.rec.length && compareCodePoints(a.rec.piece, b.rec.piece) < 0)));
  const push = (item: HeapItem): void => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!better(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): HeapItem | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && better(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && better(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  const invalid = new Set<number>();
  const pairOf = (a: number, b: number, create: boolean): PairRec | undefined => {
    const key = a * KEY + b;
    let rec = pairs.get(key);
    if (rec !== undefined || !create || invalid.has(key)) return rec;
    if (symbolUnk[a] || symbolUnk[b]) {
      invalid.add(key);
      return undefined;
    }
    const cps = symbolCps[a]!.concat(symbolCps[b]!);
    if (!isValidPiece(cps, options.rules)) {
      invalid.add(key);
      return undefined;
    }
    rec = {
      left: a,
      right: b,
      count: 0,
      words: new Set(),
      piece: symbolText[a]! + symbolText[b]!,
      length: cps.length,
      dead: false,
    };
    pairs.set(key, rec);
    return rec;
  };
  const touched = new Set<PairRec>();
  const addWordPairs = (w: number, sign: number): void => {
    const syms = words[w]!;
    const f = freqs[w]! * sign;
    for (let i = 1; i < syms.length; i++) {
      const rec = pairOf(syms[i - 1]!, syms[i]!, sign > 0);
      if (rec === undefined || rec.dead) continue;
      rec.count += f;
      if (sign > 0) rec.words.add(w);
      touched.add(rec);
    }
  };
  for (let w = 0; w < words.length; w++) addWordPairs(w, 1);
  for (const rec of touched) push({ rec, count: rec.count });
  touched.clear();

  const final: ScoredPiece[] = [];
  const produced = new Set<string>();
  const progress = createProgress(Math.max(1, target), {
    label: 'spm-bpe merges',
    unit: 'merge',
    force: options.showProgress ?? false,
  });
  try {
    while (final.length < target) {
      const item = pop();
      if (item === undefined) break;
      const rec = item.rec;
      if (rec.dead) continue;
      if (item.count !== rec.count) {
        // stale entry: counts only fall between pushes, so re-queue at the current count
        if (rec.count > 0) push({ rec, count: rec.count });
        continue;
      }
      if (rec.count <= 0) break;
      rec.dead = true;
      if (produced.has(rec.piece)) continue; // the same string from another split: SentencePiece skips it
      produced.add(rec.piece);
      final.push([rec.piece, -final.length]);
      progress.update(final.length);
      // the merged symbol
      const sym = symbolText.length;
      symbolText.push(rec.piece);
      symbolCps.push(symbolCps[rec.left]!.concat(symbolCps[rec.right]!));
      symbolUnk.push(false);
      for (const w of rec.words) {
        const syms = words[w]!;
        let has = false;
        for (let i = 1; i < syms.length; i++) {
          if (syms[i - 1] === rec.left && syms[i] === rec.right) {
            has = true;
            break;
          }
        }
        if (!has) continue;
        addWordPairs(w, -1);
        const merged: number[] = [];
        for (let i = 0; i < syms.length; i++) {
          if (i + 1 < syms.length && syms[i] === rec.left && syms[i + 1] === rec.right) {
            merged.push(sym);
            i++;
          } else merged.push(syms[i]!);
        }
        words[w] = merged;
        addWordPairs(w, 1);
      }
      for (const t of touched) if (!t.dead && t.count > 0) push({ rec: t, count: t.count });
      touched.clear();
    }
  } finally {
    progress.stop();
  }
  if (final.length < target && (options.hardVocabLimit ?? true)) {
    throw new ConfigError(
      'vocab_size',
      `the corpus supports only ${final.length + requiredChars.length} pieces besides the meta pieces, fewer than the ${options.pieceCount} asked; lower vocab_size or set hard_vocab_limit false`,
    );
  }
  for (const [c] of requiredChars) {
    const s = String.fromCodePoint(c);
    final.push([s, -final.length]);
  }
  return final;
}
