/**
 * datatrove's `simplify_text` (utils/text.py), used before hashing for dedup so that
 * trivial differences do not hide a duplicate: lowercase, collapse whitespace, drop
 * PUNCTUATION_SET characters, strip diacritics (NFD minus Mn marks), digits -> "0".
 */
import { PUNCTUATION_SET } from './words.ts';

const WS_RE = /\s+/g;
// PUNCTUATION_SET as a BMP lookup table (every member is in the BMP)
const PUNCT = new Uint8Array(65536);
for (const c of PUNCTUATION_SET) PUNCT[c] = 1;
const MN_RE = /\p{Mn}/gu;
const DIGITS_RE = /\d+/g;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

export function simplifyText(text: string): string {
  let t = text.toLowerCase().trim().replace(WS_RE, ' ');
  let out = '';
  let from = 0;
  for (let i = 0; i < t.length; i++) {
    if (PUNCT[t.charCodeAt(i)] === 1) {
      if (i > from) out += t.slice(from, i);
      from = i + 1;
    }
  }
  t = from === 0 ? t : out + t.slice(from);
  if (!ASCII_ONLY.test(t)) t = t.normalize('NFD').replace(MN_RE, '');
  return t.replace(DIGITS_RE, '0').trim();
}
