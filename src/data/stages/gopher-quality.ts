/**
 * Gopher quality rules (Rae et al. 2021, A.1.1) as datatrove's GopherQualityFilter
 * applies them; defaults and reason strings are datatrove's. n_words counts every
 * token; the word-count and mean-length rules use non-symbol words only.
 */
import type { Stage } from './stage.ts';
import { countSubstring, pySplitlines } from '../text/lines.ts';
import { hasAlpha, isNonSymbolWord, wordsOf } from '../text/words.ts';

export interface GopherQualityOptions {
  min_doc_words: number | null;
  max_doc_words: number | null;
  min_avg_word_length: number | null;
  max_avg_word_length: number | null;
  max_symbol_word_ratio: number | null;
  max_bullet_lines_ratio: number | null;
  max_ellipsis_lines_ratio: number | null;
  /** misnamed in datatrove: the minimum fraction of words with a letter */
  max_non_alpha_words_ratio: number | null;
  min_stop_words: number | null;
  stop_words: string[];
}

export const GOPHER_QUALITY_DEFAULTS: GopherQualityOptions = {
  min_doc_words: 50,
  max_doc_words: 100_000,
  min_avg_word_length: 3,
  max_avg_word_length: 10,
  max_symbol_word_ratio: 0.1,
  max_bullet_lines_ratio: 0.9,
  max_ellipsis_lines_ratio: 0.3,
  max_non_alpha_words_ratio: 0.8,
  min_stop_words: 2,
  stop_words: ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'],
};

export function gopherQuality(opts: Partial<GopherQualityOptions> = {}): Stage {
  const o: GopherQualityOptions = { ...GOPHER_QUALITY_DEFAULTS, ...opts };
  const stop = new Set(o.stop_words);
  return {
    name: 'gopher_quality',
    apply(doc) {
      const text = doc.text;
      const words = wordsOf(text);
      const nWords = words.length;
      let nNonSymbol = 0;
      let nonSymbolChars = 0;
      for (const w of words) {
        if (isNonSymbolWord(w)) {
          nNonSymbol++;
          nonSymbolChars += w.length;
        }
      }
      if (o.min_doc_words !== null && nNonSymbol < o.min_doc_words) return 'gopher_short_doc';
      if (o.max_doc_words !== null && nNonSymbol > o.max_doc_words) return 'gopher_long_doc';
      if (nNonSymbol === 0) return 'gopher_short_doc';

      const avg = nonSymbolChars / nNonSymbol;
      if (o.min_avg_word_length !== null && avg < o.min_avg_word_length) return 'gopher_below_avg_threshold';
      if (o.max_avg_word_length !== null && avg > o.max_avg_word_length) return 'gopher_above_avg_threshold';

      if (o.max_symbol_word_ratio !== null) {
        if (countSubstring(text, '#') / nWords > o.max_symbol_word_ratio) return 'gopher_too_many_hashes';
        const ellipses = countSubstring(text, '...') + countSubstring(text, '…');
        if (ellipses / nWords > o.max_symbol_word_ratio) return 'gopher_too_many_ellipsis';
      }

      const lines = pySplitlines(text);
      if (lines.length > 0) {
        if (o.max_bullet_lines_ratio !== null) {
          let bullets = 0;
          for (const l of lines) {
            const s = l.trimStart();
            if (s.startsWith('•') || s.startsWith('-')) bullets++;
          }
          if (bullets / lines.length > o.max_bullet_lines_ratio) return 'gopher_too_many_bullets';
        }
        if (o.max_ellipsis_lines_ratio !== null) {
          let ell = 0;
          for (const l of lines) {
            const s = l.trimEnd();
            if (s.endsWith('...') || s.endsWith('…')) ell++;
          }
          if (ell / lines.length > o.max_ellipsis_lines_ratio) return 'gopher_too_many_end_ellipsis';
        }
      }

      if (o.max_non_alpha_words_ratio !== null) {
        let alpha = 0;
        for (const w of words) if (hasAlpha(w)) alpha++;
        if (alpha / nWords < o.max_non_alpha_words_ratio) return 'gopher_below_alpha_threshold';
      }

      if (o.min_stop_words !== null) {
        const found = new Set<string>();
        for (const w of words) if (stop.has(w)) found.add(w);
        if (found.size < o.min_stop_words) return 'gopher_enough_stop_words';
      }
      return undefined;
    },
  };
}
