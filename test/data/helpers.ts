/** Shared builders for crafted test documents. */
import type { Document } from '../../src/data/document.ts';
import type { Stage } from '../../src/data/stages/stage.ts';

/** n distinct lowercase words of exactly `len` letters (no stop words among them). */
export function distinctWords(n: number, len = 5, offset = 0): string[] {
  const out: string[] = [];
  for (let i = offset; out.length < n; i++) {
    let x = i;
    let w = '';
    for (let k = 0; k < len; k++) {
      w = String.fromCharCode(98 + (x % 24)) + w; // letters b..y
      x = Math.floor(x / 24);
    }
    out.push(w);
  }
  return out;
}

export function doc(text: string, id = 'd'): Document {
  return { id, text, metadata: {} };
}

/** Runs a stage on a text: returns [reason or undefined, resulting text, counters]. */
export function run(stage: Stage, text: string): [string | undefined, string, Record<string, number>] {
  const d = doc(text);
  const counters: Record<string, number> = {};
  const r = stage.apply(d, (k, n = 1) => {
    counters[k] = (counters[k] ?? 0) + n;
  });
  return [r, d.text, counters];
}
