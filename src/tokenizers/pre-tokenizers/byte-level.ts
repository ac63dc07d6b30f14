/**
 * GPT-2's byte-level pre-tokenizer (HF ByteLevel): optionally add a leading space, split with
 * the GPT-2 regex, then replace every UTF-8 byte by its stand-in character (byte-alphabet.ts),
 * each stand-in aligned to the character it came from.
 */
import type { JsonObject } from '../config-reader.ts';
import type { PreTokenizer } from '../interfaces.ts';
import { AlignmentBuilder, type NormalizedString } from '../normalized-string.ts';
import { coverMatches, regexMatches, splitWithBehavior, type PreTokenizedString } from '../pre-tokenized-string.ts';
import { BYTE_TO_CHAR, toByteLevel } from '../byte-alphabet.ts';
import { compilePattern, GPT2_PATTERN } from './patterns.ts';

const encoder = new TextEncoder();

/** Maps a NormalizedString to byte-level characters in place, keeping alignment. */
export function byteLevelMap(ns: NormalizedString): void {
  const s = ns.normalized;
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || BYTE_TO_CHAR[c]!.charCodeAt(0) !== c) {
      ascii = false;
      break;
    }
  }
  if (ascii) return; // printable ASCII maps to itself
  const b = new AlignmentBuilder();
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    const bytes = encoder.encode(s.slice(i, i + w));
    let t = '';
    for (const x of bytes) t += BYTE_TO_CHAR[x]!;
    b.push(t, ns.starts[i]!, ns.ends[i + w - 1]!);
    i += w;
  }
  const [text, starts, ends] = b.finish();
  ns.normalized = text;
  ns.starts = starts;
  ns.ends = ends;
}

export interface ByteLevelOptions {
  addPrefixSpace: boolean;
  trimOffsets: boolean;
  useRegex: boolean;
}

export class ByteLevel implements PreTokenizer {
  readonly type = 'ByteLevel';
  readonly options: ByteLevelOptions;
  private readonly re = compilePattern(GPT2_PATTERN);

  constructor(options: Partial<ByteLevelOptions> = {}) {
    this.options = { addPrefixSpace: true, trimOffsets: true, useRegex: true, ...options };
  }

  preTokenize(pts: PreTokenizedString): void {
    pts.split((_, ns) => {
      if (this.options.addPrefixSpace && !ns.normalized.startsWith(' ')) ns.prepend(' ');
      if (!this.options.useRegex) return [ns];
      return splitWithBehavior(ns, coverMatches(ns.length, regexMatches(this.re, ns.normalized)), 'Isolated');
    });
    pts.normalize(byteLevelMap);
  }

  /** Raw (not yet byte-mapped) pieces; used by the fast path too. */
  rawPieces(text: string): string[] {
    const s = this.options.addPrefixSpace && text.length > 0 && !text.startsWith(' ') ? ' ' + text : text;
    if (!this.options.useRegex) return s.length > 0 ? [s] : [];
    return s.match(this.re) ?? [];
  }

  preTokenizeString(text: string): string[] {
    return this.rawPieces(text).map(toByteLevel);
  }

  toJSON(): JsonObject {
    const o = this.options;
    return { type: this.type, add_prefix_space: o.addPrefixSpace, trim_offsets: o.trimOffsets, use_regex: o.useRegex };
  }
}
