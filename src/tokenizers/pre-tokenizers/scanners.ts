/**
 * Pre-token scanners for the fast path: call `emit(piece)` for each pre-token of raw text.
 * The reference is the regex (global, unicode); `keepGaps` also emits the text between
 * matches (Split behaviour Isolated). Hand-written scanners for the known patterns live in
 * scan-gpt2.ts / scan-cl100k.ts and are tested against the regex.
 */
import type { KnownPattern } from './patterns.ts';
import { scanGpt2 } from './scan-gpt2.ts';
import { scanCl100k } from './scan-cl100k.ts';

export type Emit = (piece: string, out: number[]) => void;
export type Scanner = (text: string, emit: Emit, out: number[]) => void;

export function regexScanner(re: RegExp, keepGaps: boolean): Scanner {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  return (text, emit, out) => {
    g.lastIndex = 0;
    let prev = 0;
    for (let m = g.exec(text); m !== null; m = g.exec(text)) {
      const s = m[0];
      if (s.length === 0) {
        g.lastIndex = m.index + 1;
        continue;
      }
      if (keepGaps && m.index > prev) emit(text.slice(prev, m.index), out);
      emit(s, out);
      prev = m.index + s.length;
    }
    if (keepGaps && prev < text.length) emit(text.slice(prev), out);
  };
}

/** The fastest scanner equivalent to the pattern (known patterns cover every character, so gaps never occur). */
export function createScanner(pattern: KnownPattern | string, re: RegExp, keepGaps: boolean): Scanner {
  if (pattern === 'gpt2' || pattern === "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+") return scanGpt2;
  if (pattern === 'cl100k') return scanCl100k;
  return regexScanner(re, keepGaps);
}
