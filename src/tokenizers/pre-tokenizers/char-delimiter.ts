/** Splits on one delimiter character, removing it. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';
import { splitByChars, splitStringByChars } from './char-split.ts';

export class CharDelimiterSplit implements PreTokenizer {
  readonly type = 'CharDelimiterSplit';
  private readonly cp: number;
  constructor(readonly delimiter: string) {
    this.cp = delimiter.codePointAt(0) ?? 0;
  }
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => splitByChars(ns, (c) => c === this.cp, 'Removed'));
  }
  preTokenizeString(text: string): string[] {
    return splitStringByChars(text, (c) => c === this.cp, 'Removed');
  }
  toJSON(): JsonObject {
    return { type: this.type, delimiter: this.delimiter };
  }
}
