/**
 * FineWeb's extra rules (datatrove FineWebQualityFilter) with the semantics
 * shared/reference/data-prep.md gives for datatrove main: lines are text.split("\n")
 * with blank lines removed; reject if the fraction of lines ending in terminal
 * punctuation is < 0.12, short lines (<= 30 chars) > 0.67, chars in duplicated lines
 * over chars without "\n" > 0.01, newlines per word > 0.3.
 */
import type { Stage } from './stage.ts';
import { countSubstring, findDuplicates } from '../text/lines.ts';
import { wordsOf } from '../text/words.ts';

export interface FineWebQualityOptions {
  line_punct_thr: number;
  line_punct_exclude_zero: boolean;
  short_line_thr: number;
  short_line_length: number;
  char_duplicates_ratio: number;
  new_line_ratio: number;
  /** Characters that count as terminal punctuation; null = Unicode Sentence_Terminal. */
  stop_chars: string[] | null;
}

export const FINEWEB_QUALITY_DEFAULTS: FineWebQualityOptions = {
  line_punct_thr: 0.12,
  line_punct_exclude_zero: false,
  short_line_thr: 0.67,
  short_line_length: 30,
  char_duplicates_ratio: 0.01,
  new_line_ratio: 0.3,
  stop_chars: null,
};

// datatrove's TERMINAL_PUNCTUATION is the Unicode Sentence_Terminal set
const TERMINAL_RE = /\p{Sentence_Terminal}$/u;

export function finewebQuality(opts: Partial<FineWebQualityOptions> = {}): Stage {
  const o: FineWebQualityOptions = { ...FINEWEB_QUALITY_DEFAULTS, ...opts };
  const stopChars = o.stop_chars;
  const endsTerminal =
    stopChars === null ? (l: string) => TERMINAL_RE.test(l) : (l: string) => stopChars.some((c) => l.endsWith(c));
  return {
    name: 'fineweb_quality',
    apply(doc) {
      const text = doc.text;
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      if (lines.length === 0) return 'empty';

      let punct = 0;
      for (const l of lines) if (endsTerminal(l)) punct++;
      const punctRatio = punct / lines.length;
      if (punctRatio < o.line_punct_thr && !(punctRatio === 0 && o.line_punct_exclude_zero)) return 'line_punct_ratio';

      let short = 0;
      for (const l of lines) if (l.length <= o.short_line_length) short++;
      if (short / lines.length > o.short_line_thr) return 'short_line_ratio';

      const nonNewline = text.length - countSubstring(text, '\n');
      if (findDuplicates(lines)[1] / nonNewline > o.char_duplicates_ratio) return 'char_dup_ratio';

      const words = wordsOf(text);
      if (countSubstring(text, '\n') / Math.max(words.length, 1) > o.new_line_ratio) return 'list_ratio';
      return undefined;
    },
  };
}
