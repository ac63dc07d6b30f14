/**
 * Hand-written scanner equal to GPT-2's split regex
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * (with \s = White_Space), tried in that order at each position. Tested against the regex on
 * adversarial and random strings (test/tokenizers/scanners.test.ts).
 */
import { classAt, SPACE } from './char-class.ts';
import type { Emit } from './scanners.ts';

/** Length of a contraction at text[i] === "'" (0 if none): 's 't 're 've 'm 'll 'd. */
function contraction(text: string, i: number): number {
  const a = text.charCodeAt(i + 1);
  if (a === 115 || a === 116 || a === 109 || a === 100) return 2; // s t m d
  const b = text.charCodeAt(i + 2);
  if ((a === 114 && b === 101) || (a === 118 && b === 101) || (a === 108 && b === 108)) return 3; // re ve ll
  return 0;
}

export function scanGpt2(text: string, emit: Emit): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    let j = 0;
    if (c === 39) {
      const k = contraction(text, i);
      if (k > 0) j = i + k;
    }
    if (j === 0) {
      let k = i;
      let cw = classAt(text, k);
      if (c === 32 && i + 1 < n) {
        const nw = classAt(text, i + 1);
        if (nw >> 2 !== SPACE) {
          k = i + 1;
          cw = nw;
        }
      }
      const cls = cw >> 2;
      if (cls !== SPACE) {
        // a run of letters, numbers or others
        j = k + (cw & 3);
        while (j < n) {
          const w = classAt(text, j);
          if (w >> 2 !== cls) break;
          j += w & 3;
        }
      } else {
        // whitespace run [i, e): \s+(?!\S) leaves the last space for the next token unless at the end
        let e = i + 1;
        while (e < n && classAt(text, e) >> 2 === SPACE) e++;
        j = e === n || e - i === 1 ? e : e - 1;
      }
    }
    emit(i, j);
    i = j;
  }
}
