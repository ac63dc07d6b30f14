/**
 * Word tokenization for the quality rules. datatrove uses a language-aware tokenizer
 * (NLTK/spaCy for English) that splits punctuation off words and contractions into
 * two tokens ("don't" -> "do", "n't"). This is a regex approximation of that: words
 * (letters/digits with inner apostrophes, hyphens and periods), "...", and every other
 * non-space character as a token of its own.
 */

const WORD_RE = /\.\.\.|[\p{L}\p{M}\p{N}_]+(?:['’.\-][\p{L}\p{M}\p{N}_]+)*|[^\s\p{L}\p{M}\p{N}_]/gu;
// english clitics split off the way the Treebank tokenizer does
const CLITIC_RE = /^(.+?)(n['’]t|['’](?:s|re|ve|ll|d|m))$/i;

/** Splits text into word and punctuation tokens (no whitespace tokens). */
export function splitIntoWords(text: string): string[] {
  const out: string[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(text)) !== null) {
    const w = m[0];
    if (w.length > 2 && (w.includes("'") || w.includes('’'))) {
      const c = CLITIC_RE.exec(w);
      if (c !== null && c[1] !== undefined && c[2] !== undefined) {
        out.push(c[1], c[2]);
        continue;
      }
    }
    out.push(w);
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
  for (const [a, b] of [[0, 9], [11, 13], [13, 32], [127, 160]] as const) for (let c = a; c < b; c++) s.add(c);
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
