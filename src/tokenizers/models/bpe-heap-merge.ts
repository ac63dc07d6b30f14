/**
 * BPE's heap merge (HF `Word::merge_all`): the symbols form a linked list, candidate pairs wait in
 * a min-heap keyed rank * 2^31 + position, so the lowest rank merges first and ties go to the
 * leftmost pair; entries made stale by earlier merges are skipped when popped. O(n log n), so
 * adversarial words (a million spaces) stay fast. The ids-only path (long words) and the path
 * with offsets and dropout run this one loop, so they cannot disagree on the merge order.
 */
import type { Generator } from '../../core/random.ts';
import type { PairTable } from './pair-table.ts';

/** PairTable.rank of a pair that never merges. */
export const NO_RANK = 0x7fffffff;

/**
 * Merges sym[0, n) in place and returns the links of the surviving symbols: they are 0, next[0],
 * next[next[0]], ... up to -1 (for n >= 1). With `end`, a merged symbol takes its right
 * neighbour's end offset. With dropout > 0, each popped merge is skipped with that probability
 * (drawn from rng) and its entry re-queued after the next merge that happens (HF BPE dropout).
 */
export function heapMerge(
  pairs: PairTable,
  sym: Int32Array,
  n: number,
  end: Int32Array | null = null,
  dropout = 0,
  rng?: Generator,
): Int32Array {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new MinHeap(n);
  for (let i = 0; i + 1 < n; i++) {
    const r = pairs.rank(sym[i]!, sym[i + 1]!);
    if (r !== NO_RANK) heap.push(r, i);
  }
  const dead = new Uint8Array(n);
  const skipped: number[] = [];
  while (heap.size > 0) {
    const key = heap.pop();
    if (dropout > 0) {
      if (rng!.random() < dropout) {
        skipped.push(key);
        continue;
      }
      for (const k of skipped) heap.pushKey(k);
      skipped.length = 0;
    }
    const rank = Math.floor(key / 2147483648);
    const pos = key - rank * 2147483648;
    if (dead[pos] === 1) continue;
    const nx = next[pos]!;
    if (nx < 0) continue;
    const slot = pairs.find(sym[pos]!, sym[nx]!);
    if (slot < 0 || pairs.rankAt(slot) !== rank) continue; // stale entry
    sym[pos] = pairs.mergedAt(slot);
    if (end !== null) end[pos] = end[nx]!;
    dead[nx] = 1;
    const nn = next[nx]!;
    next[pos] = nn;
    if (nn >= 0) prev[nn] = pos;
    const pv = prev[pos]!;
    if (pv >= 0) {
      const r = pairs.rank(sym[pv]!, sym[pos]!);
      if (r !== NO_RANK) heap.push(r, pv);
    }
    if (nn >= 0) {
      const r = pairs.rank(sym[pos]!, sym[nn]!);
      if (r !== NO_RANK) heap.push(r, pos);
    }
  }
  return next;
}

/** A binary min-heap of keys rank * 2^31 + position (exact in a double for rank < 2^22). */
class MinHeap {
  private keys: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.keys = new Float64Array(Math.max(4, capacity));
  }
  push(rank: number, pos: number): void {
    this.pushKey(rank * 2147483648 + pos);
  }
  pushKey(key: number): void {
    if (this.size === this.keys.length) {
      const k = new Float64Array(this.keys.length * 2);
      k.set(this.keys);
      this.keys = k;
    }
    const keys = this.keys;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= key) break;
      keys[i] = keys[p]!;
      i = p;
    }
    keys[i] = key;
  }
  pop(): number {
    const keys = this.keys;
    const top = keys[0]!;
    const last = keys[--this.size]!;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && keys[r]! < keys[l]! ? r : l;
      if (keys[c]! >= last) break;
      keys[i] = keys[c]!;
      i = c;
    }
    if (n > 0) keys[i] = last;
    return top;
  }
}
