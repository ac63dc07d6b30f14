/** Reference index kernels: indexSelect / indexAdd (embedding and its gradient) and gather / scatterAdd. */
import type { DataArray, FloatArray } from '../../core/dtype.ts';

export function indexSelect(
  src: DataArray,
  outer: number,
  srcDim: number,
  inner: number,
  index: Int32Array,
  out: DataArray,
): void {
  const n = index.length;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const from = (o * srcDim + index[i]!) * inner;
      const to = (o * n + i) * inner;
      for (let j = 0; j < inner; j++) out[to + j] = src[from + j]!;
    }
  }
}

export function indexAdd(
  src: FloatArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  dstDim: number,
  dst: FloatArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const to = (o * dstDim + index[i]!) * inner;
      const from = (o * n + i) * inner;
      for (let j = 0; j < inner; j++) dst[to + j]! += src[from + j]!;
    }
  }
}

export function gather(
  src: DataArray,
  outer: number,
  srcDim: number,
  inner: number,
  index: Int32Array,
  n: number,
  out: DataArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * n + j) * inner + i;
        out[at] = src[(o * srcDim + index[at]!) * inner + i]!;
      }
    }
  }
}

export function scatterAdd(
  src: FloatArray,
  outer: number,
  n: number,
  inner: number,
  index: Int32Array,
  dstDim: number,
  dst: FloatArray,
): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * n + j) * inner + i;
        dst[(o * dstDim + index[at]!) * inner + i]! += src[at]!;
      }
    }
  }
}
