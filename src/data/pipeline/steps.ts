/**
 * A run as a list of steps, each a set of independent tasks, every step depending on all
 * tasks of the one before. This is what any executor runs - worker threads here, an array
 * scheduler (Slurm, Kubernetes Indexed Jobs), or queue workers:
 *
 *   seg0       one task per input shard: the map stages, then signatures for the barrier
 *   buckets0   the barrier's exact task and one task per LSH band (candidate pairs)
 *   cluster0   one task: union-find over the pairs, a removal list per shard
 *   seg1       one task per input shard: removals applied, the next map stages ...
 *   finish     one task: tokens packed into the shard dataset, the report written
 *
 * Every task writes its outputs atomically and a done marker last, so any executor can
 * skip finished tasks and a re-launched job redoes only what is missing.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { InputShard } from '../readers/plan.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SignatureColumns } from '../dedup/cluster.ts';
import { bucketTask, clusterParts, exactMask, exactTask } from '../dedup/split.ts';
import type { BandPart, ExactPart } from '../dedup/split.ts';
import type { RunLayout } from './layout.ts';
import type { DedupSummary } from './report.ts';
import type { Barrier, Segment } from './segments.ts';

export type StepKind = 'map' | 'buckets' | 'cluster' | 'finish';

export interface Step {
  /** position in the plan */
  index: number;
  /** seg0, buckets0, cluster0, seg1, ..., finish */
  name: string;
  kind: StepKind;
  /** the segment (map) or the segment whose barrier this is (buckets, cluster) */
  segment: number;
  tasks: number;
}

/** The bucket tasks of a barrier: the exact task first (when exact_dedup is on), then one per band. */
export function bucketTasks(b: Barrier): ('exact' | number)[] {
  const out: ('exact' | number)[] = b.exactAt !== -1 ? ['exact'] : [];
  for (let band = 0; band < (b.minhashAt !== -1 ? (b.minhash?.bands ?? 0) : 0); band++) out.push(band);
  return out;
}

export function planSteps(segments: readonly Segment[], shardCount: number): Step[] {
  const steps: Step[] = [];
  const push = (name: string, kind: StepKind, segment: number, tasks: number): void => {
    steps.push({ index: steps.length, name, kind, segment, tasks });
  };
  for (const seg of segments) {
    push(`seg${seg.index}`, 'map', seg.index, shardCount);
    if (seg.barrier !== null) {
      push(`buckets${seg.index}`, 'buckets', seg.index, bucketTasks(seg.barrier).length);
      push(`cluster${seg.index}`, 'cluster', seg.index, 1);
    }
  }
  push('finish', 'finish', segments.length - 1, 1);
  return steps;
}

/** A step by name (seg0, buckets0, ...) or by its position in the plan. */
export function findStep(steps: readonly Step[], which: string): Step {
  const byName = steps.find((s) => s.name === which);
  if (byName !== undefined) return byName;
  const i = Number(which);
  if (Number.isInteger(i) && i >= 0 && i < steps.length) return steps[i] as Step;
  throw new ConfigError(
    '--segment',
    `no segment ${JSON.stringify(which)} (this run has ${steps.map((s) => s.name).join(', ')})`,
  );
}

/** The done marker of task `t` of a step. */
export function taskDoneFile(
  L: RunLayout,
  segments: readonly Segment[],
  shards: readonly InputShard[],
  step: Step,
  t: number,
): string {
  switch (step.kind) {
    case 'map':
      return L.segDone(step.segment, (shards[t] as InputShard).name);
    case 'buckets': {
      const which = bucketTasks((segments[step.segment] as Segment).barrier as Barrier)[t];
      return which === 'exact' ? L.exactDone(step.segment) : L.bandDone(step.segment, which as number);
    }
    case 'cluster':
      return L.dedupDone(step.segment);
    case 'finish':
      return L.complete;
  }
}

/** The signature columns of one shard, each read from the file on demand (positioned reads). */
export function signatureFile(L: RunLayout, seg: number, shard: InputShard, cols: number): SignatureColumns {
  const path = L.segSig(seg, shard.name);
  const size = statSync(path).size;
  const count = size / 8 / cols;
  if (!Number.isInteger(count)) throw new RangeError(`${path}: ${size} bytes is not ${cols} float64 columns`);
  return {
    count,
    column(c: number): Float64Array {
      const out = new Float64Array(count);
      if (count === 0) return out;
      const fd = openSync(path, 'r');
      try {
        const bytes = new Uint8Array(out.buffer);
        let done = 0;
        while (done < bytes.length) {
          const n = readSync(fd, bytes, done, bytes.length - done, c * count * 8 + done);
          if (n === 0) throw new RangeError(`${path}: ended early`);
          done += n;
        }
      } finally {
        closeSync(fd);
      }
      return out;
    },
  };
}

