/**
 * A string being normalized, with its alignment to the ORIGINAL input, as in Hugging Face's
 * NormalizedString: for every UTF-16 unit i of `normalized`, [starts[i], ends[i]) is the span of
 * `original` it came from. Offsets are absolute UTF-16 indices into the full original input,
 * so `original.slice(start, end)` is the text a token came from, even for slices.
 *
 * Transformations work per code point: each code point becomes zero or more characters that
 * all inherit its span (lowercasing 'İ' -> 'i̇', byte-level mapping 'é' -> 'Ã©', accent removal).
 */

export class NormalizedString {
  constructor(
    /** The full input text (never changes). */
    readonly original: string,
    public normalized: string,
    /** Per UTF-16 unit of `normalized`: start of its source span in `original`. */
    public starts: Int32Array,
    /** Per UTF-16 unit of `normalized`: end of its source span in `original`. */
    public ends: Int32Array,
  ) {}

  /** Identity alignment over `text[offset, offset + text.length)` of `original`. */
  static from(text: string, original = text, offset = 0): NormalizedString {
    const n = text.length;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    // a surrogate pair maps both units to the whole pair so a token never splits it
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          starts[i] = starts[i + 1] = offset + i;
          ends[i] = ends[i + 1] = offset + i + 2;
          i++;
          continue;
        }
      }
      starts[i] = offset + i;
      ends[i] = offset + i + 1;
    }
    return new NormalizedString(original, text, starts, ends);
  }

  get length(): number {
    return this.normalized.length;
  }

  isEmpty(): boolean {
    return this.normalized.length === 0;
  }

  /**
   * A sub-range [start, end) of the normalized text (UTF-16 indices), keeping absolute alignment.
   * The alignment arrays are views (no copy): transformations always replace the arrays, never
   * write into them.
   */
  slice(start: number, end: number): NormalizedString {
    return new NormalizedString(
      this.original,
      this.normalized.slice(start, end),
      this.starts.subarray(start, end),
      this.ends.subarray(start, end),
    );
  }

  /** Maps a normalized range to the original span it covers: [min start, max end). */
  originalRange(start: number, end: number): [number, number] {
    const n = this.normalized.length;
    if (n === 0) return [0, 0];
    if (start >= end) {
      const p = start < n ? this.starts[start]! : this.ends[n - 1]!;
      return [p, p];
    }
    let lo = this.starts[start]!;
    let hi = this.ends[end - 1]!;
    // alignments are monotone except inside transformed clusters; widen over the range
    for (let i = start; i < end; i++) {
      const s = this.starts[i]!;
      const e = this.ends[i]!;
      if (s < lo) lo = s;
      if (e > hi) hi = e;
    }
    return [lo, hi];
  }

  /** Span of `original` covered by the whole normalized text. */
  originalSpan(): [number, number] {
    return this.originalRange(0, this.normalized.length);
  }

  /**
   * Rebuilds the string code point by code point: `fn(cp, index)` returns the replacement text
   * (any length, '' deletes) which inherits the span of the code point.
   */
  mapCodePoints(fn: (cp: string, index: number) => string): this {
    const s = this.normalized;
    let b: AlignmentBuilder | null = null;
    let runStart = 0; // start of the current run of unchanged characters
    for (let i = 0; i < s.length;) {
      const c = s.charCodeAt(i);
      const w = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1)) ? 2 : 1;
      const cp = w === 1 ? s[i]! : s.slice(i, i + 2);
      const r = fn(cp, i);
      if (r !== cp) {
        b ??= new AlignmentBuilder(s.length);
        b.pushRange(this, runStart, i);
        b.push(r, this.starts[i]!, this.ends[i + w - 1]!);
        runStart = i + w;
      }
      i += w;
    }
    if (b === null) return this; // nothing changed
    b.pushRange(this, runStart, s.length);
    return this.assign(b);
  }

  /**
   * Replaces every match of a global regex by `replace(match)` (same span rules as
   * replaceRanges); faster than mapCodePoints when few characters change.
   */
  replaceMatches(re: RegExp, replace: (match: string) => string): this {
    const edits: [number, number, string][] = [];
    const s = this.normalized;
    re.lastIndex = 0;
    for (let m = re.exec(s); m !== null; m = re.exec(s)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const r = replace(m[0]);
      if (r !== m[0]) edits.push([m.index, m.index + m[0].length, r]);
    }
    re.lastIndex = 0;
    return this.replaceRanges(edits);
  }

  /**
   * Replaces the normalized ranges in `edits` (sorted, non-overlapping [start, end, text]) and keeps
   * the rest. Replacement text gets the span of the range it replaces (or, for an insertion at
   * position p, the span of the unit at p, else of the unit before).
   */
  replaceRanges(edits: readonly (readonly [number, number, string])[]): this {
    if (edits.length === 0) return this;
    const b = new AlignmentBuilder(this.normalized.length);
    let pos = 0;
    for (const [start, end, text] of edits) {
      b.pushRange(this, pos, start);
      if (text.length > 0) {
        const [lo, hi] = this.insertionSpan(start, end);
        b.push(text, lo, hi);
      }
      pos = end;
    }
    b.pushRange(this, pos, this.normalized.length);
    return this.assign(b);
  }

  private insertionSpan(start: number, end: number): [number, number] {
    const n = this.normalized.length;
    if (end > start) return this.originalRange(start, end);
    if (n === 0) return [0, 0];
    if (start < n) return [this.starts[start]!, this.ends[start]!];
    return [this.starts[n - 1]!, this.ends[n - 1]!];
  }

  /** Prepends text aligned to the first character (HF `prepend`); no-op on an empty string. */
  prepend(text: string): this {
    if (this.normalized.length === 0 || text.length === 0) return this;
    return this.replaceRanges([[0, 0, text]]);
  }

  /** Appends text aligned to the last character; no-op on an empty string. */
  append(text: string): this {
    const n = this.normalized.length;
    if (n === 0 || text.length === 0) return this;
    return this.replaceRanges([[n, n, text]]);
  }

  /** Removes leading/trailing whitespace (JS White_Space) from the normalized text. */
  strip(left: boolean, right: boolean): this {
    const s = this.normalized;
    let a = 0;
    let b = s.length;
    if (left) while (a < b && isWhiteSpace(s.charCodeAt(a))) a++;
    if (right) while (b > a && isWhiteSpace(s.charCodeAt(b - 1))) b--;
    if (a === 0 && b === s.length) return this;
    this.normalized = s.slice(a, b);
    this.starts = this.starts.subarray(a, b);
    this.ends = this.ends.subarray(a, b);
    return this;
  }

  private assign(b: AlignmentBuilder): this {
    const [text, starts, ends] = b.finish();
    this.normalized = text;
    this.starts = starts;
    this.ends = ends;
    return this;
  }
}

