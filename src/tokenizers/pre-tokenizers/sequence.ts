/** Applies pre-tokenizers in order. */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import type { PreTokenizedString } from '../pre-tokenized-string.ts';

export class PreTokenizerSequence implements PreTokenizer {
  readonly type = 'Sequence';
  constructor(readonly preTokenizers: readonly PreTokenizer[]) {}
  preTokenize(pts: PreTokenizedString): void {
    for (const p of this.preTokenizers) p.preTokenize(pts);
  }
  preTokenizeString(text: string, atStart = true): string[] {
    let pieces = [text];
    for (const p of this.preTokenizers) {
      const next: string[] = [];
      pieces.forEach((piece, i) => {
        for (const s of p.preTokenizeString(piece, atStart && i === 0)) next.push(s);
      });
      pieces = next;
    }
    return pieces;
  }
  toJSON(): JsonObject {
    return { type: this.type, pretokenizers: this.preTokenizers.map((p) => p.toJSON()) };
  }
}
