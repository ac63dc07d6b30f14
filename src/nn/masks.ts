/**
 * Masks and positions for variable-length batches (notes section 10): causal masks, padding
 * masks from a [B, S] attention mask, position ids that ignore left padding (HF: cumsum - 1,
 * pads get 1), and block-diagonal masks with position resets for packed documents.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import type { Tensor } from '../engine/tensor.ts';
import { empty } from '../engine/ops/util.ts';
import { ShapeError } from '../core/errors.ts';

/** Additive [T, S]: 0 where key s is visible to query t (s <= t + S - T), -inf elsewhere. */
export function triangularMask(T: number, S: number, dtype: FloatDType, backend: Backend): Tensor {
  const m = empty([T, S], dtype, backend);
  const d = m.data;
  const shift = S - T;
  for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) d[t * S + s] = s <= t + shift ? 0 : -Infinity;
  return m;
}

function maskValues(mask: Tensor, op: string): ArrayLike<number> {
  if (mask.ndim !== 2) throw new ShapeError(op, 'attention mask must be [B, S]', [mask.shape]);
  if (mask.dtype !== 'int32' && mask.dtype !== 'bool' && mask.dtype !== 'float32') {
    throw new ShapeError(op, `attention mask must be int32, bool or float32 0/1, got ${mask.dtype}`);
  }
  return mask.toTypedArray();
}

/** Additive key mask [B, 1, 1, S] from an attention mask [B, S] (1 = real token, 0 = padding). */
export function paddingMask(attentionMask: Tensor, dtype: FloatDType = 'float32'): Tensor {
  const values = maskValues(attentionMask, 'paddingMask');
  const [B, S] = attentionMask.shape as [number, number];
  const m = empty([B, 1, 1, S], dtype, attentionMask.backend);
  const d = m.data;
  for (let i = 0; i < B * S; i++) d[i] = values[i]! !== 0 ? 0 : -Infinity;
  return m;
}

/** Position ids [B, S] from an attention mask: cumsum(mask) - 1 on real tokens, 1 on pads (as HF generate). */
export function positionsFromMask(attentionMask: Tensor): Tensor {
  const values = maskValues(attentionMask, 'positionsFromMask');
  const [B, S] = attentionMask.shape as [number, number];
  const p = empty([B, S], 'int32', attentionMask.backend);
  const d = p.data;
  for (let b = 0; b < B; b++) {
    let count = 0;
    for (let s = 0; s < S; s++) {
      const real = values[b * S + s]! !== 0;
      if (real) count++;
      d[b * S + s] = real ? count - 1 : 1;
    }
  }
  return p;
}

/** Positions 0..T-1 for every row, optionally starting at `start` (the KV cache length). */
export function rangePositions(B: number, T: number, backend: Backend, start = 0): Tensor {
  const p = empty([B, T], 'int32', backend);
  const d = p.data;
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) d[b * T + t] = start + t;
  return p;
}

/**
 * Packing several documents in one row: documentIds [B, T] (equal ids = same document,
 * documents contiguous). Returns an additive [B, 1, T, T] mask letting each token attend
 * only within its own document (causally when `causal`), and positions restarting at 0 for
 * each document.
 */
export function packedDocuments(
  documentIds: Tensor,
  causal: boolean,
  dtype: FloatDType = 'float32',
): { mask: Tensor; positions: Tensor } {
  if (documentIds.ndim !== 2)
    throw new ShapeError('packedDocuments', 'document ids must be [B, T]', [documentIds.shape]);
  const ids = documentIds.toTypedArray();
  const [B, T] = documentIds.shape as [number, number];
  const mask = empty([B, 1, T, T], dtype, documentIds.backend);
  const positions = empty([B, T], 'int32', documentIds.backend);
  const m = mask.data;
  const p = positions.data;
  for (let b = 0; b < B; b++) {
    let start = 0;
    for (let t = 0; t < T; t++) {
      if (t > 0 && ids[b * T + t] !== ids[b * T + t - 1]) start = t;
      p[b * T + t] = t - start;
      for (let s = 0; s < T; s++) {
        const same = ids[b * T + s] === ids[b * T + t];
        m[(b * T + t) * T + s] = same && (!causal || s <= t) ? 0 : -Infinity;
      }
    }
  }
  return { mask, positions };
}
