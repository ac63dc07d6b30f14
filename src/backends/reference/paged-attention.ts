/**
 * Reference attention over a paged KV cache (the specification of native/src/paged_attention.c):
 * for each query token and head, the scaled scores of its sequence's keys 0..pos, a softmax in
 * float64 (max first, then the sum of exponentials) and the weighted sum of the values.
 */
import type { PagedAttentionArgs } from '../backend.ts';

export function pagedAttention(a: PagedAttentionArgs): void {
  const { q, out, kPages, vPages, pageTable, tokenRow, tokenPos, headDim: D, pageSize: P } = a;
  const group = a.heads / a.kvHeads;
  const keyStride = a.kvHeads * D;
  const scores = new Float64Array(a.pagesPerRow * P);
  const acc = new Float64Array(D);
  for (let n = 0; n < a.tokens; n++) {
    const pos = tokenPos[n]!;
    const rowPages = tokenRow[n]! * a.pagesPerRow;
    // offset of key s of this token's sequence, kv head 0
    const keyAt = (s: number): number => (pageTable[rowPages + Math.floor(s / P)]! * P + (s % P)) * keyStride;
    for (let h = 0; h < a.heads; h++) {
      const hk = Math.floor(h / group);
      const qOff = n * a.qTokenStride + h * a.qHeadStride;
      let max = -Infinity;
      for (let s = 0; s <= pos; s++) {
        const kOff = keyAt(s) + hk * D;
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qOff + d]! * kPages[kOff + d]!;
        let v = dot * a.scale;
        if (a.alibiSlopes !== null) v -= a.alibiSlopes[h]! * (pos - s);
        scores[s] = v;
        if (v > max) max = v;
      }
      const oOff = (n * a.heads + h) * D;
      if (max === -Infinity) {
        for (let d = 0; d < D; d++) out[oOff + d] = 0;
        continue;
      }
      acc.fill(0);
      let sum = 0;
      for (let s = 0; s <= pos; s++) {
        const p = Math.exp(scores[s]! - max);
        sum += p;
        const vOff = keyAt(s) + hk * D;
        for (let d = 0; d < D; d++) acc[d]! += p * vPages[vOff + d]!;
      }
      for (let d = 0; d < D; d++) out[oOff + d] = acc[d]! / sum;
    }
  }
}
