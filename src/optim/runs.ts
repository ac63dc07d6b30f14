/**
 * Merging tensors that sit back to back in one storage (parameters and gradients after
 * flattenParameters) into contiguous runs, so optimizer updates, gradient norms and zeroing
 * are one kernel call per run instead of one per parameter.
 */
import type { FloatArray } from '../core/dtype.ts';
import type { Tensor } from '../engine/tensor.ts';

export interface Run {
  /** The storage's array, from the run's first element. */
  data: FloatArray;
  length: number;
  /** Indices (into the input list) of the tensors the run covers. */
  members: number[];
}

export function contiguousRuns(tensors: readonly Tensor[]): Run[] {
  const runs: Run[] = [];
  let cur: { t: Tensor; start: number; end: number; members: number[] } | null = null;
  const close = (): void => {
    if (cur === null) return;
    const d = cur.t.data as FloatArray;
    runs.push({ data: d.subarray(cur.start, cur.end), length: cur.end - cur.start, members: cur.members });
    cur = null;
  };
  tensors.forEach((t, i) => {
    const dense = t.isContiguous();
    if (cur !== null && dense && t.storage === cur.t.storage && t.offset === cur.end) {
      cur.end += t.size;
      cur.members.push(i);
      return;
    }
    close();
    if (dense) cur = { t, start: t.offset, end: t.offset + t.size, members: [i] };
    else {
      const c = t.contiguous();
      runs.push({ data: (c.data as FloatArray).subarray(c.offset, c.offset + c.size), length: c.size, members: [i] });
    }
  });
  close();
  return runs;
}