/** Accumulates normalized text with one (start, end) original span per UTF-16 unit. */
export class AlignmentBuilder {
  private parts: string[] = [];
  private s: Int32Array;
  private e: Int32Array;
  private n = 0;

  constructor(capacity = 16) {
    this.s = new Int32Array(Math.max(16, capacity));
    this.e = new Int32Array(Math.max(16, capacity));
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.s.length) return;
    const cap = Math.max(need, this.s.length * 2);
    const s = new Int32Array(cap);
    const e = new Int32Array(cap);
    s.set(this.s.subarray(0, this.n));
    e.set(this.e.subarray(0, this.n));
    this.s = s;
    this.e = e;
  }

  /** Text whose every unit gets the span [start, end). */
  push(text: string, start: number, end: number): void {
    if (text.length === 0) return;
    this.reserve(text.length);
    this.parts.push(text);
    this.s.fill(start, this.n, this.n + text.length);
    this.e.fill(end, this.n, this.n + text.length);
    this.n += text.length;
  }

  pushUnit(code: number, start: number, end: number): void {
    this.push(String.fromCharCode(code), start, end);
  }

  /** Units [from, to) of `src`, with their own spans (bulk copy). */
  pushRange(src: NormalizedString, from: number, to: number): void {
    if (to <= from) return;
    this.reserve(to - from);
    this.parts.push(src.normalized.slice(from, to));
    this.s.set(src.starts.subarray(from, to), this.n);
    this.e.set(src.ends.subarray(from, to), this.n);
    this.n += to - from;
  }

  finish(): [string, Int32Array, Int32Array] {
    return [this.parts.join(''), this.s.slice(0, this.n), this.e.slice(0, this.n)];
  }
}

export function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Unicode White_Space (what Rust's char::is_whitespace and `\s` in the tokenizers crate use). */
export function isWhiteSpace(c: number): boolean {
  return (
    (c >= 9 && c <= 13) ||
    c === 32 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}
