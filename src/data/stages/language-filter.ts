/**
 * Language identification with franc-min (a trigram model of 82 languages shipped in the
 * npm package, so it works offline; datatrove uses fastText's lid.176, which cannot be
 * fetched here). Adds metadata.language (ISO 639-3) and metadata.language_margin (1 minus
 * the relative score of the runner-up: franc's scores are distances normalized to the
 * best, not probabilities, so datatrove's 0.65 probability threshold has no equivalent).
 * Rejects documents whose language is not listed, or whose margin is below min_margin.
 */
import { francAll } from 'franc-min';
import type { Stage } from './stage.ts';

export interface LanguageFilterOptions {
  /** ISO 639-3 codes to keep ("eng", "fra", ...); empty = annotate only */
  languages: string[];
  min_margin: number;
  /** only the first max_chars characters are examined (franc itself stops at 2048) */
  max_chars: number;
}

export function identifyLanguage(text: string, maxChars = 2048): { language: string; margin: number } {
  const ranked = francAll(text.slice(0, maxChars));
  const best = ranked[0];
  if (best === undefined || best[0] === 'und') return { language: 'und', margin: 0 };
  const second = ranked[1]?.[1] ?? 0;
  return { language: best[0], margin: 1 - second };
}

export function languageFilter(opts: Partial<LanguageFilterOptions> = {}): Stage {
  const keep = new Set(opts.languages ?? []);
  const minMargin = opts.min_margin ?? 0;
  const maxChars = opts.max_chars ?? 2048;
  return {
    name: 'language_filter',
    apply(doc, count) {
      const r = identifyLanguage(doc.text, maxChars);
      doc.metadata['language'] = r.language;
      doc.metadata['language_margin'] = Math.round(r.margin * 1e4) / 1e4;
      count(`language_${r.language}`);
      if (keep.size > 0 && !keep.has(r.language))
        return r.language === 'und' ? 'language_undetermined' : `language_${r.language}`;
      if (r.margin < minMargin) return 'language_margin_below_threshold';
      return undefined;
    },
  };
}
