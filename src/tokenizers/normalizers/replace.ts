/** Replaces every match of a pattern by `content`; the replacement inherits the match's span. */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';
import { findMatches, patternToJson, type Pattern } from '../pattern.ts';

export class Replace implements Normalizer {
  readonly type = 'Replace';
  constructor(
    readonly pattern: Pattern,
    readonly content: string,
  ) {}
  normalize(ns: NormalizedString): void {
    const edits = findMatches(this.pattern, ns.normalized)
      .filter(([a, b]) => b > a)
      .map(([a, b]) => [a, b, this.content] as const);
    ns.replaceRanges(edits);
  }
  normalizeString(text: string): string {
    let out = '';
    let prev = 0;
    for (const [a, b] of findMatches(this.pattern, text)) {
      if (b === a) continue;
      out += text.slice(prev, a) + this.content;
      prev = b;
    }
    return prev === 0 ? text : out + text.slice(prev);
  }
  toJSON(): JsonObject {
    return { type: this.type, pattern: patternToJson(this.pattern), content: this.content };
  }
}
