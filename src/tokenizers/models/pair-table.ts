/**
 * An open-addressing hash table from a pair of token ids (a, b) to (rank, merged id): the BPE
 * merge lookup without string keys or boxed numbers. Each slot is four consecutive int32s
 * (a, b, rank, merged) in one array, so a probe touches one cache line (GPT-2's 50,000 merges
 * make a 2 MB table, larger than L2: with four separate arrays a lookup missed three lines).
 * a = -1 marks an empty slot.
 */

const EMPTY = -1;

export class PairTable {
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = PairTable.emptySlots(cap);
  }

  private static emptySlots(cap: number): Int32Array {
    const s = new Int32Array(4 * cap);
    for (let i = 0; i < s.length; i += 4) s[i] = EMPTY;
    return s;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d);
  }

  /** Slot of (a, b), or -1. */
  find(a: number, b: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = PairTable.hash(a, b) & mask;
    for (;;) {
      const k = slots[4 * i]!;
      if (k === EMPTY) return -1;
      if (k === a && slots[4 * i + 1] === b) return i;
      i = (i + 1) & mask;
    }
  }

  /** Rank of (a, b), or 0x7fffffff when the pair never merges. */
  rank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? 0x7fffffff : this.slots[4 * s + 2]!;
  }

  rankAt(slot: number): number {
    return this.slots[4 * slot + 2]!;
  }

  mergedAt(slot: number): number {
    return this.slots[4 * slot + 3]!;
  }

  /** Inserts (a, b) unless present (the first insertion, i.e. the best rank, wins). */
  set(a: number, b: number, rank: number, merged: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const slots = this.slots;
    let i = PairTable.hash(a, b) & this.mask;
    for (;;) {
      const k = slots[4 * i]!;
      if (k === EMPTY) break;
      if (k === a && slots[4 * i + 1] === b) return;
      i = (i + 1) & this.mask;
    }
    slots[4 * i] = a;
    slots[4 * i + 1] = b;
    slots[4 * i + 2] = rank;
    slots[4 * i + 3] = merged;
    this.size++;
  }

  /**
   * set(a, b, rank, merged) for every (a, b, merged) triple, the rank being its index: one call
   * with the insert written out (it runs once per process on 50,000 merges, mostly before the JIT).
   */
  setAll(triples: Int32Array): void {
    const n = Math.floor(triples.length / 3);
    while ((this.size + n) * 2 > this.mask + 1) this.grow();
    const { slots, mask } = this;
    for (let r = 0; r < n; r++) {
      const a = triples[3 * r]!;
      const b = triples[3 * r + 1]!;
      let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
      h ^= h >>> 15;
      let i = Math.imul(h, 0x2c1b3c6d) & mask;
      let k = slots[4 * i]!;
      while (k !== EMPTY && !(k === a && slots[4 * i + 1] === b)) {
        i = (i + 1) & mask;
        k = slots[4 * i]!;
      }
      if (k !== EMPTY) continue; // present: the first insertion (the best rank) wins
      slots[4 * i] = a;
      slots[4 * i + 1] = b;
      slots[4 * i + 2] = r;
      slots[4 * i + 3] = triples[3 * r + 2]!;
      this.size++;
    }
  }

  private grow(): void {
    const old = this.slots;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.slots = PairTable.emptySlots(cap);
    this.size = 0;
    for (let i = 0; i < old.length; i += 4)
      if (old[i] !== EMPTY) this.set(old[i]!, old[i + 1]!, old[i + 2]!, old[i + 3]!);
  }
}
