/**
 * Hand-written scanner equal to o200k_base's split regex (tried in this order at each position):
 *   1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   3 \p{N}{1,3}
 *   4  ?[^\s\p{L}\p{N}]+[\r\n/]*
 *   5 \s*[\r\n]+    6 \s+(?!\S)    7 \s+
 * "Upper" U = Lu Lt Lm Lo M and "lower" L = Ll Lm Lo M overlap, so alternative 1 backtracks
 * U* to find the rightmost start of L+. Tested against the regex (scanners.test.ts).
 */
import type { Emit } from './scanners.ts';

const UP = 0; // Lu, Lt
const LOW = 1; // Ll
const BOTH = 2; // Lm, Lo
const MARK = 3; // M (not a letter: also a prefix / "other" character)
const NUM = 4;
const WS = 5;
const OTHER = 6;

const RE_UP = /^[\p{Lu}\p{Lt}]$/u;
const RE_LOW = /^\p{Ll}$/u;
const RE_BOTH = /^[\p{Lm}\p{Lo}]$/u;
const RE_MARK = /^\p{M}$/u;
const RE_NUM = /^\p{N}$/u;
const RE_WS = /^\p{White_Space}$/u;

function classify(ch: string): number {
  if (RE_UP.test(ch)) return UP;
  if (RE_LOW.test(ch)) return LOW;
  if (RE_BOTH.test(ch)) return BOTH;
  if (RE_MARK.test(ch)) return MARK;
  if (RE_NUM.test(ch)) return NUM;
  if (RE_WS.test(ch)) return WS;
  return OTHER;
}

const BMP = new Uint8Array(65536).fill(255);
for (let c = 0xd800; c <= 0xdfff; c++) BMP[c] = OTHER;

/** class * 4 + width (UTF-16 units) of the code point at text[i]. */
function at(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) {
    let v = BMP[c]!;
    if (v === 255) v = BMP[c] = classify(String.fromCharCode(c));
    return v * 4 + 1;
  }
  const d = text.charCodeAt(i + 1);
  if (d >= 0xdc00 && d <= 0xdfff)
    return classify(String.fromCodePoint(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00))) * 4 + 2;
  return OTHER * 4 + 1;
}

const inU = (cls: number): boolean => cls === UP || cls === BOTH || cls === MARK;
const inL = (cls: number): boolean => cls === LOW || cls === BOTH || cls === MARK;
const isNl = (c: number): boolean => c === 10 || c === 13;

/** Start of the code point before position p (p > 0). */
function prevStart(text: string, p: number): number {
  const c = text.charCodeAt(p - 1);
  if (c >= 0xdc00 && c <= 0xdfff && p >= 2) {
    const h = text.charCodeAt(p - 2);
    if (h >= 0xd800 && h <= 0xdbff) return p - 2;
  }
  return p - 1;
}

/** End of a run of L characters starting at p. */
function runL(text: string, p: number): number {
  const n = text.length;
  let e = p;
  while (e < n) {
    const x = at(text, e);
    if (!inL(x >> 2)) break;
    e += x & 3;
  }
  return e;
}

/** U*L+ at k: end of the match, or -1. */
function upperLower(text: string, k: number): number {
  const n = text.length;
  let j = k;
  while (j < n) {
    const x = at(text, j);
    if (!inU(x >> 2)) break;
    j += x & 3;
  }
  if (j < n && inL(at(text, j) >> 2)) return runL(text, j);
  // give back U characters until one of them can start L+
  for (let p = j; p > k;) {
    p = prevStart(text, p);
    if (inL(at(text, p) >> 2)) return runL(text, p);
  }
  return -1;
}

/** U+L* at k: end of the match, or -1. */
function upperThenLower(text: string, k: number): number {
  const n = text.length;
  if (k >= n || !inU(at(text, k) >> 2)) return -1;
  let j = k;
  while (j < n) {
    const x = at(text, j);
    if (!inU(x >> 2)) break;
    j += x & 3;
  }
  return runL(text, j);
}

/** Case-insensitive contraction at e ('s 't 're 've 'm 'll 'd; 'ſ folds to 's): its length or 0. */
function contraction(text: string, e: number): number {
  if (text.charCodeAt(e) !== 39) return 0;
  const raw = text.charCodeAt(e + 1);
  const a = raw < 128 ? raw | 0x20 : raw;
  if (a === 115 || a === 0x17f || a === 116 || a === 109 || a === 100) return 2;
  const rawB = text.charCodeAt(e + 2);
  const b = rawB < 128 ? rawB | 0x20 : rawB;
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3;
  return 0;
}

function isPrefix(cls: number, c: number): boolean {
  return (cls === MARK || cls === WS || cls === OTHER) && !isNl(c);
}

export function scanO200k(text: string, emit: Emit): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const cw = at(text, i);
    const cls = cw >> 2;
    const w = cw & 3;
    const prefix = isPrefix(cls, c);
    let e = -1;
    // 1 and 2: words (with an optional leading non-letter, non-digit character)
    if (prefix && i + w < n) e = upperLower(text, i + w);
    if (e < 0) e = upperLower(text, i);
    if (e < 0 && prefix && i + w < n) e = upperThenLower(text, i + w);
    if (e < 0) e = upperThenLower(text, i);
    if (e >= 0) e += contraction(text, e);
    else if (cls === NUM) {
      // 3: up to three numbers
      e = i + w;
      for (let k = 1; k < 3 && e < n; k++) {
        const x = at(text, e);
        if (x >> 2 !== NUM) break;
        e += x & 3;
      }
    } else {
      // 4: ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
      let k = -1;
      if (cls === OTHER || cls === MARK) k = i;
      else if (c === 32 && i + 1 < n) {
        const x = at(text, i + 1) >> 2;
        if (x === OTHER || x === MARK) k = i + 1;
      }
      if (k >= 0) {
        e = k;
        while (e < n) {
          const x = at(text, e);
          if (x >> 2 !== OTHER && x >> 2 !== MARK) break;
          e += x & 3;
        }
        while (e < n && (isNl(text.charCodeAt(e)) || text.charCodeAt(e) === 47)) e++;
      } else {
        // 5-7: whitespace
        let end = i + 1;
        let lastNl = isNl(c) ? i : -1;
        while (end < n && at(text, end) >> 2 === WS) {
          if (isNl(text.charCodeAt(end))) lastNl = end;
          end++;
        }
        if (lastNl >= 0) e = lastNl + 1;
        else e = end === n || end - i === 1 ? end : end - 1;
      }
    }
    emit(i, e);
    i = e;
  }
}
