/**
 * std::priority_queue as libstdc++ implements it (push_heap / pop_heap with __adjust_heap), so
 * hypotheses with equal scores leave the A* agenda in the same order as in SentencePiece.
 */
export class StdHeap<T> {
  private items: T[] = [];
  /** `less(a, b)`: a has lower priority than b */
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  push(x: T): void {
    this.items.push(x);
    this.siftUp(this.items.length - 1, 0, x);
  }

  pop(): T | undefined {
    const a = this.items;
    const n = a.length;
    if (n === 0) return undefined;
    const top = a[0]!;
    if (n > 1) {
      const value = a[n - 1]!;
      a[n - 1] = top;
      this.adjust(0, n - 1, value);
    }
    a.pop();
    return top;
  }

  /** Keeps the `k` greatest items (SentencePiece's agenda shrinking). */
  keepTop(k: number): void {
    const kept: T[] = [];
    for (let i = 0; i < k && this.items.length > 0; i++) kept.push(this.pop()!);
    this.items = [];
    for (const x of kept) this.push(x);
  }

  private siftUp(hole: number, top: number, value: T): void {
    const a = this.items;
    let parent = (hole - 1) >> 1;
    while (hole > top && this.less(a[parent]!, value)) {
      a[hole] = a[parent]!;
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    a[hole] = value;
  }

  private adjust(hole: number, len: number, value: T): void {
    const a = this.items;
    const top = hole;
    let child = hole;
    while (child < (len - 1) >> 1) {
      child = 2 * (child + 1);
      if (this.less(a[child]!, a[child - 1]!)) child--;
      a[hole] = a[child]!;
      hole = child;
    }
    if ((len & 1) === 0 && child === (len - 2) >> 1) {
      child = 2 * (child + 1);
      a[hole] = a[child - 1]!;
      hole = child - 1;
    }
    this.siftUp(hole, top, value);
  }
}
