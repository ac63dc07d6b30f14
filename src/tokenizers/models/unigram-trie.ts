/**
 * A trie over UTF-16 code units mapping pieces to ids, for the lattice's common-prefix search
 * (SentencePiece uses a Darts double array over UTF-8 bytes; the matches, at character
 * boundaries, are the same).
 *
 * Nodes are integers (0 = root). Root edges sit in a direct 64K table; deeper edges in one
 * open-addressing hash keyed by (node, unit), which keeps a 1M-piece seed vocabulary compact.
 */
export class UnigramTrie {
  private readonly rootChild = new Int32Array(65536).fill(-1);
  private keyNode: Int32Array;
  private keyUnit: Uint16Array;
  private child: Int32Array;
  private mask: number;
  private edges = 0;
  /** value per node: piece id, or -1 when no piece ends here */
  private values: Int32Array;
  private nodes = 1;

  constructor(expectedNodes = 1024) {
    let cap = 1024;
    while (cap < expectedNodes * 2) cap *= 2;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keyUnit = new Uint16Array(cap);
    this.child = new Int32Array(cap);
    this.mask = cap - 1;
    this.values = new Int32Array(Math.max(16, expectedNodes)).fill(-1);
  }

  /** Builds a trie of `pieces[i] -> ids[i]` (ids default to the index); empty pieces are skipped. */
  static from(pieces: readonly string[], ids?: ArrayLike<number>): UnigramTrie {
    let total = 0;
    for (const p of pieces) total += p.length;
    const t = new UnigramTrie(total + 1);
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (p.length > 0) t.insert(p, ids === undefined ? i : ids[i]!);
    }
    return t;
  }

  get nodeCount(): number {
    return this.nodes;
  }

  /** The child of `node` along `unit`, or -1. */
  step(node: number, unit: number): number {
    if (node === 0) return this.rootChild[unit]!;
    const mask = this.mask;
    let h = hash(node, unit) & mask;
    for (;;) {
      const k = this.keyNode[h]!;
      if (k === -1) return -1;
      if (k === node && this.keyUnit[h] === unit) return this.child[h]!;
      h = (h + 1) & mask;
    }
  }

  /** Piece id ending at `node`, or -1. */
  value(node: number): number {
    return this.values[node]!;
  }

  /** Sets the value of `key`, creating its path (an existing value is replaced). */
  insert(key: string, value: number): void {
    let node = 0;
    for (let i = 0; i < key.length; i++) {
      const unit = key.charCodeAt(i);
      let next = this.step(node, unit);
      if (next === -1) {
        next = this.newNode();
        if (node === 0) this.rootChild[unit] = next;
        else this.addEdge(node, unit, next);
      }
      node = next;
    }
    this.values[node] = value;
  }

  /** The id of exactly `key`, or -1. */
  get(key: string): number {
    let node = 0;
    for (let i = 0; i < key.length && node !== -1; i++) node = this.step(node, key.charCodeAt(i));
    return node <= 0 ? -1 : this.values[node]!;
  }

  private newNode(): number {
    if (this.nodes === this.values.length) {
      const v = new Int32Array(this.values.length * 2).fill(-1);
      v.set(this.values);
      this.values = v;
    }
    return this.nodes++;
  }

  private addEdge(node: number, unit: number, next: number): void {
    if ((this.edges + 1) * 2 > this.keyNode.length) this.grow();
    const mask = this.mask;
    let h = hash(node, unit) & mask;
    while (this.keyNode[h] !== -1) h = (h + 1) & mask;
    this.keyNode[h] = node;
    this.keyUnit[h] = unit;
    this.child[h] = next;
    this.edges++;
  }

  private grow(): void {
    const oldNode = this.keyNode;
    const oldUnit = this.keyUnit;
    const oldChild = this.child;
    const cap = oldNode.length * 2;
    this.keyNode = new Int32Array(cap).fill(-1);
    this.keyUnit = new Uint16Array(cap);
    this.child = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldNode.length; i++) {
      const k = oldNode[i]!;
      if (k === -1) continue;
      let h = hash(k, oldUnit[i]!) & this.mask;
      while (this.keyNode[h] !== -1) h = (h + 1) & this.mask;
      this.keyNode[h] = k;
      this.keyUnit[h] = oldUnit[i]!;
      this.child[h] = oldChild[i]!;
    }
  }
}

function hash(node: number, unit: number): number {
  let x = Math.imul(node, 0x9e3779b1) ^ unit;
  x = Math.imul(x ^ (x >>> 15), 0x85ebca6b);
  return (x ^ (x >>> 13)) >>> 0;
}
