/** Splits digits from the rest: each digit alone, or runs of digits together. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';
import { isNumeric, splitByChars, splitStringByChars } from './char-split.ts';

export class Digits implements PreTokenizer {
  readonly type = 'Digits';
  constructor(readonly individualDigits = false) {}
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => splitByChars(ns, isNumeric, this.individualDigits ? 'Isolated' : 'Contiguous'));
  }
  preTokenizeString(text: string): string[] {
    return splitStringByChars(text, isNumeric, this.individualDigits ? 'Isolated' : 'Contiguous');
  }
  toJSON(): JsonObject {
    return { type: this.type, individual_digits: this.individualDigits };
  }
}
