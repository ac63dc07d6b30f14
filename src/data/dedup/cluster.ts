/**
 * The clustering stage, run once over the signature files of every input shard (as
 * datatrove's MinhashDedupCluster runs as a single worker): exact duplicates by
 * document hash, then near-duplicates by LSH band collisions, joined with union-find.
 * In each group the first document (input order) is kept; every other one is removed
 * and points at it. One band is held in memory at a time (a Map of 52-bit keys).
 */
import { UnionFind } from './union-find.ts';

export interface SignatureColumns {
  /** documents in this shard */
  count: number;
  /** column c of the shard's signature file: Float64Array(count) (NaN = skip) */
  column(c: number): Float64Array;
}

export interface ClusterResult {
  /** for each global doc index: -1 if kept, else the global index of the doc kept instead */
  duplicateOf: Int32Array;
  /** the rule that removed each doc: 0 kept, 1 exact, 2 minhash */
  reason: Uint8Array;
  exactRemoved: number;
  exactGroups: number;
  minhashRemoved: number;
  /** near-duplicate clusters (size >= 2) and their sizes histogram */
  clusters: number;
  clusterSizes: Record<string, number>;
  largestCluster: number;
  candidatePairs: number;
}

/**
 * shards: per-shard signature columns in input order. Column 0 is the exact hash,
 * columns 1..bands the band keys. useExact/useMinhash select the rules.
 */
export function clusterDuplicates(
  shards: readonly SignatureColumns[],
  bands: number,
  useExact: boolean,
  useMinhash: boolean,
): ClusterResult {
  const total = shards.reduce((s, x) => s + x.count, 0);
  const duplicateOf = new Int32Array(total).fill(-1);
  const reason = new Uint8Array(total);
  let exactRemoved = 0;
  let exactGroups = 0;
  if (useExact) {
    const first = new Map<number, number>();
    const grouped = new Set<number>();
    let g = 0;
    for (const sh of shards) {
      const col = sh.column(0);
      for (let i = 0; i < sh.count; i++, g++) {
        const h = col[i] as number;
        if (Number.isNaN(h)) continue;
        const f = first.get(h);
        if (f === undefined) first.set(h, g);
        else {
          duplicateOf[g] = f;
          reason[g] = 1;
          exactRemoved++;
          if (!grouped.has(f)) {
            grouped.add(f);
            exactGroups++;
          }
        }
      }
    }
  }
  let near = noNearDuplicates();
  let candidatePairs = 0;
  if (useMinhash && total > 0) {
    const uf = new UnionFind(total);
    const bucket = new Map<number, number>();
    for (let band = 0; band < bands; band++) {
      bucket.clear();
      let g = 0;
      for (const sh of shards) {
        const col = sh.column(1 + band);
        for (let i = 0; i < sh.count; i++, g++) {
          if (reason[g] !== 0) continue;
          const k = col[i] as number;
          if (Number.isNaN(k)) continue;
          const f = bucket.get(k);
          if (f === undefined) bucket.set(k, g);
          else {
            candidatePairs++;
            uf.union(f, g);
          }
        }
      }
    }
    near = removeNearDuplicates(uf, duplicateOf, reason);
  }
  return {
    duplicateOf,
    reason,
    exactRemoved,
    exactGroups,
    ...near,
    candidatePairs,
  };
}

/** What removeNearDuplicates found: removals and the histogram of cluster sizes (>= 2). */
export interface NearDuplicates {
  minhashRemoved: number;
  clusters: number;
  clusterSizes: Record<string, number>;
  largestCluster: number;
}

/** The result where no near-duplicate rule ran (a fresh object: callers may add to it). */
export function noNearDuplicates(): NearDuplicates {
  return { minhashRemoved: 0, clusters: 0, clusterSizes: {}, largestCluster: 0 };
}

/**
 * The end of near-duplicate clustering, shared by the one-step and the split runs: in each
 * union-find group of documents not removed already (reason 0), the smallest global index is
 * kept and every other member points at it (reason 2).
 */
export function removeNearDuplicates(uf: UnionFind, duplicateOf: Int32Array, reason: Uint8Array): NearDuplicates {
  const rep = uf.minRepresentatives();
  const clusterSize = new Map<number, number>();
  let minhashRemoved = 0;
  for (let g = 0; g < reason.length; g++) {
    if (reason[g] !== 0) continue;
    const r = rep[g] as number;
    clusterSize.set(r, (clusterSize.get(r) ?? 0) + 1);
    if (r !== g) {
      duplicateOf[g] = r;
      reason[g] = 2;
      minhashRemoved++;
    }
  }
  let clusters = 0;
  let largestCluster = 0;
  const clusterSizes: Record<string, number> = {};
  for (const size of clusterSize.values()) {
    if (size < 2) continue;
    clusters++;
    largestCluster = Math.max(largestCluster, size);
    const name = size <= 2 ? '2' : size <= 4 ? '3-4' : size <= 8 ? '5-8' : size <= 16 ? '9-16' : '17+';
    clusterSizes[name] = (clusterSizes[name] ?? 0) + 1;
  }
  return { minhashRemoved, clusters, clusterSizes, largestCluster };
}
