/**
 * A per-code-unit class table for the BMP, built once from Unicode properties so hot
 * loops classify characters with one array load instead of a regex per character.
 */

export const WORD = 1; // letter, mark, number or "_"
export const SPACE = 2; // white space
export const OTHER = 3; // punctuation, symbols, controls
export const SURROGATE = 4;

let table: Uint8Array | null = null;

export function charClasses(): Uint8Array {
  if (table !== null) return table;
  const t = new Uint8Array(65536);
  const word = /[\p{L}\p{M}\p{N}_]/u;
  const space = /\s/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      t[c] = SURROGATE;
      continue;
    }
    const ch = String.fromCharCode(c);
    t[c] = word.test(ch) ? WORD : space.test(ch) ? SPACE : OTHER;
  }
  table = t;
  return t;
}

const ASTRAL_WORD = /^[\p{L}\p{M}\p{N}]$/u;
/** Class of an astral code point (rare: emoji, CJK extensions, ...). */
export function astralClass(cp: number): number {
  return ASTRAL_WORD.test(String.fromCodePoint(cp)) ? WORD : OTHER;
}
