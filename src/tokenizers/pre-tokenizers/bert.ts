/** BERT's pre-tokenizer: split on whitespace (removed), then isolate each punctuation character. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';
import { isBertPunctuation, isWhiteSpaceCp, splitByChars, splitStringByChars } from './char-split.ts';

export class BertPreTokenizer implements PreTokenizer {
  readonly type = 'BertPreTokenizer';
  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => splitByChars(ns, isWhiteSpaceCp, 'Removed'));
    pts.split((_, ns) => splitByChars(ns, isBertPunctuation, 'Isolated'));
  }
  preTokenizeString(text: string): string[] {
    const out: string[] = [];
    for (const w of splitStringByChars(text, isWhiteSpaceCp, 'Removed')) {
      for (const p of splitStringByChars(w, isBertPunctuation, 'Isolated')) out.push(p);
    }
    return out;
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
