/**
 * SentencePiece's normalizer (normalizer.cc), reproduced step for step because its whitespace
 * rules interact with the charsmap in ways a chain of separate normalizers only approximates:
 *
 *   1. at each position take the user-defined symbol, else the longest charsmap rule, else one
 *      character (a malformed byte becomes U+FFFD);
 *   2. remove_extra_whitespaces: drop leading pieces that normalize to exactly " ", drop the
 *      leading spaces of a piece when the previous piece ended with a space, and at the end drop
 *      trailing space symbols;
 *   3. add_dummy_prefix: prepend the space symbol (append it with treat_whitespace_as_suffix);
 *   4. escape_whitespaces: every ' ' becomes '▁' (U+2581).
 *
 * The rules match UTF-8 bytes, as SentencePiece does; `normToOrig` maps every UTF-16 unit of the
 * result (plus one past the end) to a UTF-16 offset in the input, as SentencePiece's norm_to_orig
 * does for bytes: a normalized unit maps to where the source piece that produced it began
 * ("consumed" before it).
 */
import type { PrecompiledCharsmap } from './charsmap.ts';
import type { PrefixMatcher } from './prefix-matcher.ts';

export const SPACE_SYMBOL = '\u2581';

/** Piece source for the whitespace pass: its length, NormalizePrefix, and units -> input offset. */
interface Source {
  n: number;
  prefix(pos: number, piece: { length: number; text: string }): void;
  orig(pos: number): number;
}

const NEEDS_BYTES = Symbol('needs bytes');

export interface NormalizerOptions {
  charsmap: PrecompiledCharsmap | null;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  treatWhitespaceAsSuffix?: boolean;
  /** User-defined symbols, copied through untouched. */
  userDefined?: PrefixMatcher | null;
}

export interface Normalized {
  normalized: string;
  /** length normalized.length + 1: UTF-16 offset in the input for each unit (and the end) */
  normToOrig: Int32Array;
}

export class SentencePieceNormalizer {
  readonly charsmap: PrecompiledCharsmap | null;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  userDefined: PrefixMatcher | null;
  private readonly rule = { length: 0, text: '' };
  private readonly piece = { length: 0, text: '' };

  constructor(options: NormalizerOptions) {
    this.charsmap = options.charsmap;
    this.addDummyPrefix = options.addDummyPrefix;
    this.removeExtraWhitespaces = options.removeExtraWhitespaces;
    this.escapeWhitespaces = options.escapeWhitespaces;
    this.treatWhitespaceAsSuffix = options.treatWhitespaceAsSuffix ?? false;
    this.userDefined = options.userDefined ?? null;
  }

  normalize(text: string): Normalized {
    const out = new Builder(true);
    const end = this.run(text, out);
    return { normalized: out.text(), normToOrig: out.alignment(end) };
  }

  /** Same text as `normalize(text).normalized`, without the alignment. */
  normalizeString(text: string): string {
    const out = new Builder(false);
    this.run(text, out);
    return out.text();
  }

  /** Runs the algorithm into `out`; returns the final "consumed" input offset (UTF-16). */
  private run(text: string, out: Builder): number {
    if (text.length === 0) return 0;
    try {
      return this.runUnits(text, out);
    } catch (err) {
      if (err !== NEEDS_BYTES) throw err;
      // a rule that ends inside a character (hostile charsmaps only): redo it byte by byte
      out.clear();
      return this.runWith(this.byteSource(text), out);
    }
  }

  /**
   * runWith over UTF-16 units, inlined for speed: characters no rule starts with are copied;
   * elsewhere the trie is walked along the UTF-8 encoding computed on the fly (the same matches
   * as over the bytes).
   */
  private runUnits(text: string, out: Builder): number {
    const n = text.length;
    const space = this.escapeWhitespaces ? SPACE_SYMBOL : ' ';
    const piece = this.piece;
    let pos = 0;
    if (this.removeExtraWhitespaces) {
      while (pos < n) {
        this.unitPrefix(text, pos, piece);
        if (piece.text !== ' ') break;
        pos += piece.length;
      }
    }
    if (pos === n) return pos;
    if (!this.treatWhitespaceAsSuffix && this.addDummyPrefix) out.push(space, pos);
    let isPrevSpace = this.removeExtraWhitespaces;
    while (pos < n) {
      // a run of characters that normalize to themselves goes in one piece
      const runEnd = this.plainRun(text, pos);
      if (runEnd > pos) {
        out.pushRun(text, pos, runEnd);
        isPrevSpace = false;
        pos = runEnd;
        continue;
      }
      this.unitPrefix(text, pos, piece);
      let sp = piece.text;
      if (isPrevSpace) {
        let k = 0;
        while (k < sp.length && sp.charCodeAt(k) === 32) k++;
        if (k > 0) sp = sp.slice(k);
      }
      if (sp.length > 0) {
        if (this.escapeWhitespaces && sp.includes(' ')) out.push(sp.replaceAll(' ', SPACE_SYMBOL), pos);
        else out.push(sp, pos);
        isPrevSpace = sp.charCodeAt(sp.length - 1) === 32;
      }
      pos += piece.length;
      if (!this.removeExtraWhitespaces) isPrevSpace = false;
    }
    let endOrig = pos;
    if (this.removeExtraWhitespaces) {
      while (out.endsWith(space)) endOrig = out.pop();
    }
    if (this.treatWhitespaceAsSuffix && this.addDummyPrefix) out.push(space, endOrig);
    return endOrig;
  }

