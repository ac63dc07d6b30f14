/** Reference batched matmul with transposed operands, leading dimensions and batch strides (float64 accumulation). */
import type { MatmulArgs } from '../backend.ts';

export function matmul(args: MatmulArgs): void {
  const { a, b, c, batch, m, n, k, transA, transB, lda, ldb, ldc, strideA, strideB, strideC, accumulate } = args;
  const row = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const aBase = bi * strideA;
    const bBase = bi * strideB;
    const cBase = bi * strideC;
    for (let i = 0; i < m; i++) {
      row.fill(0);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aBase + p * lda + i]! : a[aBase + i * lda + p]!;
        if (av === 0) continue;
        if (transB) {
          for (let j = 0; j < n; j++) row[j]! += av * b[bBase + j * ldb + p]!;
        } else {
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
