/** Reference row-wise softmax / log-softmax and their gradients. */
import type { FloatArray } from '../../core/dtype.ts';

export function softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[o + j]! > max) max = x[o + j]!;
    if (max === -Infinity) {
      // an all -inf row: PyTorch gives NaN; keep that
      for (let j = 0; j < cols; j++) out[o + j] = NaN;
      continue;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[o + j]! - max);
    if (log) {
      const lse = max + Math.log(sum);
      for (let j = 0; j < cols; j++) out[o + j] = x[o + j]! - lse;
    } else {
      for (let j = 0; j < cols; j++) out[o + j] = Math.exp(x[o + j]! - max) / sum;
    }
  }
}

export function softmaxGrad(
  y: FloatArray,
  gy: FloatArray,
  rows: number,
  cols: number,
  gx: FloatArray,
  log: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    if (log) {
      // y = x - lse: gx = gy - softmax * sum(gy)
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += gy[o + j]!;
      for (let j = 0; j < cols; j++) gx[o + j] = gy[o + j]! - Math.exp(y[o + j]!) * sum;
    } else {
      // gx = y * (gy - sum(gy * y))
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += gy[o + j]! * y[o + j]!;
      for (let j = 0; j < cols; j++) gx[o + j] = y[o + j]! * (gy[o + j]! - dot);
    }
  }
}