  /**
   * End of the run of BMP characters from `u` that no rule or user-defined symbol starts with and
   * that are not ' ' (each is its own normalized piece); `u` if there is none.
   */
  private plainRun(text: string, u: number): number {
    const n = text.length;
    const cm = this.charsmap;
    const user = this.userDefined;
    let k = u;
    for (; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 32 || (c >= 0xd800 && c <= 0xdfff)) break;
      if (user !== null && user.match(text, k) > 0) break;
      if (cm !== null && cm.mayStart(c) && cm.longestRuleUtf16(text, k, this.rule) !== 0) break;
    }
    return k;
  }

  /** NormalizePrefix at UTF-16 offset u (throws NEEDS_BYTES for a rule ending inside a character). */
  private unitPrefix(text: string, u: number, piece: { length: number; text: string }): void {
    const user = this.userDefined;
    if (user !== null) {
      const m = user.match(text, u);
      if (m > 0) {
        piece.text = text.slice(u, u + m);
        piece.length = m;
        return;
      }
    }
    const n = text.length;
    const c = text.charCodeAt(u);
    const surrogate = c >= 0xd800 && c <= 0xdfff;
    const pair = surrogate && c <= 0xdbff && u + 1 < n && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00;
    const cm = this.charsmap;
    if (cm !== null && (surrogate || cm.mayStart(c))) {
      const len = cm.longestRuleUtf16(text, u, this.rule);
      if (len < 0) throw NEEDS_BYTES;
      if (len > 0) {
        piece.text = this.rule.text;
        piece.length = len;
        return;
      }
    }
    if (pair) {
      piece.text = text.slice(u, u + 2);
      piece.length = 2;
    } else {
      piece.text = surrogate ? '\ufffd' : text[u]!; // a lone surrogate has no UTF-8
      piece.length = 1;
    }
  }

  /** SentencePiece's Normalize over a source of normalized pieces. */
  private runWith(src: Source, out: Builder): number {
    const n = src.n;
    const space = this.escapeWhitespaces ? SPACE_SYMBOL : ' ';
    let pos = 0;
    const piece = { length: 0, text: '' };

    if (this.removeExtraWhitespaces) {
      while (pos < n) {
        src.prefix(pos, piece);
        if (piece.text !== ' ') break;
        pos += piece.length;
      }
    }
    if (pos === n) return src.orig(pos);

    if (!this.treatWhitespaceAsSuffix && this.addDummyPrefix) out.push(space, src.orig(pos));

    let isPrevSpace = this.removeExtraWhitespaces;
    while (pos < n) {
      src.prefix(pos, piece);
      let sp = piece.text;
      if (isPrevSpace) {
        let k = 0;
        while (k < sp.length && sp.charCodeAt(k) === 32) k++;
        if (k > 0) sp = sp.slice(k);
      }
      if (sp.length > 0) {
        const orig = src.orig(pos);
        if (this.escapeWhitespaces && sp.includes(' ')) out.push(sp.replaceAll(' ', SPACE_SYMBOL), orig);
        else out.push(sp, orig);
        isPrevSpace = sp.charCodeAt(sp.length - 1) === 32;
      }
      pos += piece.length;
      if (!this.removeExtraWhitespaces) isPrevSpace = false;
    }

    let endOrig = src.orig(pos);
    if (this.removeExtraWhitespaces) {
      // subtle: any trailing space symbol goes, including a literal '▁' from the input
      while (out.endsWith(space)) endOrig = out.pop();
    }
    if (this.treatWhitespaceAsSuffix && this.addDummyPrefix) out.push(space, endOrig);
    return endOrig;
  }

  /** Pieces over the UTF-8 bytes, exactly SentencePiece's NormalizePrefix (any charsmap). */
  private byteSource(text: string): Source {
    const bytes = Buffer.from(text, 'utf8');
    const b2u = byteToUnit(text, bytes.length);
    return {
      n: bytes.length,
      orig: (pos) => b2u[pos]!,
      prefix: (pos, piece) => this.prefix(text, bytes, b2u, pos, piece),
    };
  }

  /** SentencePiece's NormalizePrefix at byte `pos`: sets the piece's text and bytes consumed. */
  private prefix(
    text: string,
    bytes: Uint8Array,
    b2u: Int32Array,
    pos: number,
    piece: { length: number; text: string },
  ): void {
    const lead = bytes[pos]!;
    const charStart = (lead & 0xc0) !== 0x80;
    if (this.userDefined !== null && charStart) {
      const u = b2u[pos]!;
      const m = this.userDefined.match(text, u);
      if (m > 0) {
        piece.text = text.slice(u, u + m);
        piece.length = Buffer.byteLength(piece.text, 'utf8');
        return;
      }
    }
    if (this.charsmap !== null) {
      this.charsmap.longestRule(bytes, pos, bytes.length, this.rule);
      if (this.rule.length > 0) {
        piece.text = this.rule.text;
        piece.length = this.rule.length;
        return;
      }
    }
    if (!charStart) {
      // only after a hostile rule that ends inside a character
      piece.text = '\ufffd';
      piece.length = 1;
      return;
    }
    const len = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    const u = b2u[pos]!;
    const c = text.charCodeAt(u);
    if (c >= 0xd800 && c <= 0xdfff) {
      // a surrogate pair, or a lone surrogate (which UTF-8 encoding turned into U+FFFD)
      piece.text = len === 4 ? text.slice(u, u + 2) : '\ufffd';
    } else {
      piece.text = text[u]!;
    }
    piece.length = len;
  }
}

