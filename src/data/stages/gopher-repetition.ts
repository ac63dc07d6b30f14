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
  top_n_grams: [[2, 0.2], [3, 0.18], [4, 0.16]],
  dup_n_grams: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]],
};

const PARAGRAPH_RE = /\n{2,}/;
const LINE_RE = /\n+/;

/**
 * Chars of the most frequent n-gram (words joined by " ") times its count; ties go
 * to the n-gram seen first (Python's Counter.most_common(1)).
 */
export function topNGramChars(words: readonly string[], n: number): number {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const g = n === 2 ? `${words[i]} ${words[i + 1]}` : words.slice(i, i + n).join(' ');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  // Map iterates in insertion order, so strict > keeps the first-seen n-gram on ties
  let best = '';
  let bestCount = 0;
  for (const [g, c] of counts) {
    if (c > bestCount) {
      bestCount = c;
      best = g;
    }
  }
  return best.length * bestCount;
}

/**
 * datatrove's find_all_duplicate: slide over the words; an n-gram (joined with "")
 * seen before adds its chars and jumps n words, so overlapping repeats count once.
 */
export function duplicateNGramChars(words: readonly string[], n: number): number {
  const seen = new Set<string>();
  let repeated = 0;
  let i = 0;
  while (i < words.length - n + 1) {
    const g = words.slice(i, i + n).join('');
    if (seen.has(g)) {
      repeated += g.length;
      i += n;
    } else {
      seen.add(g);
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
      for (const [n, frac] of o.top_n_grams) {
        if (words.length < n) continue;
        if (topNGramChars(words, n) / len > frac) return `top_${n}_gram`;
      }
      for (const [n, frac] of o.dup_n_grams) {
        if (words.length < n) continue;
        if (duplicateNGramChars(words, n) / len > frac) return `duplicated_${n}_n_grams`;
      }
      return undefined;
    },
  };
}
