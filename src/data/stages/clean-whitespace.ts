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
const ZERO_WIDTH_RE = /[\u200b\u200c\u200d\u2060\ufeff\u00ad]/g;
const USPACE_RE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;
const TRAILING_RE = /[ \t]+$/gm;
const LEADING_RE = /^[ \t]+$/gm;

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
      t = t.replace(TRAILING_RE, '').replace(LEADING_RE, '').replace(blankRe, blankRepl).trim();
      if (t !== before) {
        count('changed');
        doc.text = t;
      }
      if (t.length < minChars) return 'empty_document';
      return undefined;
    },
  };
}
