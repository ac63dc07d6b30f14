/**
 * Whitespace: keeps runs of word characters and runs of other non-space characters
 * (`\w+|[^\w\s]+`); WhitespaceSplit: splits on whitespace only.
 */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';
import { findMatches, regexPattern } from '../pattern.ts';
import { isWhiteSpaceCp, splitByChars, splitStringByChars } from './char-split.ts';

const WORDS = regexPattern('\\w+|[^\\w\\s]+');

export class Whitespace implements PreTokenizer {
  readonly type = 'Whitespace';
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => findMatches(WORDS, ns.normalized).map(([a, b]) => ns.slice(a, b)));
  }
  preTokenizeString(text: string): string[] {
    return findMatches(WORDS, text).map(([a, b]) => text.slice(a, b));
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}

export class WhitespaceSplit implements PreTokenizer {
  readonly type = 'WhitespaceSplit';
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => splitByChars(ns, isWhiteSpaceCp, 'Removed'));
  }
  preTokenizeString(text: string): string[] {
    return splitStringByChars(text, isWhiteSpaceCp, 'Removed');
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
