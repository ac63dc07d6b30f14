/**
 * Whitespace and control-character cleanup: CRLF/CR -> LF, control characters other
 * than \n and \t removed, zero-width characters and BOMs removed, Unicode spaces ->
 * " ", runs of spaces/tabs collapsed, trailing spaces per line stripped, 3+ newlines
 * collapsed to a blank line, the text trimmed. A document left empty is rejected.
 */
import type { Stage } from './stage.ts';

export interface CleanWhitespaceOptions {
  collapse_spaces: boolean;
  max_blank_lines: number;
  /** Reject documents shorter than this many characters after cleanup. */
  min_chars: number;
}

const CONTROL_RE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;
const ZERO_WIDTH_RE = /[\u200b\u200c\u2060\ufeff\u00ad\u200d]/g;
const USPACE_RE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

/**
 * Strips spaces and tabs at the end of every line (so whitespace-only lines become empty);
 * lines end where the regex `m` flag ends them (\n, \r, U+2028, U+2029). The regex
 * /[ \t]+$/gm does the same but backtracks through a run of blanks at each of its positions
 * when the run is not at a line end: quadratic (16 KB of tabs: 0.7 s).
 */
export function trimLineEnds(t: string): string {
  const parts: string[] = [];
  let lineStart = 0;
  let blanksFrom = -1; // start of the run of blanks before position i, or -1
  for (let i = 0; i <= t.length; i++) {
    const c = i < t.length ? t.charCodeAt(i) : 10;
    if (c === 32 || c === 9) {
      if (blanksFrom === -1) blanksFrom = i;
      continue;
    }
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      parts.push(t.slice(lineStart, blanksFrom === -1 ? i : blanksFrom));
      if (i < t.length) parts.push(t[i] as string);
      lineStart = i + 1;
    }
    blanksFrom = -1;
  }
  return parts.join('');
}

export function cleanWhitespace(opts: Partial<CleanWhitespaceOptions> = {}): Stage {
  const collapse = opts.collapse_spaces ?? true;
  const maxBlank = opts.max_blank_lines ?? 1;
  const minChars = opts.min_chars ?? 1;
  const blankRe = new RegExp(`\\n{${maxBlank + 2},}`, 'g');
  const blankRepl = '\n'.repeat(maxBlank + 1);
  return {
    name: 'clean_whitespace',
    apply(doc, count) {
      const before = doc.text;
      let t = before.replace(/\r\n?/g, '\n');
      t = t.replace(CONTROL_RE, '').replace(ZERO_WIDTH_RE, '').replace(USPACE_RE, ' ');
      if (collapse) t = t.replace(/[ \t]{2,}/g, ' ');
      t = trimLineEnds(t).replace(blankRe, blankRepl).trim();
      if (t !== before) {
        count('changed');
        doc.text = t;
      }
      if (t.length < minChars) return 'empty_document';
      return undefined;
    },
  };
}
