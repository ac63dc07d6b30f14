/**
 * Reference batched matmul with transposed operands, leading dimensions and batch strides,
 * accumulated in float64. The loop order keeps the innermost loop on contiguous memory:
 * row updates (i-p-j) when B is stored k x n, dot products (i-j-p) when B is stored n x k.
 */
import type { MatmulArgs } from '../backend.ts';

export function matmul(args: MatmulArgs): void {
  const { a, b, c, batch, m, n, k, transA, transB, lda, ldb, ldc, strideA, strideB, strideC, accumulate } = args;
  const row = new Float64Array(n);
  const aRow = new Float64Array(k);
  for (let bi = 0; bi < batch; bi++) {
    const aBase = bi * strideA;
    const bBase = bi * strideB;
    const cBase = bi * strideC;
    for (let i = 0; i < m; i++) {
      // gather row i of op(A) once
      for (let p = 0; p < k; p++) aRow[p] = transA ? a[aBase + p * lda + i]! : a[aBase + i * lda + p]!;
      if (transB) {
        for (let j = 0; j < n; j++) {
          const off = bBase + j * ldb;
          let dot = 0;
          for (let p = 0; p < k; p++) dot += aRow[p]! * b[off + p]!;
          row[j] = dot;
        }
      } else {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const av = aRow[p]!;
          if (av === 0) continue;
          const off = bBase + p * ldb;
          for (let j = 0; j < n; j++) row[j]! += av * b[off + j]!;
        }
      }
      const cOff = cBase + i * ldc;
      if (accumulate) for (let j = 0; j < n; j++) c[cOff + j]! += row[j]!;
      else for (let j = 0; j < n; j++) c[cOff + j] = row[j]!;
    }
  }
}
