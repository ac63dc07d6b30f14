/**
 * Pre-token scanners for the fast path: call `emit(piece)` for each pre-token of raw text.
 * The reference is the regex (global, unicode); `keepGaps` also emits the text between
 * matches (Split behaviour Isolated). Hand-written scanners for the known patterns live in
 * scan-gpt2.ts / scan-cl100k.ts and are tested against the regex.
 */
import type { KnownPattern } from './patterns.ts';
import { scanGpt2 } from './scan-gpt2.ts';
import { scanCl100k } from './scan-cl100k.ts';
import { scanO200k } from './scan-o200k.ts';

/** Receives each pre-token as the range text[start, end). */
export type Emit = (start: number, end: number) => void;
export type Scanner = (text: string, emit: Emit) => void;

/** The pieces a scanner produces, as strings. */
export function scanToStrings(scan: Scanner, text: string): string[] {
  const out: string[] = [];
  scan(text, (a, b) => out.push(text.slice(a, b)));
  return out;
}

export function regexScanner(re: RegExp, keepGaps: boolean): Scanner {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
  return (text, emit) => {
    g.lastIndex = 0;
    let prev = 0;
    for (let m = g.exec(text); m !== null; m = g.exec(text)) {
      const n = m[0].length;
      if (n === 0) {
        g.lastIndex = m.index + 1;
        continue;
      }
      if (keepGaps && m.index > prev) emit(prev, m.index);
      emit(m.index, m.index + n);
      prev = m.index + n;
    }
    if (keepGaps && prev < text.length) emit(prev, text.length);
  };
}

/** The fastest scanner equivalent to the pattern (known patterns cover every character, so gaps never occur). */
export function createScanner(pattern: KnownPattern | string, re: RegExp, keepGaps: boolean): Scanner {
  if (
    pattern === 'gpt2' ||
    pattern === "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
  )
    return scanGpt2;
  if (pattern === 'cl100k') return scanCl100k;
  if (pattern === 'o200k') return scanO200k;
  return regexScanner(re, keepGaps);
}
