/**
 * BERT's normalizer (HF BertNormalizer): clean text (drop NUL, U+FFFD and control characters,
 * map whitespace to ' '), put spaces around CJK ideographs, strip accents (NFD then drop
 * non-spacing marks; defaults to `lowercase`), lowercase.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';
import { lowercaseString } from './lowercase.ts';
import { normalizeAligned } from './unicode.ts';

const OTHER = /\p{C}/u;
const MN = /\p{Mn}/u;
const MN_G = /\p{Mn}/gu;

/** The CJK Unified Ideograph blocks BERT isolates. */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isBertWhitespace(c: string): boolean {
  return c === '\t' || c === '\n' || c === '\r' || /^\p{White_Space}$/u.test(c);
}

/** Clean-text mapping of one code point: '' (drop), ' ' or itself. */
function cleanChar(c: string): string {
  const cp = c.codePointAt(0)!;
  if (cp === 0 || cp === 0xfffd) return '';
  if (c !== '\t' && c !== '\n' && c !== '\r' && OTHER.test(c)) return '';
  return isBertWhitespace(c) ? ' ' : c;
}

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null = follow `lowercase` (HF default). */
  stripAccents: boolean | null;
  lowercase: boolean;
}

export class BertNormalizer implements Normalizer {
  readonly type = 'BertNormalizer';
  readonly options: BertNormalizerOptions;
  constructor(options: Partial<BertNormalizerOptions> = {}) {
    this.options = { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true, ...options };
  }

  private get doStrip(): boolean {
    return this.options.stripAccents ?? this.options.lowercase;
  }

  normalize(ns: NormalizedString): void {
    const o = this.options;
    if (o.cleanText) ns.mapCodePoints(cleanChar);
    if (o.handleChineseChars) ns.mapCodePoints((c) => (isChineseChar(c.codePointAt(0)!) ? ` ${c} ` : c));
    if (this.doStrip) {
      normalizeAligned(ns, 'NFD');
      ns.mapCodePoints((c) => (MN.test(c) ? '' : c));
    }
    if (o.lowercase) ns.mapCodePoints((c) => c.toLowerCase());
  }

  normalizeString(text: string): string {
    const o = this.options;
    let s = text;
    if (o.cleanText || o.handleChineseChars) {
      let out = '';
      for (const c of s) {
        const d = o.cleanText ? cleanChar(c) : c;
        out += o.handleChineseChars && d.length > 0 && isChineseChar(d.codePointAt(0)!) ? ` ${d} ` : d;
      }
      s = out;
    }
    if (this.doStrip) s = s.normalize('NFD').replace(MN_G, '');
    if (o.lowercase) s = lowercaseString(s);
    return s;
  }

  toJSON(): JsonObject {
    const o = this.options;
    return {
      type: this.type,
      clean_text: o.cleanText,
      handle_chinese_chars: o.handleChineseChars,
      strip_accents: o.stripAccents,
      lowercase: o.lowercase,
    };
  }
}
