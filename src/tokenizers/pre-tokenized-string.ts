/**
 * The state between normalization and the model, as in Hugging Face's PreTokenizedString:
 * a list of splits, each a NormalizedString (absolute alignment to the original), some already
 * tokenized (added/special tokens found in the input). Pre-tokenizers only touch splits whose
 * `tokens` is null.
 */
import { NormalizedString } from './normalized-string.ts';
import type { Token } from './interfaces.ts';

export interface Split {
  normalized: NormalizedString;
  /** Tokens with offsets relative to `normalized` (normalized UTF-16 units); null = not yet tokenized. */
  tokens: Token[] | null;
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
export const SPLIT_BEHAVIORS: readonly SplitBehavior[] = [
  'Removed',
  'Isolated',
  'MergedWithPrevious',
  'MergedWithNext',
  'Contiguous',
];

export class PreTokenizedString {
  splits: Split[];

  constructor(splits: Split[]) {
    this.splits = splits;
  }

  static fromText(text: string): PreTokenizedString {
    return new PreTokenizedString([{ normalized: NormalizedString.from(text), tokens: null }]);
  }

  /** Replaces every untokenized split by the pieces `fn` returns (empty pieces are dropped). */
  split(fn: (index: number, ns: NormalizedString) => NormalizedString[]): void {
    const out: Split[] = [];
    for (let i = 0; i < this.splits.length; i++) {
      const sp = this.splits[i]!;
      if (sp.tokens !== null) {
        out.push(sp);
        continue;
      }
      for (const piece of fn(i, sp.normalized)) {
        if (piece.length > 0) out.push({ normalized: piece, tokens: null });
      }
    }
    this.splits = out;
  }

  /** Applies `fn` in place to every untokenized split. */
  normalize(fn: (ns: NormalizedString) => void): void {
    for (const sp of this.splits) if (sp.tokens === null) fn(sp.normalized);
  }

  /** Tokenizes every untokenized split. */
  tokenize(fn: (ns: NormalizedString) => Token[]): void {
    for (const sp of this.splits) if (sp.tokens === null) sp.tokens = fn(sp.normalized);
  }
}

/**
 * Splits `ns` given a covering list of [start, end, isMatch] ranges (normalized units), applying
 * HF's SplitDelimiterBehavior. Mirrors tokenizers' `NormalizedString::split`.
 */
export function splitWithBehavior(
  ns: NormalizedString,
  ranges: readonly (readonly [number, number, boolean])[],
  behavior: SplitBehavior,
): NormalizedString[] {
  const out: NormalizedString[] = [];
  for (const [a, b] of applyBehavior(ranges, behavior)) out.push(a === 0 && b === ns.length ? ns : ns.slice(a, b));
  return out;
}

/** The same split on a plain string (fast path). */
export function splitStringWithBehavior(
  text: string,
  ranges: readonly (readonly [number, number, boolean])[],
  behavior: SplitBehavior,
): string[] {
  return applyBehavior(ranges, behavior).map(([a, b]) => text.slice(a, b));
}

/** The kept [start, end) ranges (non-empty) for a behavior. */
export function applyBehavior(
  ranges: readonly (readonly [number, number, boolean])[],
  behavior: SplitBehavior,
): [number, number][] {
  const kept: [number, number][] = [];
  switch (behavior) {
    case 'Isolated':
      for (const [a, b] of ranges) kept.push([a, b]);
      break;
    case 'Removed':
      for (const [a, b, m] of ranges) if (!m) kept.push([a, b]);
      break;
    case 'MergedWithPrevious': {
      let prevMatch = false;
      for (const [a, b, m] of ranges) {
        const last = kept[kept.length - 1];
        if (m && !prevMatch && last !== undefined) last[1] = b;
        else kept.push([a, b]);
        prevMatch = m;
      }
      break;
    }
    case 'MergedWithNext': {
      let prevMatch = false;
      for (let i = ranges.length - 1; i >= 0; i--) {
        const [a, b, m] = ranges[i]!;
        const last = kept[kept.length - 1];
        if (m && !prevMatch && last !== undefined) last[0] = a;
        else kept.push([a, b]);
        prevMatch = m;
      }
      kept.reverse();
      break;
    }
    case 'Contiguous': {
      let prevMatch = false;
      for (const [a, b, m] of ranges) {
        const last = kept[kept.length - 1];
        if (m === prevMatch && last !== undefined) last[1] = b;
        else kept.push([a, b]);
        prevMatch = m;
      }
      break;
    }
  }
  return kept.filter(([a, b]) => b > a);
}

/** Turns a list of match ranges into a covering list of [start, end, isMatch] (gaps are non-matches). */
export function coverMatches(
  length: number,
  matches: Iterable<readonly [number, number]>,
  invert = false,
): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  let prev = 0;
  for (const [a, b] of matches) {
    if (a > prev) out.push([prev, a, invert]);
    out.push([a, b, !invert]);
    prev = b;
  }
  if (prev < length) out.push([prev, length, invert]);
  return out;
}

/** All matches of a global regex as ranges (zero-length matches advance by one unit). */
export function regexMatches(re: RegExp, text: string): [number, number][] {
  const out: [number, number][] = [];
  re.lastIndex = 0;
  for (;;) {
    const m = re.exec(text);
    if (m === null) break;
    const a = m.index;
    const b = a + m[0].length;
    out.push([a, b]);
    if (b === a) re.lastIndex = a + 1;
  }
  re.lastIndex = 0;
  return out;
}
