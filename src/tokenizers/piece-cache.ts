/**
 * A cache from pre-token text to its ids that is probed with a range of a larger string
 * (text[start, end)) and a hash computed by the caller, so a hit allocates nothing: no
 * substring, no boxed array. Open addressing; ids live in one Int32Array pool. When half
 * full it is cleared (word frequencies are Zipfian: the hot words come back at once).
 */

/** FNV-1a over the UTF-16 units of text[start, end). */
export function hashRange(text: string, start: number, end: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

export class PieceCache {
  private keys: (string | undefined)[];
  private hashes: Int32Array;
  private offsets: Int32Array;
  private lengths: Int32Array;
  private pool: Int32Array;
  private poolUsed = 0;
  private size = 0;
  private readonly mask: number;

  constructor(capacityPow2 = 1 << 17) {
    this.mask = capacityPow2 - 1;
    this.keys = new Array<string | undefined>(capacityPow2);
    this.hashes = new Int32Array(capacityPow2);
    this.offsets = new Int32Array(capacityPow2);
    this.lengths = new Int32Array(capacityPow2);
    this.pool = new Int32Array(capacityPow2 * 4);
  }

  /** Appends the cached ids of text[start, end) to `out`; false on a miss. */
  get(text: string, start: number, end: number, h: number, out: number[]): boolean {
    const len = end - start;
    let i = h & this.mask;
    for (;;) {
      const k = this.keys[i];
      if (k === undefined) return false;
      if (this.hashes[i] === h && k.length === len && text.startsWith(k, start)) {
        const o = this.offsets[i]!;
        const n = this.lengths[i]!;
        const pool = this.pool;
        for (let j = 0; j < n; j++) out.push(pool[o + j]!);
        return true;
      }
      i = (i + 1) & this.mask;
    }
  }

  set(key: string, h: number, ids: ArrayLike<number>, from: number, to: number): void {
    const n = to - from;
    if (this.size * 2 >= this.mask + 1 || this.poolUsed + n > this.pool.length) this.clear();
    if (n > this.pool.length) return;
    let i = h & this.mask;
    while (this.keys[i] !== undefined) i = (i + 1) & this.mask;
    this.keys[i] = key;
    this.hashes[i] = h;
    this.offsets[i] = this.poolUsed;
    this.lengths[i] = n;
    for (let j = 0; j < n; j++) this.pool[this.poolUsed + j] = ids[from + j]!;
    this.poolUsed += n;
    this.size++;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.poolUsed = 0;
    this.size = 0;
  }
}
