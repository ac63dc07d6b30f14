/**
 * Sentence splitting for C4's min_num_sentences. datatrove uses NLTK's punkt model;
 * this is a rule-based approximation: a sentence ends at a run of terminal punctuation
 * (optionally followed by closing quotes/brackets) followed by whitespace, unless the
 * word before the period is a known abbreviation or a single-letter initial. The next
 * word's case is not consulted, so lower-cased text (forums, chat, ASR transcripts)
 * splits like cased text. CJK full stops (。！？｡) end a sentence with no space after them.
 */

const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sr',
  'jr',
  'st',
  'vs',
  'etc',
  'e.g',
  'i.e',
  'inc',
  'ltd',
  'co',
  'corp',
  'no',
  'fig',
  'figs',
  'u.s',
  'u.k',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'gen',
  'gov',
  'sen',
  'rep',
  'rev',
  'mt',
  'approx',
  'dept',
  'est',
  'vol',
  'pp',
  'al',
  'cf',
  'a.m',
  'p.m',
]);

const LETTER_OR_DOT = /[\p{L}.]/u;
// a Latin terminal run, closers, then whitespace or the end; or a CJK terminal run and its closers
const BOUNDARY_RE = /([.!?…]+)(["'”’)\]]*)(\s+|$)|([。！？｡]+)([」』）】〉》”’"']*)(\s*)/gu;

/** Splits text into sentences (trimmed, non-empty). */
export function splitIntoSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  BOUNDARY_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = BOUNDARY_RE.exec(text)) !== null) {
    const cjk = m[1] === undefined;
    const punct = (cjk ? m[4] : m[1]) as string;
    const end = m.index + punct.length + ((cjk ? m[5] : m[2]) as string).length;
    if (!cjk && m.index + m[0].length < text.length && punct === '.') {
      // an abbreviation or initial before the period does not end a sentence
      // the run of letters and periods just before the period
      let k = m.index;
      while (k > start && LETTER_OR_DOT.test(text.charAt(k - 1))) k--;
      const lastWord = text.slice(k, m.index).toLowerCase();
      if (ABBREVIATIONS.has(lastWord) || /^\p{L}$/u.test(lastWord)) continue;
    }
    const s = text.slice(start, end).trim();
    if (s.length > 0) out.push(s);
    start = m.index + m[0].length;
    if (m[0].length === 0) BOUNDARY_RE.lastIndex++;
  }
  const tail = text.slice(start).trim();
  if (tail.length > 0) out.push(tail);
  return out;
}
