/** Applies normalizers in order. */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';

export class NormalizerSequence implements Normalizer {
  readonly type = 'Sequence';
  constructor(readonly normalizers: readonly Normalizer[]) {}
  normalize(ns: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(ns);
  }
  normalizeString(text: string): string {
    let s = text;
    for (const n of this.normalizers) s = n.normalizeString(s);
    return s;
  }
  toJSON(): JsonObject {
    return { type: this.type, normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}
