/** Removes combining marks (\p{M}, Rust `is_combining_mark`); combine with NFD to strip accents from 'é'. */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';

const MN = /\p{M}/u;
const MN_G = /\p{M}/gu;

export class StripAccents implements Normalizer {
  readonly type = 'StripAccents';
  normalize(ns: NormalizedString): void {
    if (MN.test(ns.normalized)) ns.replaceMatches(MN_G, () => '');
  }
  normalizeString(text: string): string {
    return text.replace(MN_G, '');
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
