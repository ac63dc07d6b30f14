/** Reference LayerNorm and RMSNorm (biased variance, as PyTorch), forward and backward. */
import type { FloatArray } from '../../core/dtype.ts';

export function layerNorm(
  x: FloatArray,
  w: FloatArray | null,
  b: FloatArray | null,
  rows: number,
  cols: number,
  eps: number,
  y: FloatArray,
  mean: FloatArray,
  rstd: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mu = 0;
    for (let j = 0; j < cols; j++) mu += x[o + j]!;
    mu /= cols;
    let v = 0;
    for (let j = 0; j < cols; j++) {
      const d = x[o + j]! - mu;
      v += d * d;
    }
    v /= cols;
    const rs = 1 / Math.sqrt(v + eps);
    mean[r] = mu;
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j]! - mu) * rs;
      y[o + j] = xhat * (w ? w[j]! : 1) + (b ? b[j]! : 0);
    }
  }
}

export function layerNormGrad(
  x: FloatArray,
  w: FloatArray | null,
  mean: FloatArray,
  rstd: FloatArray,
  gy: FloatArray,
  rows: number,
  cols: number,
  gx: FloatArray,
  gw: FloatArray | null,
  gb: FloatArray | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const mu = mean[r]!;
    const rs = rstd[r]!;
    let meanG = 0;
    let meanGX = 0;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j]! - mu) * rs;
      const g = gy[o + j]! * (w ? w[j]! : 1);
      meanG += g;
      meanGX += g * xhat;
      if (gw) gw[j]! += gy[o + j]! * xhat;
      if (gb) gb[j]! += gy[o + j]!;
    }
    meanG /= cols;
    meanGX /= cols;
    for (let j = 0; j < cols; j++) {
      const xhat = (x[o + j]! - mu) * rs;
      const g = gy[o + j]! * (w ? w[j]! : 1);
      gx[o + j] = rs * (g - meanG - xhat * meanGX);
    }
  }
}

export function rmsNorm(
  x: FloatArray,
  w: FloatArray | null,
  rows: number,
  cols: number,
  eps: number,
  y: FloatArray,
  rstd: FloatArray,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let ms = 0;
    for (let j = 0; j < cols; j++) ms += x[o + j]! * x[o + j]!;
    const rs = 1 / Math.sqrt(ms / cols + eps);
    rstd[r] = rs;
    for (let j = 0; j < cols; j++) y[o + j] = x[o + j]! * rs * (w ? w[j]! : 1);
  }
}

export function rmsNormGrad(
  x: FloatArray,
  w: FloatArray | null,
  rstd: FloatArray,
  gy: FloatArray,
  rows: number,
  cols: number,
  gx: FloatArray,
  gw: FloatArray | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    const rs = rstd[r]!;
    let dot = 0;
    for (let j = 0; j < cols; j++) {
      const g = gy[o + j]! * (w ? w[j]! : 1);
      dot += g * x[o + j]!;
      if (gw) gw[j]! += gy[o + j]! * x[o + j]! * rs;
    }
    const c = (dot / cols) * rs * rs;
    for (let j = 0; j < cols; j++) {
      const g = gy[o + j]! * (w ? w[j]! : 1);
      gx[o + j] = rs * (g - x[o + j]! * c);
    }
  }
}
