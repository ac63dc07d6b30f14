/** Prepends a string to non-empty input (SentencePiece-style '▁' prefix in newer HF files). */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';

export class Prepend implements Normalizer {
  readonly type = 'Prepend';
  constructor(readonly prepend: string) {}
  normalize(ns: NormalizedString): void {
    ns.prepend(this.prepend);
  }
  normalizeString(text: string): string {
    return text.length === 0 ? text : this.prepend + text;
  }
  toJSON(): JsonObject {
    return { type: this.type, prepend: this.prepend };
  }
}
