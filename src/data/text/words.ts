/**
 * Word tokenization for the quality rules. datatrove uses a language-aware tokenizer
 * (NLTK/spaCy for English) that splits punctuation off words and contractions into
 * two tokens ("don't" -> "do", "n't"). This is a regex approximation of that: words
 * (letters/digits with inner apostrophes, hyphens and periods), "...", and every other
 * non-space character as a token of its own.
 */

import { astralClass, charClasses, SPACE, SURROGATE, WORD } from './char-class.ts';

// english clitics split off the way the Treebank tokenizer does
const CLITIC_RE = /^(.+?)(n['’]t|['’](?:s|re|ve|ll|d|m))$/i;

/**
 * Splits text into word and punctuation tokens (no whitespace tokens). A word is a run
 * of letters/marks/digits/"_", joined across a single inner ' ’ . or -; "..." is one
 * token; any other non-space character is a token of its own. Example:
 * "Don't stop... It's 3.14, ok?" -> Do n't stop ... It 's 3.14 , ok ?
 */
export function splitIntoWords(text: string): string[] {
  const cls = charClasses();
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  const classAt = (k: number): number => {
    const c = cls[text.charCodeAt(k)] as number;
    return c === SURROGATE ? astralClass(text.codePointAt(k) as number) : c;
  };
  const width = (k: number): number => (cls[text.charCodeAt(k)] === SURROGATE && k + 1 < n ? 2 : 1);
  while (i < n) {
    const c = classAt(i);
    if (c === SPACE) {
      i++;
      continue;
    }
    if (c === WORD) {
      const start = i;
      let hasApos = false;
      i += width(i);
      for (;;) {
        while (i < n && classAt(i) === WORD) i += width(i);
        if (i + 1 < n) {
          const j = text.charCodeAt(i);
          // inner joiners: ' ’ . -
          if ((j === 39 || j === 0x2019 || j === 46 || j === 45) && classAt(i + 1) === WORD) {
            if (j !== 46 && j !== 45) hasApos = true;
            i += 1 + width(i + 1);
            continue;
          }
        }
        break;
      }
      const w = text.slice(start, i);
      if (hasApos && w.length > 2) {
        const m = CLITIC_RE.exec(w);
        if (m !== null && m[1] !== undefined && m[2] !== undefined) {
          out.push(m[1], m[2]);
          continue;
        }
      }
      out.push(w);
      continue;
    }
    // OTHER: "..." is one token, anything else one character (one code point)
    if (text.charCodeAt(i) === 46 && text.charCodeAt(i + 1) === 46 && text.charCodeAt(i + 2) === 46) {
      out.push('...');
      i += 3;
      continue;
    }
    const wdt = width(i);
    out.push(text.slice(i, i + wdt));
    i += wdt;
  }
  return out;
}

/**
 * datatrove's PUNCTUATION_SET (utils/text.py): ASCII and CJK punctuation plus the
 * C0/C1 control characters except \t, \n and \r's neighbours as datatrove lists them.
 */
const PUNCTUATION_CHARS = '!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„\';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_."}►»';
export const PUNCTUATION_SET: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  for (const ch of PUNCTUATION_CHARS) s.add(ch.codePointAt(0) as number);
  for (const [a, b] of [
    [0, 9],
    [11, 13],
    [13, 32],
    [127, 160],
  ] as const)
    for (let c = a; c < b; c++) s.add(c);
  return s;
})();

/** A word with at least one character outside PUNCTUATION_SET ("non-symbol word"). */
export function isNonSymbolWord(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if (!PUNCTUATION_SET.has(word.charCodeAt(i))) return true;
  }
  return false;
}

const ALPHA_RE = /\p{L}/u;
/** Python's `any(c.isalpha() for c in w)`: at least one letter (categories L*). */
export function hasAlpha(word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) return true;
    if (c < 128) continue;
    return ALPHA_RE.test(word.slice(i));
  }
  return false;
}

/** Words of a document, memoized on the text so several rules share one tokenization. */
const cache: { text: string | null; words: string[] } = { text: null, words: [] };
export function wordsOf(text: string): string[] {
  if (cache.text !== text) {
    cache.words = splitIntoWords(text);
    cache.text = text;
  }
  return cache.words;
}
