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

/**
 * Lowercase with alignment. When the lowercased text has the same length, every code point kept
 * its length (lowercasing never shortens one), so the alignment is unchanged and no per-character
 * rebuild is needed.
 */
export function lowercaseAligned(ns: NormalizedString): void {
  const lower = lowercaseString(ns.normalized);
  if (lower === ns.normalized) return;
  if (lower.length === ns.normalized.length) {
    ns.normalized = lower;
    return;
  }
  ns.mapCodePoints((c) => c.toLowerCase());
}

export class Lowercase implements Normalizer {
  readonly type = 'Lowercase';
  normalize(ns: NormalizedString): void {
    lowercaseAligned(ns);
  }
  normalizeString(text: string): string {
    return lowercaseString(text);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
