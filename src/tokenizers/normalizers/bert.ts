/**
 * BERT's normalizer (HF BertNormalizer): clean text (drop NUL, U+FFFD and control characters,
 * map whitespace to ' '), put spaces around CJK ideographs, strip accents (NFD then drop
 * non-spacing marks; defaults to `lowercase`), lowercase.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import { isWhiteSpace, type NormalizedString } from '../normalized-string.ts';
import { lowercaseAligned, lowercaseString } from './lowercase.ts';
import { normalizeAligned } from './unicode.ts';

const OTHER = /\p{C}/u;
// the same rules as whole-string regexes (fast path): drop NUL, U+FFFD and \p{C} except \t\n\r;
// then every remaining whitespace becomes ' '
const NON_ASCII = /[^\x00-\x7f]/;
const ASCII_DROP = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;
const ASCII_SPACE = /[\t\n\r]/g;
const DROP = /[\u0000\uFFFD]|[^\P{C}\t\n\r]/gu;
const SPACE = /\p{White_Space}/gu;
/** Characters clean-text changes: dropped ones and whitespace other than ' '. */
const CLEAN = /[\u0000\uFFFD]|\p{C}|[^\P{White_Space} ]/gu;
const CJK =
  /[\u4E00-\u9FFF\u3400-\u4DBF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\uF900-\uFAFF\u{2F800}-\u{2FA1F}]/gu;
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

/** Clean-text mapping of one code point: '' (drop), ' ' or itself. */
function cleanChar(c: string): string {
  const cp = c.codePointAt(0)!;
  if (cp < 128) {
    if (cp === 9 || cp === 10 || cp === 13) return ' ';
    return cp < 32 || cp === 127 ? '' : c;
  }
  if (cp === 0xfffd || OTHER.test(c)) return '';
  return isWhiteSpace(cp) ? ' ' : c;
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
    // only the characters that change are rewritten (one regex pass per step)
    if (o.cleanText) ns.replaceMatches(CLEAN, cleanChar);
    if (o.handleChineseChars) ns.replaceMatches(CJK, (c) => ` ${c} `);
    if (this.doStrip && NON_ASCII.test(ns.normalized)) {
      normalizeAligned(ns, 'NFD');
      ns.replaceMatches(MN_G, () => '');
    }
    if (o.lowercase) lowercaseAligned(ns);
  }

  normalizeString(text: string): string {
    const o = this.options;
    let s = text;
    const ascii = !NON_ASCII.test(s);
    if (o.cleanText)
      s = ascii ? s.replace(ASCII_DROP, '').replace(ASCII_SPACE, ' ') : s.replace(DROP, '').replace(SPACE, ' ');
    if (o.handleChineseChars && !ascii) s = s.replace(CJK, ' $& ');
    if (this.doStrip && !ascii) s = s.normalize('NFD').replace(MN_G, '');
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
