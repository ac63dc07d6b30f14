/** BERT's pre-tokenizer: split on whitespace (removed), then isolate each punctuation character. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';

/** Fast path: runs of non-space non-punctuation, or one punctuation character (ASCII punctuation or \p{P}). */
const PIECES = /[^\p{White_Space}\p{P}!-/:-@[-`{-~]+|[\p{P}!-/:-@[-`{-~]/gu;

export class BertPreTokenizer implements PreTokenizer {
  readonly type = 'BertPreTokenizer';
  preTokenize(pts: PreTokenizedString): void {
    // one regex pass gives exactly the pieces of "split on whitespace (removed), then isolate punctuation"
    pts.split((_, ns) => {
      const out = [];
      const s = ns.normalized;
      PIECES.lastIndex = 0;
      for (let m = PIECES.exec(s); m !== null; m = PIECES.exec(s)) out.push(ns.slice(m.index, m.index + m[0].length));
      PIECES.lastIndex = 0;
      return out;
    });
  }
  preTokenizeString(text: string): string[] {
    return text.match(PIECES) ?? [];
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
