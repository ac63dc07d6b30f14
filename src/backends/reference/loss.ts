/** Reference fused cross-entropy (log-softmax + NLL + label smoothing), forward and backward. */
import type { FloatArray } from '../../core/dtype.ts';

export function crossEntropy(
  logits: FloatArray,
  targets: Int32Array,
  rows: number,
  classes: number,
  ignoreIndex: number,
  smoothing: number,
  losses: FloatArray,
  lse: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let j = 0; j < classes; j++) if (logits[o + j]! > max) max = logits[o + j]!;
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[o + j]! - max);
    const l = max + Math.log(sum);
    lse[r] = l;
    const t = targets[r]!;
    if (t === ignoreIndex) {
      losses[r] = 0;
      continue;
    }
    let loss = (1 - smoothing) * (l - logits[o + t]!);
    if (smoothing > 0) {
      let meanLogit = 0;
      for (let j = 0; j < classes; j++) meanLogit += logits[o + j]!;
      meanLogit /= classes;
      loss += smoothing * (l - meanLogit);
    }
    losses[r] = loss;
  }
}

export function crossEntropyGrad(
  logits: FloatArray,
  targets: Int32Array,
  lse: FloatArray,
  gradLoss: FloatArray,
  rows: number,
  classes: number,
  ignoreIndex: number,
  smoothing: number,
  gx: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    const t = targets[r]!;
    if (t === ignoreIndex) {
      for (let j = 0; j < classes; j++) gx[o + j] = 0;
      continue;
    }
    const g = gradLoss[r]!;
    const l = lse[r]!;
    const uniform = smoothing / classes;
    for (let j = 0; j < classes; j++) {
      gx[o + j] = g * (Math.exp(logits[o + j]! - l) - uniform - (j === t ? 1 - smoothing : 0));
    }
  }
}
