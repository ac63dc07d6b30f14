/**
 * Character classes of the GPT-2 / cl100k split regexes, per code point: letter (\p{L}),
 * number (\p{N}), whitespace (White_Space) or other. BMP results are memoised in a table;
 * astral code points (rare) go through the regex each time.
 */
export const LETTER = 0;
export const NUMBER = 1;
export const SPACE = 2;
export const OTHER = 3;

const L = /^\p{L}$/u;
const N = /^\p{N}$/u;
const WS = /^\p{White_Space}$/u;

function classify(ch: string): number {
  if (L.test(ch)) return LETTER;
  if (N.test(ch)) return NUMBER;
  if (WS.test(ch)) return SPACE;
  return OTHER;
}

const BMP = new Uint8Array(65536).fill(255);
for (let c = 0; c < 128; c++) BMP[c] = classify(String.fromCharCode(c));
// surrogates on their own are Cs: other
for (let c = 0xd800; c <= 0xdfff; c++) BMP[c] = OTHER;

/** Class of the BMP code unit c (not a surrogate pair). */
export function bmpClass(c: number): number {
  let v = BMP[c]!;
  if (v === 255) v = BMP[c] = classify(String.fromCharCode(c));
  return v;
}

/** Class of the code point starting at text[i] and its width in UTF-16 units (1 or 2): class * 4 + width. */
export function classAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return bmpClass(c) * 4 + 1;
  const d = text.charCodeAt(i + 1);
  if (d >= 0xdc00 && d <= 0xdfff)
    return classify(String.fromCodePoint(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00))) * 4 + 2;
  return OTHER * 4 + 1; // lone high surrogate
}