function int32File(path: string): Int32Array {
  const raw = readFileSync(path);
  return new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

function columnsOf(L: RunLayout, seg: Segment, shards: readonly InputShard[]): SignatureColumns[] {
  const bands = seg.barrier?.minhash?.bands ?? 0;
  return shards.map((s) => signatureFile(L, seg.index, s, 1 + bands));
}

/** One bucket task: the exact pairs, or the candidate pairs of one band. */
export function runBucketTask(L: RunLayout, seg: Segment, shards: readonly InputShard[], t: number): { pairs: number } {
  const b = seg.barrier as Barrier;
  const which = bucketTasks(b)[t];
  if (which === undefined) throw new RangeError(`bucket task ${t} of segment ${seg.index} does not exist`);
  const cols = columnsOf(L, seg, shards);
  if (which === 'exact') {
    const part = exactTask(cols);
    writeFileAtomic(L.exactPairs(seg.index), new Uint8Array(part.pairs.buffer));
    const r = { pairs: part.pairs.length / 2, groups: part.groups };
    writeFileAtomic(L.exactDone(seg.index), JSON.stringify(r));
    return r;
  }
  const part = bucketTask(cols, which, exactMask(cols, b.exactAt !== -1));
  writeFileAtomic(L.bandEdges(seg.index, which), new Uint8Array(part.edges.buffer));
  const r = { pairs: part.edges.length / 2 };
  writeFileAtomic(L.bandDone(seg.index, which), JSON.stringify(r));
  return r;
}

/** The cluster task: union-find over the bucket tasks' pairs; one removal list per shard. */
export function runClusterTask(L: RunLayout, seg: Segment, shards: readonly InputShard[]): DedupSummary {
  const b = seg.barrier as Barrier;
  const counts = columnsOf(L, seg, shards).map((c) => c.count);
  const total = counts.reduce((a, x) => a + x, 0);
  let exact: ExactPart | null = null;
  const bands: BandPart[] = [];
  for (const which of bucketTasks(b)) {
    if (which === 'exact') {
      const groups = (JSON.parse(readFileSync(L.exactDone(seg.index), 'utf8')) as { groups: number }).groups;
      exact = { pairs: int32File(L.exactPairs(seg.index)), groups };
    } else bands.push({ edges: int32File(L.bandEdges(seg.index, which)) });
  }
  const r = clusterParts(total, exact, b.minhashAt !== -1 ? bands : null);
  const starts: number[] = [];
  let acc = 0;
  for (const c of counts) {
    starts.push(acc);
    acc += c;
  }
  const idCache = new Map<number, string[]>();
  const idOf = (g: number): string => {
    // binary search for the shard holding global index g
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= g) lo = mid;
      else hi = mid - 1;
    }
    let ids = idCache.get(lo);
    if (ids === undefined) {
      ids = JSON.parse(readFileSync(L.segIds(seg.index, (shards[lo] as InputShard).name), 'utf8')) as string[];
      idCache.set(lo, ids);
    }
    return ids[g - (starts[lo] as number)] as string;
  };
  shards.forEach((sh, s) => {
    const list: [number, 'exact' | 'minhash', string][] = [];
    const start = starts[s] as number;
    for (let i = 0; i < (counts[s] as number); i++) {
      const g = start + i;
      const reason = r.reason[g];
      if (reason !== 0) list.push([i, reason === 1 ? 'exact' : 'minhash', idOf(r.duplicateOf[g] as number)]);
    }
    writeFileAtomic(L.dedupRemovals(seg.index, sh.name), JSON.stringify(list));
  });
  const summary: DedupSummary = {
    segment: seg.index,
    documents: total,
    exactRemoved: r.exactRemoved,
    exactGroups: r.exactGroups,
    minhashRemoved: r.minhashRemoved,
    clusters: r.clusters,
    clusterSizes: r.clusterSizes,
    largestCluster: r.largestCluster,
    candidatePairs: r.candidatePairs,
  };
  writeFileAtomic(L.dedupDone(seg.index), JSON.stringify(summary));
  return summary;
}

/** Tasks of `step` that have no done marker (in task order). */
export function pendingTasks(
  L: RunLayout,
  segments: readonly Segment[],
  shards: readonly InputShard[],
  step: Step,
): number[] {
  const out: number[] = [];
  for (let t = 0; t < step.tasks; t++) if (!existsSync(taskDoneFile(L, segments, shards, step, t))) out.push(t);
  return out;
}
