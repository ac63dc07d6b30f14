/**
 * The dedup reduce split into independent tasks, as datatrove splits MinHash dedup
 * (signatures per task, buckets per band, clustering, filtering):
 *  - `exactTask`: exact duplicates by document hash (column 0): each later copy points at
 *    the first occurrence;
 *  - `bucketTask(band)`: one LSH band over every shard: documents whose band keys are equal
 *    become candidate pairs (first document of the bucket, later document), written as an
 *    edge list. Documents removed as exact duplicates take no part, as in clusterDuplicates,
 *    so each band task recomputes that mask from column 0 (one pass, no dependency on the
 *    exact task);
 *  - `clusterParts`: union-find over every band's edges; the smallest member of each
 *    component is kept. Memory: two Int32Arrays of the document count.
 * The bands are independent, so they run in parallel (threads, array tasks, queue workers);
 * only the union-find is one step, and it reads edges, not signatures. The result equals
 * clusterDuplicates' for the same signatures (test/data/dedup-split.test.ts).
 */
import { noNearDuplicates, removeNearDuplicates, type ClusterResult, type SignatureColumns } from './cluster.ts';
import { UnionFind } from './union-find.ts';

/** Global index -> kept first occurrence, for every exact duplicate: pairs [dup, first] in dup order. */
export interface ExactPart {
  pairs: Int32Array;
  groups: number;
}

/** One band's candidate pairs [first, later] (global document indices). */
export interface BandPart {
  edges: Int32Array;
}

function totalOf(shards: readonly SignatureColumns[]): number {
  const n = shards.reduce((s, x) => s + x.count, 0);
  if (n > 0x7fffffff) throw new RangeError(`${n} documents at one dedup barrier: more than 2^31 - 1`);
  return n;
}

/** Exact duplicates by the hash in column 0 (NaN: no exact rule for that document). */
export function exactTask(shards: readonly SignatureColumns[]): ExactPart {
  const first = new Map<number, number>();
  const grouped = new Set<number>();
  const pairs: number[] = [];
  let g = 0;
  for (const sh of shards) {
    const col = sh.column(0);
    for (let i = 0; i < sh.count; i++, g++) {
      const h = col[i] as number;
      if (Number.isNaN(h)) continue;
      const f = first.get(h);
      if (f === undefined) first.set(h, g);
      else {
        pairs.push(g, f);
        grouped.add(f);
      }
    }
  }
  return { pairs: Int32Array.from(pairs), groups: grouped.size };
}

/** Documents removed as exact duplicates (1) or not (0); all 0 when the exact rule is off. */
export function exactMask(shards: readonly SignatureColumns[], useExact: boolean): Uint8Array {
  const mask = new Uint8Array(totalOf(shards));
  if (!useExact) return mask;
  const seen = new Set<number>();
  let g = 0;
  for (const sh of shards) {
    const col = sh.column(0);
    for (let i = 0; i < sh.count; i++, g++) {
      const h = col[i] as number;
      if (Number.isNaN(h)) continue;
      if (seen.has(h)) mask[g] = 1;
      else seen.add(h);
    }
  }
  return mask;
}

/** Candidate pairs of one band: column 1 + band of every shard. */
export function bucketTask(shards: readonly SignatureColumns[], band: number, removed: Uint8Array): BandPart {
  const bucket = new Map<number, number>();
  const edges: number[] = [];
  let g = 0;
  for (const sh of shards) {
    const col = sh.column(1 + band);
    for (let i = 0; i < sh.count; i++, g++) {
      if (removed[g] !== 0) continue;
      const k = col[i] as number;
      if (Number.isNaN(k)) continue;
      const f = bucket.get(k);
      if (f === undefined) bucket.set(k, g);
      else edges.push(f, g);
    }
  }
  return { edges: Int32Array.from(edges) };
}

/** The clustering step over the parts: the same result as clusterDuplicates on the same signatures. */
export function clusterParts(total: number, exact: ExactPart | null, bands: readonly BandPart[] | null): ClusterResult {
  const duplicateOf = new Int32Array(total).fill(-1);
  const reason = new Uint8Array(total);
  let exactRemoved = 0;
  if (exact !== null) {
    for (let k = 0; k < exact.pairs.length; k += 2) {
      const g = exact.pairs[k] as number;
      duplicateOf[g] = exact.pairs[k + 1] as number;
      reason[g] = 1;
      exactRemoved++;
    }
  }
  let near = noNearDuplicates();
  let candidatePairs = 0;
  if (bands !== null && total > 0) {
    const uf = new UnionFind(total);
    for (const b of bands) {
      const e = b.edges;
      candidatePairs += e.length / 2;
      for (let k = 0; k < e.length; k += 2) uf.union(e[k] as number, e[k + 1] as number);
    }
    near = removeNearDuplicates(uf, duplicateOf, reason);
  }
  return {
    duplicateOf,
    reason,
    exactRemoved,
    exactGroups: exact?.groups ?? 0,
    ...near,
    candidatePairs,
  };
}
