/** Reference reductions over the middle axis of a dense [outer, r, inner] array, accumulated in float64. */
import type { ArgReduceOp, ReduceOp } from '../backend.ts';
import type { DataArray, FloatArray } from '../../core/dtype.ts';

export function reduce(op: ReduceOp, x: DataArray, outer: number, r: number, inner: number, out: DataArray): void {
  for (let o = 0; o < outer; o++) {
    const base = o * r * inner;
    for (let i = 0; i < inner; i++) {
      let acc = op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity;
      let nan = false;
      for (let j = 0; j < r; j++) {
        const v = x[base + j * inner + i]!;
        if (v !== v) nan = true;
        switch (op) {
          case 'sum':
            acc += v;
            break;
          case 'prod':
            acc *= v;
            break;
          case 'max':
            if (v > acc) acc = v;
            break;
          case 'min':
            if (v < acc) acc = v;
            break;
        }
      }
      // max/min propagate NaN as PyTorch does
      out[o * inner + i] = nan && (op === 'max' || op === 'min') ? NaN : acc;
    }
  }
}

export function argReduce(
  op: ArgReduceOp,
  x: DataArray,
  outer: number,
  r: number,
  inner: number,
  out: Int32Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * r * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i]!;
      let bestIndex = 0;
      for (let j = 1; j < r; j++) {
        const v = x[base + j * inner + i]!;
        if (best !== best) break; // NaN wins and stays
        if (v !== v || (op === 'argmax' ? v > best : v < best)) {
          best = v;
          bestIndex = j;
        }
      }
      out[o * inner + i] = bestIndex;
    }
  }
}

export function sumSquares(x: FloatArray, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += x[i]! * x[i]!;
  return acc;
}
