/**
 * C4 line and document rules (Raffel et al. 2020, §2.2, plus the TFDS code's extras)
 * as datatrove's C4QualityFilter applies them, in its order. Lines are kept or
 * dropped (counted per rule); "lorem ipsum" and "{" drop the whole document. The
 * document's text becomes the kept lines joined by "\n".
 */
import type { Stage } from './stage.ts';
import { pySplitlines } from '../text/lines.ts';
import { splitIntoSentences } from '../text/sentences.ts';

export interface C4QualityOptions {
  split_paragraph: boolean;
  remove_citations: boolean;
  filter_no_terminal_punct: boolean;
  /** -1 disables */
  min_num_sentences: number;
  min_words_per_line: number;
  max_word_length: number;
  filter_lorem_ipsum: boolean;
  filter_javascript: boolean;
  filter_curly_bracket: boolean;
  filter_policy: boolean;
}

export const C4_QUALITY_DEFAULTS: C4QualityOptions = {
  split_paragraph: true,
  remove_citations: true,
  filter_no_terminal_punct: true,
  min_num_sentences: 5,
  min_words_per_line: 3,
  max_word_length: 1000,
  filter_lorem_ipsum: true,
  filter_javascript: true,
  filter_curly_bracket: true,
  filter_policy: true,
};

const CITATION_RE = /\[\d*\]|\[edit\]|\[citation needed\]/g;
const END_PUNCTUATION = ['.', '?', '!', '"', "'"];
const POLICY_SUBSTRINGS = [
  'terms of use',
  'privacy policy',
  'cookie policy',
  'uses cookies',
  'use of cookies',
  'use cookies',
];
const WS_SPLIT = /\s+/;

function splitWords(line: string): string[] {
  return line.length === 0 ? [] : line.split(WS_SPLIT).filter((w) => w.length > 0);
}

export function c4Quality(opts: Partial<C4QualityOptions> = {}): Stage {
  const o: C4QualityOptions = { ...C4_QUALITY_DEFAULTS, ...opts };
  return {
    name: 'c4_quality',
    apply(doc, count) {
      const lines = o.split_paragraph ? pySplitlines(doc.text) : splitIntoSentences(doc.text);
      let sentences = 0;
      const kept: string[] = [];
      for (const raw of lines) {
        let line = raw.trim();
        const words = splitWords(line);
        count('line-total');
        if (o.max_word_length !== -1 && words.some((w) => w.length > o.max_word_length)) {
          count('line-filter-too_long_word');
          continue;
        }
        if (o.remove_citations) line = line.replace(CITATION_RE, '');
        if (o.filter_no_terminal_punct && (!END_PUNCTUATION.some((p) => line.endsWith(p)) || line.endsWith('...'))) {
          count('line-filter-no_terminal_punc');
          continue;
        }
        if (words.length < o.min_words_per_line) {
          count('line-filter-too_few_words');
          continue;
        }
        const lower = line.toLowerCase();
        if (o.filter_lorem_ipsum && lower.includes('lorem ipsum')) return 'lorem_ipsum';
        if (o.filter_javascript && lower.includes('javascript')) {
          count('line-filter-javascript');
          continue;
        }
        if (o.filter_curly_bracket && line.includes('{')) return 'curly_bracket';
        if (o.filter_policy && POLICY_SUBSTRINGS.some((p) => lower.includes(p))) {
          count('line-filter-policy');
          continue;
        }
        if (o.min_num_sentences !== -1) sentences += o.split_paragraph ? splitIntoSentences(line).length : 1;
        kept.push(line);
        count('line-kept');
      }
      if (sentences < o.min_num_sentences) return 'too_few_sentences';
      doc.text = kept.join(o.split_paragraph ? '\n' : ' ').trim();
      return undefined;
    },
  };
}
