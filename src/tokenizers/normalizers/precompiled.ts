/**
 * HF's `Precompiled` normalizer: SentencePiece's compiled normalization rules (the charsmap of a
 * `.model`, base64 in tokenizer.json), applied as SentencePiece applies them: at each position
 * the longest rule matching the UTF-8 bytes, else the character unchanged. A replacement inherits
 * the span of the characters it replaces.
 *
 * Hugging Face's Rust version (spm_precompiled) first tries each whole grapheme cluster and then
 * its characters one by one; the two differ only where a rule spans a cluster boundary or a longer
 * rule exists inside a cluster. SentencePiece's behaviour is the one reproduced here.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';
import { PrecompiledCharsmap } from '../sentencepiece/charsmap.ts';
import { byteToUnit } from '../sentencepiece/normalizer.ts';

export class Precompiled implements Normalizer {
  readonly type = 'Precompiled';
  /** null for an empty charsmap (identity) */
  readonly charsmap: PrecompiledCharsmap | null;
  private readonly rule = { length: 0, text: '' };

  /** `blob`: the raw charsmap bytes; `file` names their origin in errors. */
  constructor(
    readonly blob: Uint8Array,
    file = '<tokenizer.json>',
    field = 'normalizer.precompiled_charsmap',
  ) {
    this.charsmap = blob.byteLength === 0 ? null : new PrecompiledCharsmap(blob, file, field);
  }

  /** Rule applications on `text`: [start, end, replacement] in UTF-16 units, only where the text changes. */
  private edits(text: string): [number, number, string][] {
    const edits: [number, number, string][] = [];
    if (text.length === 0 || this.charsmap === null) return edits;
    const bytes = Buffer.from(text, 'utf8');
    const n = bytes.length;
    const b2u = byteToUnit(text, n);
    for (let pos = 0; pos < n;) {
      this.charsmap.longestRule(bytes, pos, n, this.rule);
      const len = this.rule.length;
      // a rule must end on a character boundary to map back to UTF-16 (always so for real charsmaps)
      if (len > 0 && (pos + len === n || (bytes[pos + len]! & 0xc0) !== 0x80)) {
        const a = b2u[pos]!;
        const b = b2u[pos + len]!;
        if (this.rule.text !== text.slice(a, b)) edits.push([a, b, this.rule.text]);
        pos += len;
        continue;
      }
      const lead = bytes[pos]!;
      pos += lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    }
    return edits;
  }

  normalize(ns: NormalizedString): void {
    ns.replaceRanges(this.edits(ns.normalized));
  }

  normalizeString(text: string): string {
    const edits = this.edits(text);
    if (edits.length === 0) return text;
    let out = '';
    let prev = 0;
    for (const [a, b, r] of edits) {
      out += text.slice(prev, a) + r;
      prev = b;
    }
    return out + text.slice(prev);
  }

  toJSON(): JsonObject {
    return { type: this.type, precompiled_charsmap: Buffer.from(this.blob).toString('base64') };
  }
}
