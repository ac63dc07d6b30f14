/**
 * A token -> id vocabulary held as one block of UTF-16 code units with a hash index, instead of
 * one JavaScript string per token in a Map. Building GPT-2's 50,257 strings and their Map costs
 * tens of milliseconds and a few garbage collections at start-up; this form is built from the
 * tokenizer cache (formats/tokenizer-cache.ts) with typed-array loops only, answers `get(token)`
 * and `tokenOf(id)` directly, and makes the Map and the id -> token array only when asked.
 */

/** FNV-1a over UTF-16 code units (`validated` computes the same over the packed units). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class PackedVocab {
  /** Number of tokens. */
  readonly size: number;
  /** The largest id (-1 when empty); ids run over [0, maxId] with possible holes. */
  readonly maxId: number;
  /** id -> start of its token in `units`, -1 for an id without a token. */
  readonly startOfId: Int32Array;
  /** id -> end of its token in `units`. */
  readonly endOfId: Int32Array;
  private readonly table: Int32Array;
  private readonly mask: number;
  private text: string | undefined;

  /**
   * @param ids    entry -> id, entries in the vocabulary's order
   * @param ends   entry -> end of its token in `units` (each token starts where the previous ends)
   * @param units  all tokens' UTF-16 code units
   * Use `PackedVocab.validated` for data that is not known to be consistent.
   */
  private constructor(
    private readonly ids: Int32Array,
    private readonly ends: Uint32Array,
    readonly units: Uint16Array,
    maxId: number,
    startOfId: Int32Array,
    endOfId: Int32Array,
    table: Int32Array,
  ) {
    this.size = ids.length;
    this.maxId = maxId;
    this.startOfId = startOfId;
    this.endOfId = endOfId;
    this.table = table;
    this.mask = table.length - 1;
  }

  /**
   * The vocabulary of (ids, ends, units), or null unless: ids are distinct integers in
   * [0, maxVocab), ends never decrease and the last is units.length, and tokens are distinct.
   * (Loops are written out, without calls: this runs once per process, mostly before the JIT.)
   */
  static validated(ids: Int32Array, ends: Uint32Array, units: Uint16Array, maxVocab: number): PackedVocab | null {
    const n = ids.length;
    if (ends.length !== n || (n === 0 ? units.length !== 0 : ends[n - 1] !== units.length)) return null;
    let maxId = -1;
    for (let e = 0; e < n; e++) {
      const id = ids[e]!;
      if (id < 0 || id >= maxVocab) return null;
      if (id > maxId) maxId = id;
    }
    const startOfId = new Int32Array(maxId + 1).fill(-1);
    const endOfId = new Int32Array(maxId + 1);
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    const table = new Int32Array(cap).fill(-1);
    const mask = cap - 1;
    let start = 0;
    for (let e = 0; e < n; e++) {
      const id = ids[e]!;
      const end = ends[e]!;
      if (end < start || startOfId[id] !== -1) return null;
      startOfId[id] = start;
      endOfId[id] = end;
      const len = end - start;
      let h = 0x811c9dc5;
      for (let i = start; i < end; i++) h = Math.imul(h ^ units[i]!, 0x01000193);
      for (let slot = (h >>> 0) & mask; ; slot = (slot + 1) & mask) {
        const other = table[slot]!;
        if (other === -1) {
          table[slot] = e;
          break;
        }
        const os = other === 0 ? 0 : ends[other - 1]!;
        if (ends[other]! - os !== len) continue;
        let k = 0;
        while (k < len && units[os + k] === units[start + k]) k++;
        if (k === len) return null; // the same token twice
      }
      start = end;
    }
    return new PackedVocab(ids, ends, units, maxId, startOfId, endOfId, table);
  }

  /** Start of the token of `id` in `units`, or -1 when `id` has no token. */
  startOf(id: number): number {
    return id >= 0 && id <= this.maxId ? this.startOfId[id]! : -1;
  }

  get(token: string): number | undefined {
    const units = this.units;
    const ends = this.ends;
    const len = token.length;
    for (let slot = hashString(token) & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = this.table[slot]!;
      if (e === -1) return undefined;
      const s = e === 0 ? 0 : ends[e - 1]!;
      if (ends[e]! - s !== len) continue;
      let k = 0;
      while (k < len && units[s + k] === token.charCodeAt(k)) k++;
      if (k === len) return this.ids[e]!;
    }
  }

  /** All tokens as one string (decoded once), which tokenOf slices. */
  private allText(): string {
    return (this.text ??= Buffer.from(this.units.buffer, this.units.byteOffset, this.units.byteLength).toString(
      'utf16le',
    ));
  }

  tokenOf(id: number): string | undefined {
    const start = this.startOf(id);
    return start < 0 ? undefined : this.allText().slice(start, this.endOfId[id]!);
  }

  /** token -> id, in the vocabulary's order. */
  toMap(): Map<string, number> {
    const text = this.allText();
    const m = new Map<string, number>();
    let start = 0;
    for (let e = 0; e < this.size; e++) {
      const end = this.ends[e]!;
      m.set(text.slice(start, end), this.ids[e]!);
      start = end;
    }
    return m;
  }

  /** id -> token (holes undefined). */
  toArray(): (string | undefined)[] {
    const text = this.allText();
    const r = new Array<string | undefined>(this.maxId + 1);
    let start = 0;
    for (let e = 0; e < this.size; e++) {
      const end = this.ends[e]!;
      r[this.ids[e]!] = text.slice(start, end);
      start = end;
    }
    return r;
  }
}
