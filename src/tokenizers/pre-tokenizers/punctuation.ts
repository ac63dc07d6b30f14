/** Splits on punctuation characters (BERT's definition) with a delimiter behaviour. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString, SplitBehavior } from '../pre-tokenized-string.ts';
import { isBertPunctuation, splitByChars, splitStringByChars } from './char-split.ts';

export class Punctuation implements PreTokenizer {
  readonly type = 'Punctuation';
  constructor(readonly behavior: SplitBehavior = 'Isolated') {}
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => splitByChars(ns, isBertPunctuation, this.behavior));
  }
  preTokenizeString(text: string): string[] {
    return splitStringByChars(text, isBertPunctuation, this.behavior);
  }
  toJSON(): JsonObject {
    return { type: this.type, behavior: this.behavior };
  }
}
