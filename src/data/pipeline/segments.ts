/**
 * Cuts the stage list into segments at dedup barriers. Within a segment every input
 * shard is processed independently (in parallel); at a barrier the signatures of all
 * shards are clustered once, then the next segment drops the duplicates. This is the
 * datatrove/dolma shape: filter per shard, signatures per shard, one clustering step.
 */
import { ConfigError } from '../../core/errors.ts';
import type { MinHashOptions } from '../dedup/minhash.ts';
import { stageKind, withDefaults } from './registry.ts';
import type { StageConfig } from './config.ts';

export interface Barrier {
  /** config index of the exact_dedup stage, or -1 */
  exactAt: number;
  exactNormalize: boolean;
  /** config index of the minhash_dedup stage, or -1 */
  minhashAt: number;
  minhash: MinHashOptions | null;
}

export interface Segment {
  index: number;
  /** config indices of this segment's map stages, in order */
  stages: number[];
  /** the dedup barrier that follows this segment (its removals apply in the next one) */
  barrier: Barrier | null;
  /** config index of the tokenize stage (last segment only), or -1 */
  sinkAt: number;
}

export function splitSegments(stages: readonly StageConfig[]): Segment[] {
  const segments: Segment[] = [];
  let cur: Segment = { index: 0, stages: [], barrier: null, sinkAt: -1 };
  for (let i = 0; i < stages.length; i++) {
    const s = stages[i] as StageConfig;
    const kind = stageKind(s.type);
    if (kind === 'map') {
      if (cur.barrier !== null) {
        segments.push(cur);
        cur = { index: segments.length, stages: [], barrier: null, sinkAt: -1 };
      }
      cur.stages.push(i);
    } else if (kind === 'barrier') {
      const b: Barrier = cur.barrier ?? { exactAt: -1, exactNormalize: false, minhashAt: -1, minhash: null };
      const p = withDefaults(s.type, s.params);
      if (s.type === 'exact_dedup') {
        if (b.exactAt !== -1) throw new ConfigError(`stages[${i}]`, 'two exact_dedup stages in a row');
        b.exactAt = i;
        b.exactNormalize = p['normalize'] === true;
      } else {
        if (b.minhashAt !== -1) throw new ConfigError(`stages[${i}]`, 'two minhash_dedup stages in a row');
        b.minhashAt = i;
        b.minhash = p as unknown as MinHashOptions;
      }
      cur.barrier = b;
    } else {
      if (cur.barrier !== null) {
        segments.push(cur);
        cur = { index: segments.length, stages: [], barrier: null, sinkAt: -1 };
      }
      cur.sinkAt = i;
    }
  }
  segments.push(cur);
  if (cur.barrier !== null) segments.push({ index: segments.length, stages: [], barrier: null, sinkAt: -1 });
  return segments;
}
