/**
 * Reference scaled dot-product attention. The forward pass keeps only the log-sum-exp of
 * each query row; the backward pass recomputes the probabilities from it (as
 * FlashAttention does), so no [T, S] probability matrix outlives a row.
 */
import type { AttentionArgs, AttentionGradArgs } from '../backend.ts';

function maskValue(args: AttentionArgs, b: number, h: number, t: number, s: number): number {
  const m = args.mask;
  if (m === null) return 0;
  return m.data[m.offset + b * m.strides[0]! + h * m.strides[1]! + t * m.strides[2]! + s * m.strides[3]!]!;
}

/** Scaled, masked scores of one query row into `scores` (length tk); returns the row max. */
function scoreRow(args: AttentionArgs, b: number, h: number, t: number, scores: Float64Array): number {
  const { q, k, qLayout, kLayout, headDim, tq, tk, scale, causal } = args;
  const hk = Math.floor(h / (args.heads / args.kvHeads));
  const qOff = b * qLayout.sB + h * qLayout.sH + t * qLayout.sT;
  const limit = causal ? t + (tk - tq) : tk - 1; // last visible key
  let max = -Infinity;
  for (let s = 0; s < tk; s++) {
    if (s > limit) {
      scores[s] = -Infinity;
      continue;
    }
    const kOff = b * kLayout.sB + hk * kLayout.sH + s * kLayout.sT;
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += q[qOff + d]! * k[kOff + d]!;
    const v = dot * scale + maskValue(args, b, h, t, s);
    scores[s] = v;
    if (v > max) max = v;
  }
  return max;
}

export function attention(args: AttentionArgs): void {
  const { v, out, lse, vLayout, outLayout, batch, heads, tq, tk, headDim } = args;
  const scores = new Float64Array(tk);
  const acc = new Float64Array(headDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const hk = Math.floor(h / (heads / args.kvHeads));
      for (let t = 0; t < tq; t++) {
        const max = scoreRow(args, b, h, t, scores);
        const oOff = b * outLayout.sB + h * outLayout.sH + t * outLayout.sT;
        const lseAt = (b * heads + h) * tq + t;
        if (max === -Infinity) {
          for (let d = 0; d < headDim; d++) out[oOff + d] = 0;
          lse[lseAt] = -Infinity;
          continue;
        }
        let sum = 0;
        acc.fill(0);
        for (let s = 0; s < tk; s++) {
          const p = Math.exp(scores[s]! - max);
          if (p === 0) continue;
          sum += p;
          const vOff = b * vLayout.sB + hk * vLayout.sH + s * vLayout.sT;
          for (let d = 0; d < headDim; d++) acc[d]! += p * v[vOff + d]!;
        }
        for (let d = 0; d < headDim; d++) out[oOff + d] = acc[d]! / sum;
        lse[lseAt] = max + Math.log(sum);
      }
    }
  }
}

export function attentionGrad(args: AttentionGradArgs): void {
  const { q, k, v, out, lse, gradOut, gradQ, gradK, gradV, qLayout, kLayout, outLayout } = args;
  const { vLayout, gradQLayout, gradKLayout, gradVLayout } = args;
  const { batch, heads, kvHeads, tq, tk, headDim, scale } = args;
  // gradK / gradV are summed over query heads sharing a kv head: clear them first
  for (let b = 0; b < batch; b++) {
    for (let hk = 0; hk < kvHeads; hk++) {
      for (let s = 0; s < tk; s++) {
        const kOff = b * gradKLayout.sB + hk * gradKLayout.sH + s * gradKLayout.sT;
        const vOff = b * gradVLayout.sB + hk * gradVLayout.sH + s * gradVLayout.sT;
        for (let d = 0; d < headDim; d++) {
          gradK[kOff + d] = 0;
          gradV[vOff + d] = 0;
        }
      }
    }
  }
  const scores = new Float64Array(tk);
  const gq = new Float64Array(headDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const hk = Math.floor(h / (heads / kvHeads));
      for (let t = 0; t < tq; t++) {
        const qOff = b * qLayout.sB + h * qLayout.sH + t * qLayout.sT;
        const oOff = b * outLayout.sB + h * outLayout.sH + t * outLayout.sT;
        const l = lse[(b * heads + h) * tq + t]!;
        gq.fill(0);
        if (l !== -Infinity) {
          scoreRow(args, b, h, t, scores);
          // D = sum_s p_s (dO · v_s) = dO · out
          let dsum = 0;
          for (let d = 0; d < headDim; d++) dsum += gradOut[oOff + d]! * out[oOff + d]!;
          for (let s = 0; s < tk; s++) {
            const p = Math.exp(scores[s]! - l);
            if (p === 0) continue;
            const kOff = b * kLayout.sB + hk * kLayout.sH + s * kLayout.sT;
            const vOff = b * vLayout.sB + hk * vLayout.sH + s * vLayout.sT;
            const gkOff = b * gradKLayout.sB + hk * gradKLayout.sH + s * gradKLayout.sT;
            const gvOff = b * gradVLayout.sB + hk * gradVLayout.sH + s * gradVLayout.sT;
            let dp = 0;
            for (let d = 0; d < headDim; d++) {
              dp += gradOut[oOff + d]! * v[vOff + d]!;
              gradV[gvOff + d]! += p * gradOut[oOff + d]!;
            }
            const ds = p * (dp - dsum) * scale;
            for (let d = 0; d < headDim; d++) {
              gq[d]! += ds * k[kOff + d]!;
              gradK[gkOff + d]! += ds * q[qOff + d]!;
            }
          }
        }
        const gqOff = b * gradQLayout.sB + h * gradQLayout.sH + t * gradQLayout.sT;
        for (let d = 0; d < headDim; d++) gradQ[gqOff + d] = gq[d]!;
      }
    }
  }
}