/** byte offset (0..n) of text's UTF-8 encoding -> UTF-16 offset of the character containing it */
export function byteToUnit(text: string, n: number): Int32Array {
  const b2u = new Int32Array(n + 1);
  let b = 0;
  for (let u = 0; u < text.length; u++) {
    const c = text.charCodeAt(u);
    if (c < 0x80) b2u[b++] = u;
    else if (c < 0x800) {
      b2u[b++] = u;
      b2u[b++] = u;
    } else if (c >= 0xd800 && c <= 0xdbff && u + 1 < text.length && (text.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
      b2u[b++] = u;
      b2u[b++] = u;
      b2u[b++] = u;
      b2u[b++] = u;
      u++;
    } else {
      b2u[b++] = u;
      b2u[b++] = u;
      b2u[b++] = u;
    }
  }
  b2u[n] = text.length;
  return b2u;
}

/** Accumulates normalized text and (optionally) one input offset per UTF-16 unit. */
class Builder {
  private parts: string[] = [];
  private length = 0;
  private orig: number[] = [];
  constructor(private readonly track: boolean) {}

  push(s: string, orig: number): void {
    this.parts.push(s);
    this.length += s.length;
    if (this.track) for (let i = 0; i < s.length; i++) this.orig.push(orig);
  }

  /** Appends text[a, b), each unit aligned to its own offset. */
  pushRun(text: string, a: number, b: number): void {
    this.parts.push(text.slice(a, b));
    this.length += b - a;
    if (this.track) for (let i = a; i < b; i++) this.orig.push(i);
  }

  endsWith(s: string): boolean {
    while (this.parts.length > 0 && this.parts[this.parts.length - 1]!.length === 0) this.parts.pop();
    const last = this.parts[this.parts.length - 1];
    if (last === undefined) return false;
    if (last.length >= s.length) return last.endsWith(s);
    return this.text().endsWith(s);
  }

  /** Removes the last unit (a BMP space symbol); returns the input offset it mapped to. */
  pop(): number {
    const i = this.parts.length - 1;
    const last = this.parts[i]!;
    this.parts[i] = last.slice(0, -1);
    this.length--;
    if (this.track) return this.orig.pop()!;
    return 0;
  }

  clear(): void {
    this.parts = [];
    this.length = 0;
    this.orig = [];
  }

  text(): string {
    if (this.parts.length !== 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }

  alignment(end: number): Int32Array {
    const a = new Int32Array(this.orig.length + 1);
    for (let i = 0; i < this.orig.length; i++) a[i] = this.orig[i]!;
    a[this.orig.length] = end;
    return a;
  }
}
