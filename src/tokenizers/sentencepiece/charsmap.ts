/**
 * SentencePiece's precompiled charsmap: the normalization rules (nmt_nfkc by default) compiled
 * into one blob, stored in `normalizer_spec.precompiled_charsmap` and, base64-encoded, in HF's
 * `Precompiled` normalizer.
 *
 *   blob = u32 LE trie_size | Darts double array (trie_size bytes) | NUL-terminated replacements
 *
 * The trie maps a UTF-8 byte sequence (the rule's source) to the offset of its replacement in the
 * string section. Normalization takes, at each position, the longest rule that matches.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { FormatError } from '../../core/errors.ts';
import { DoubleArray, type PrefixMatch } from './darts.ts';

export class PrecompiledCharsmap {
  private readonly trie: DoubleArray;
  private readonly strings: Uint8Array;
  /** replacement offset -> decoded text (rules are few; inputs hit the same ones repeatedly) */
  private readonly cache = new Map<number, string>();
  private readonly match: PrefixMatch = { length: 0, value: 0 };
  /** per BMP code unit: 1 if some rule starts with that character, 0 if none, -1 not yet known */
  private readonly starts = new Int8Array(65536).fill(-1);
  private readonly scratch = new Uint8Array(4);

  /** `file`/`field` name the blob's origin in errors. */
  constructor(
    readonly blob: Uint8Array,
    file = '<charsmap>',
    field = 'normalizer_spec.precompiled_charsmap',
  ) {
    if (blob.byteLength <= 4)
      throw new FormatError(file, `charsmap of ${blob.byteLength} bytes is too short for its header`, field);
    const trieSize = new DataView(blob.buffer, blob.byteOffset, 4).getUint32(0, true);
    if (trieSize > blob.byteLength - 4) {
      throw new FormatError(
        file,
        `charsmap trie size ${trieSize} exceeds the ${blob.byteLength - 4} bytes that follow the header`,
        field,
      );
    }
    if (trieSize % 4 !== 0) throw new FormatError(file, `charsmap trie size ${trieSize} is not a multiple of 4`, field);
    this.trie = DoubleArray.fromBytes(blob.subarray(4, 4 + trieSize));
    this.strings = blob.subarray(4 + trieSize);
  }

  /**
   * The longest rule matching `bytes[pos, end)`: sets `out.length` (bytes consumed, 0 = no rule)
   * and `out.text` (the replacement).
   */
  longestRule(bytes: Uint8Array, pos: number, end: number, out: { length: number; text: string }): void {
    const m = this.trie.longestPrefix(bytes, pos, end, this.match);
    out.length = m.length;
    out.text = m.length === 0 ? '' : this.replacement(m.value);
  }

  /**
   * The longest rule matching text[u, ...) (as UTF-8): returns its length in UTF-16 units (0 = no
   * rule, -1 = the rule ends inside a character) and sets `out.text` to the replacement.
   */
  longestRuleUtf16(text: string, u: number, out: { length: number; text: string }): number {
    const len = this.trie.longestPrefixUtf16(text, u, this.match);
    out.length = len;
    out.text = len > 0 ? this.replacement(this.match.value) : '';
    return len;
  }

  /** Whether some rule's source starts with the BMP character `unit` (cached). */
  mayStart(unit: number): boolean {
    let v = this.starts[unit]!;
    if (v < 0) {
      const n = Buffer.from(this.scratch.buffer, this.scratch.byteOffset, 4).write(String.fromCharCode(unit), 'utf8');
      v = this.trie.hasPath(this.scratch, 0, n) ? 1 : 0;
      this.starts[unit] = v;
    }
    return v === 1;
  }

  private replacement(offset: number): string {
    let text = this.cache.get(offset);
    if (text === undefined) {
      const s = this.strings;
      let e = Math.min(offset, s.length);
      while (e < s.length && s[e] !== 0) e++;
      // a hostile blob may hold invalid UTF-8 here: decoded leniently (U+FFFD), never thrown
      text = Buffer.from(s.buffer, s.byteOffset + Math.min(offset, s.length), e - Math.min(offset, s.length)).toString(
        'utf8',
      );
      this.cache.set(offset, text);
    }
    return text;
  }
}

let nmtNfkc: Uint8Array | null = null;

/**
 * SentencePiece's compiled `nmt_nfkc` rule (NFKC plus removal of control characters and mapping
 * of unusual spaces to ' '), extracted from a model trained by SentencePiece 0.1.97 (see
 * scripts/oracles/sentencepiece_fixtures.py). Trainers embed it in the models they write.
 */
export function nmtNfkcCharsmap(): Uint8Array {
  if (nmtNfkc === null) {
    const path = new URL('./data/nmt-nfkc.charsmap.gz', import.meta.url);
    nmtNfkc = new Uint8Array(gunzipSync(readFileSync(path)));
  }
  return nmtNfkc;
}
