/** Splitting on characters that satisfy a predicate (each such character is one match). */
import type { NormalizedString } from '../normalized-string.ts';
import { applyBehavior, type SplitBehavior } from '../pre-tokenized-string.ts';

export type CharPredicate = (cp: number) => boolean;

/** Covering [start, end, isMatch] ranges: every matching code point is its own range. */
export function charRanges(text: string, pred: CharPredicate): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  let runStart = 0;
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    if (pred(cp)) {
      if (i > runStart) out.push([runStart, i, false]);
      out.push([i, i + w, true]);
      runStart = i + w;
    }
    i += w;
  }
  if (runStart < text.length) out.push([runStart, text.length, false]);
  return out;
}

export function splitByChars(ns: NormalizedString, pred: CharPredicate, behavior: SplitBehavior): NormalizedString[] {
  return applyBehavior(charRanges(ns.normalized, pred), behavior).map(([a, b]) =>
    a === 0 && b === ns.length ? ns : ns.slice(a, b),
  );
}

export function splitStringByChars(text: string, pred: CharPredicate, behavior: SplitBehavior): string[] {
  return applyBehavior(charRanges(text, pred), behavior).map(([a, b]) => text.slice(a, b));
}

const P = /\p{P}/u;
const N = /\p{N}/u;
const WS = /\p{White_Space}/u;

export function isWhiteSpaceCp(cp: number): boolean {
  if (cp < 128) return (cp >= 9 && cp <= 13) || cp === 32;
  return WS.test(String.fromCodePoint(cp));
}

/** BERT punctuation: ASCII punctuation (includes symbols like $ + < = > ^ ` |) or \p{P}. */
export function isBertPunctuation(cp: number): boolean {
  if (cp < 128)
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return P.test(String.fromCodePoint(cp));
}

/** Rust char::is_numeric: \p{N}. */
export function isNumeric(cp: number): boolean {
  if (cp < 128) return cp >= 48 && cp <= 57;
  return N.test(String.fromCodePoint(cp));
}
