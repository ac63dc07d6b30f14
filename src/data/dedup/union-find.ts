/** Union-find over 0..n-1 with path halving and union by size (datatrove's clustering stage). */
export class UnionFind {
  readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      const gp = p[p[x] as number] as number;
      p[x] = gp;
      x = gp;
    }
    return x;
  }

  /** Joins the sets of a and b; returns false if they were already one set. */
  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return false;
    if ((this.size[ra] as number) < (this.size[rb] as number)) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] = (this.size[ra] as number) + (this.size[rb] as number);
    return true;
  }

  /**
   * The smallest member of each element's set: the deterministic representative
   * ("keep the first occurrence"), independent of the order unions happened in.
   */
  minRepresentatives(): Int32Array {
    const n = this.parent.length;
    const minOfRoot = new Int32Array(n).fill(-1);
    const rep = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = this.find(i);
      if (minOfRoot[r] === -1) minOfRoot[r] = i;
      rep[i] = minOfRoot[r] as number;
    }
    return rep;
  }
}
