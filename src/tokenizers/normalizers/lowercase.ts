/**
 * Lowercase, character by character (Rust `char::to_lowercase`, as Hugging Face does): no
 * context-dependent final sigma, unlike String.prototype.toLowerCase on a whole string.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';

export function lowercaseString(text: string): string {
  // whole-string toLowerCase only differs by the final-sigma rule (U+03A3)
  if (!text.includes('\u03a3')) return text.toLowerCase();
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

export class Lowercase implements Normalizer {
  readonly type = 'Lowercase';
  normalize(ns: NormalizedString): void {
    ns.mapCodePoints((c) => (c.length === 1 && c.charCodeAt(0) < 0x41 ? c : c.toLowerCase()));
  }
  normalizeString(text: string): string {
    return lowercaseString(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
