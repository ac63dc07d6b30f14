/** HF Split: split on a String or Regex pattern with a delimiter behaviour, optionally inverted. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import {
  coverMatches,
  splitStringWithBehavior,
  splitWithBehavior,
  type PreTokenizedString,
  type SplitBehavior,
} from '../pre-tokenized-string.ts';
import { findMatches, patternToJson, type Pattern } from '../pattern.ts';

export class Split implements PreTokenizer {
  readonly type = 'Split';
  constructor(
    readonly pattern: Pattern,
    readonly behavior: SplitBehavior,
    readonly invert = false,
  ) {}

  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) =>
      splitWithBehavior(
        ns,
        coverMatches(ns.length, findMatches(this.pattern, ns.normalized), this.invert),
        this.behavior,
      ),
    );
  }

  preTokenizeString(text: string): string[] {
    return splitStringWithBehavior(
      text,
      coverMatches(text.length, findMatches(this.pattern, text), this.invert),
      this.behavior,
    );
  }

  toJSON(): JsonObject {
    return { type: this.type, pattern: patternToJson(this.pattern), behavior: this.behavior, invert: this.invert };
  }
}
