/**
 * Hand-written scanner equal to cl100k_base's split regex
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*
 *   |\s*[\r\n]+|\s+(?!\S)|\s+
 * tried in that order at each position. Tested against the regex (scanners.test.ts).
 */
import { classAt, LETTER, NUMBER, OTHER, SPACE } from './char-class.ts';
import type { Emit } from './scanners.ts';

/** Case-insensitive contraction at text[i] === "'" (Unicode simple folds: 'ſ' is an s). */
function contraction(text: string, i: number): number {
  const a = text.charCodeAt(i + 1) | 0x20;
  const raw = text.charCodeAt(i + 1);
  if (a === 115 || raw === 0x17f || a === 116 || a === 109 || a === 100) {
    if (raw < 128 || raw === 0x17f) return 2; // s t m d (| 0x20 only folds ASCII)
  }
  const b = text.charCodeAt(i + 2) | 0x20;
  const rawB = text.charCodeAt(i + 2);
  if (raw < 128 && rawB < 128 && ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)))
    return 3;
  return 0;
}

function isNewline(c: number): boolean {
  return c === 10 || c === 13;
}

export function scanCl100k(text: string, emit: Emit): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let j = 0;
    if (c === 39) {
      const k = contraction(text, i);
      if (k > 0) j = i + k;
    }
    const cw = classAt(text, i);
    const cls = cw >> 2;
    const w = cw & 3;
    if (j === 0) {
      // [^\r\n\p{L}\p{N}]?\p{L}+
      let letterStart = -1;
      if (cls === LETTER) letterStart = i;
      else if (cls !== NUMBER && !isNewline(c) && i + w < n && classAt(text, i + w) >> 2 === LETTER)
        letterStart = i + w;
      if (letterStart >= 0) {
        j = letterStart;
        while (j < n) {
          const x = classAt(text, j);
          if (x >> 2 !== LETTER) break;
          j += x & 3;
        }
      }
    }
    if (j === 0 && cls === NUMBER) {
      // \p{N}{1,3}
      j = i + w;
      for (let k = 1; k < 3 && j < n; k++) {
        const x = classAt(text, j);
        if (x >> 2 !== NUMBER) break;
        j += x & 3;
      }
    }
    if (j === 0) {
      // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
      let k = -1;
      if (cls === OTHER) k = i;
      else if (c === 32 && i + 1 < n && classAt(text, i + 1) >> 2 === OTHER) k = i + 1;
      if (k >= 0) {
        j = k;
        while (j < n) {
          const x = classAt(text, j);
          if (x >> 2 !== OTHER) break;
          j += x & 3;
        }
        while (j < n && isNewline(text.charCodeAt(j))) j++;
      }
    }
    if (j === 0) {
      // whitespace at i: \s*[\r\n]+ (up to the last newline of the run), else \s+(?!\S), else \s+
      let e = i + 1;
      let lastNl = isNewline(c) ? i : -1;
      while (e < n && classAt(text, e) >> 2 === SPACE) {
        if (isNewline(text.charCodeAt(e))) lastNl = e;
        e++;
      }
      if (lastNl >= 0) j = lastNl + 1;
      else j = e === n || e - i === 1 ? e : e - 1;
    }
    emit(i, j);
    i = j;
  }
}
