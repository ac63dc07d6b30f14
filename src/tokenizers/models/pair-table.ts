/**
 * An open-addressing hash table from a pair of token ids (a, b) to (rank, merged id): the BPE
 * merge lookup without string keys or boxed numbers. Keys are two int32 arrays; -1 marks empty.
 */

export class PairTable {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private ranks: Int32Array;
  private merged: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d);
  }

  /** Slot of (a, b), or -1. */
  find(a: number, b: number): number {
    const keysA = this.keysA;
    const keysB = this.keysB;
    const mask = this.mask;
    let i = PairTable.hash(a, b) & mask;
    for (;;) {
      const k = keysA[i]!;
      if (k === -1) return -1;
      if (k === a && keysB[i] === b) return i;
      i = (i + 1) & mask;
    }
  }

  /** Rank of (a, b), or 0x7fffffff when the pair never merges. */
  rank(a: number, b: number): number {
    const s = this.find(a, b);
    return s < 0 ? 0x7fffffff : this.ranks[s]!;
  }

  rankAt(slot: number): number {
    return this.ranks[slot]!;
  }

  mergedAt(slot: number): number {
    return this.merged[slot]!;
  }

  /** Inserts (a, b) unless present (the first insertion, i.e. the best rank, wins). */
  set(a: number, b: number, rank: number, merged: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    let i = PairTable.hash(a, b) & this.mask;
    for (;;) {
      const k = this.keysA[i]!;
      if (k === -1) break;
      if (k === a && this.keysB[i] === b) return;
      i = (i + 1) & this.mask;
    }
    this.keysA[i] = a;
    this.keysB[i] = b;
    this.ranks[i] = rank;
    this.merged[i] = merged;
    this.size++;
  }

  private grow(): void {
    const { keysA, keysB, ranks, merged } = this;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.merged = new Int32Array(cap);
    this.size = 0;
    for (let i = 0; i < keysA.length; i++) if (keysA[i] !== -1) this.set(keysA[i]!, keysB[i]!, ranks[i]!, merged[i]!);
  }
}
