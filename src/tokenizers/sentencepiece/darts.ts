/**
 * A reader for Darts-clone double-array tries, the format of SentencePiece's precompiled
 * charsmap (and of HF's `Precompiled` normalizer, which stores the same bytes).
 *
 * Each unit is a little-endian uint32:
 *   bit 8        has_leaf: a key ends here; the value sits in unit[offset ^ 0]
 *   bit 9        offset scale (offset << 8 when set)
 *   bits 10..31  offset to the children block (XOR addressing: child = pos ^ offset ^ label)
 *   bits 0..7    label of the edge leading to this unit; bit 31 set on value units
 *   value unit   bits 0..30 hold the value
 *
 * Files are untrusted: every index is bounds-checked and an out-of-range jump simply ends the
 * search (no match), so a hostile trie can neither crash nor loop (a search walks at most one
 * unit per key byte).
 */

export interface PrefixMatch {
  /** Length of the longest key that is a prefix of the input, in bytes (0 = none). */
  length: number;
  /** Its value. */
  value: number;
}

export class DoubleArray {
  constructor(readonly units: Uint32Array) {}

  /** Builds from the raw little-endian bytes (length must be a multiple of 4). */
  static fromBytes(bytes: Uint8Array): DoubleArray {
    const n = bytes.byteLength >>> 2;
    const units = new Uint32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, n * 4);
    for (let i = 0; i < n; i++) units[i] = view.getUint32(i * 4, true);
    return new DoubleArray(units);
  }

  /**
   * The longest key that is a prefix of `key[start, end)`: SentencePiece's commonPrefixSearch
   * keeping the longest of the first 32 results (it stores no more). Writes into `out`.
   */
  longestPrefix(key: Uint8Array, start: number, end: number, out: PrefixMatch): PrefixMatch {
    out.length = 0;
    out.value = 0;
    const units = this.units;
    const size = units.length;
    if (size === 0) return out;
    let unit = units[0]!;
    let pos = offsetOf(unit); // root: pos 0 ^ offset
    let found = 0;
    for (let i = start; i < end; i++) {
      const label = key[i]!;
      pos ^= label;
      if (pos >= size) return out;
      unit = units[pos]!;
      // label(): unit & ((1 << 31) | 0xff) must equal the byte
      if ((unit & 0x800000ff) >>> 0 !== label) return out;
      pos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        if (pos >= size) return out;
        if (found++ < MAX_RESULTS) {
          out.length = i - start + 1;
          out.value = units[pos]! & 0x7fffffff;
        }
      }
    }
    return out;
  }

  /**
   * longestPrefix over the UTF-8 encoding of text[u, ...), encoded on the fly: returns the match
   * length in UTF-16 units (0: none) and sets out.value; returns -1 if the longest match ends
   * inside a character (only hostile tries have such keys). A lone surrogate reads as U+FFFD.
   */
  longestPrefixUtf16(text: string, u: number, out: PrefixMatch): number {
    out.length = 0;
    out.value = 0;
    const units = this.units;
    const size = units.length;
    if (size === 0) return 0;
    const n = text.length;
    let pos = offsetOf(units[0]!);
    let found = 0;
    let best = 0;
    for (let k = u; k < n;) {
      let cp = text.charCodeAt(k);
      let w = 1;
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const d = k + 1 < n ? text.charCodeAt(k + 1) : 0;
        if (cp <= 0xdbff && (d & 0xfc00) === 0xdc00) {
          cp = ((cp - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
          w = 2;
        } else cp = 0xfffd;
      }
      const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      for (let j = 0; j < nb; j++) {
        const label =
          nb === 1
            ? cp
            : j === 0
              ? nb === 2
                ? 0xc0 | (cp >> 6)
                : nb === 3
                  ? 0xe0 | (cp >> 12)
                  : 0xf0 | (cp >> 18)
              : 0x80 | ((cp >> (6 * (nb - 1 - j))) & 0x3f);
        pos ^= label;
        if (pos >= size) return best;
        const unit = units[pos]!;
        if ((unit & 0x800000ff) >>> 0 !== label) return best;
        pos ^= offsetOf(unit);
        if ((unit >>> 8) & 1) {
          if (pos >= size) return best;
          if (found++ < MAX_RESULTS) {
            best = j === nb - 1 ? k + w - u : -1;
            out.length = best;
            out.value = units[pos]! & 0x7fffffff;
          }
        }
      }
      k += w;
    }
    return best;
  }

  /** Whether some key starts with `key[start, end)` (the walk along those bytes succeeds). */
  hasPath(key: Uint8Array, start: number, end: number): boolean {
    const units = this.units;
    const size = units.length;
    if (size === 0) return false;
    let pos = offsetOf(units[0]!);
    for (let i = start; i < end; i++) {
      const label = key[i]!;
      pos ^= label;
      if (pos >= size) return false;
      const unit = units[pos]!;
      if ((unit & 0x800000ff) >>> 0 !== label) return false;
      pos ^= offsetOf(unit);
    }
    return true;
  }
}

const MAX_RESULTS = 32;

function offsetOf(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}
