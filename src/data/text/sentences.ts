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
const TERMINAL = new Set(['.', '!', '?', '\u2026']);
const CLOSERS = new Set(['"', "'", '\u201d', '\u2019', ')', ']']);
const CJK_TERMINAL = new Set(['\u3002', '\uff01', '\uff1f', '\uff61']);
const CJK_CLOSERS = new Set(['\u300d', '\u300f', '\uff09', '\u3011', '\u3009', '\u300b', '\u201d', '\u2019', '"', "'"]);
const SPACE = /\s/u;

interface Boundary {
  /** where the terminal run starts */
  index: number;
  punct: string;
  cjk: boolean;
  /** end of the closers after the run */
  closeEnd: number;
  /** end of the whitespace after them (the next sentence starts here) */
  end: number;
}

/**
 * The next match of /([.!?…]+)(["'”’)\]]*)(\s+|$)|([。！？｡]+)([」』）】〉》”’"']*)(\s*)/u at or
 * after `from`, found in one pass. The regex itself backtracks through a whole run of periods
 * at each of its positions (quadratic: 16 KB of "." took 1.1 s); a Latin run that is not
 * followed by closers and whitespace fails at every position inside it too, so the scan skips
 * it at once. (A CJK run always matches: everything after it is optional.)
 */
function nextBoundary(text: string, from: number): Boundary | null {
  const n = text.length;
  let i = from;
  while (i < n) {
    const c = text[i] as string;
    const cjk = CJK_TERMINAL.has(c);
    if (!cjk && !TERMINAL.has(c)) {
      i++;
      continue;
    }
    const run = cjk ? CJK_TERMINAL : TERMINAL;
    let runEnd = i + 1;
    while (runEnd < n && run.has(text[runEnd] as string)) runEnd++;
    const closers = cjk ? CJK_CLOSERS : CLOSERS;
    let k = runEnd;
    while (k < n && closers.has(text[k] as string)) k++;
    let w = k;
    while (w < n && SPACE.test(text[w] as string)) w++;
    if (cjk || w > k || k === n) return { index: i, punct: text.slice(i, runEnd), cjk, closeEnd: k, end: w };
    i = runEnd;
  }
  return null;
}

/** Splits text into sentences (trimmed, non-empty). */
export function splitIntoSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let m = nextBoundary(text, 0); m !== null; m = nextBoundary(text, m.end)) {
    if (!m.cjk && m.end < text.length && m.punct === '.') {
      // an abbreviation or initial before the period does not end a sentence
      // the run of letters and periods just before the period
      let k = m.index;
      while (k > start && LETTER_OR_DOT.test(text.charAt(k - 1))) k--;
      const lastWord = text.slice(k, m.index).toLowerCase();
      if (ABBREVIATIONS.has(lastWord) || /^\p{L}$/u.test(lastWord)) continue;
    }
    const s = text.slice(start, m.closeEnd).trim();
    if (s.length > 0) out.push(s);
    start = m.end;
  }
  const tail = text.slice(start).trim();
  if (tail.length > 0) out.push(tail);
  return out;
}
