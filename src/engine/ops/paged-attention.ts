/**
 * Attention over a paged KV cache, for serving many sequences in one forward pass (vLLM's
 * PagedAttention): the query tokens of several sequences, each at its own position, side by
 * side in one [N, H, D] tensor; each reads only its own sequence's keys and values, stored in
 * fixed-size pages [numPages, pageSize, Hkv, D]. Inference only: there is no backward.
 */
import type { FloatArray } from '../../core/dtype.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.ts';
import { needsGrad } from '../autograd/node.ts';
import type { Tensor } from '../tensor.ts';
import { contiguous } from './movement.ts';
import { assertFloat, assertSameDType, empty, sameBackend } from './util.ts';

/** Which sequence and position each query token belongs to, and where each sequence's pages are. */
export interface PagedAttentionBatch {
  /** [rows, pagesPerRow] page ids of each sequence, in position order. */
  readonly pageTable: Int32Array;
  readonly pagesPerRow: number;
  /** [N] the page-table row of each query token. */
  readonly tokenRow: Int32Array;
  /** [N] the position of each query token; it attends to its sequence's keys 0..pos. */
  readonly tokenPos: Int32Array;
}

export interface PagedAttentionOptions {
  /** Score scale; default 1/sqrt(D). */
  scale?: number;
  /** ALiBi slopes, one per query head (score -= slope·(pos - s)), or null. */
  alibiSlopes?: Float32Array | null;
}

function floatData(t: Tensor): FloatArray {
  const d = t.data as FloatArray;
  return t.offset === 0 ? d : d.subarray(t.offset);
}

/**
 * q [N, H, D] (any strides, D contiguous or copied), kPages and vPages [numPages, pageSize, Hkv, D]
 * contiguous; returns [N, H, D]. Every page a token reads (pages 0..pos / pageSize of its row)
 * must hold its keys and values already, the token's own included.
 */
export function pagedAttention(
  qIn: Tensor,
  kPages: Tensor,
  vPages: Tensor,
  batch: PagedAttentionBatch,
  options: PagedAttentionOptions = {},
): Tensor {
  const op = 'pagedAttention';
  assertFloat(op, qIn, kPages, vPages);
  assertSameDType(op, qIn, kPages, vPages);
  const backend = sameBackend(op, qIn, kPages, vPages);
  if (needsGrad(qIn, kPages, vPages))
    throw new ArgumentError(op, 'is inference-only (no gradient); call it under noGrad');
  if (qIn.ndim !== 3 || kPages.ndim !== 4 || vPages.ndim !== 4)
    throw new ShapeError(op, 'q must be [N, H, D] and the pages [numPages, pageSize, Hkv, D]', [
      qIn.shape,
      kPages.shape,
    ]);
  const [N, H, D] = qIn.shape as [number, number, number];
  const [numPages, pageSize, Hkv, kD] = kPages.shape as [number, number, number, number];
  if (kD !== D || vPages.shape.some((s, i) => s !== kPages.shape[i]))
    throw new ShapeError(op, 'k and v pages must match each other and the head size of q', [
      qIn.shape,
      kPages.shape,
      vPages.shape,
    ]);
  if (!kPages.isContiguous() || !vPages.isContiguous())
    throw new ArgumentError(op, 'the k and v pages must be contiguous tensors');
  if (Hkv === 0 || H % Hkv !== 0)
    throw new ShapeError(op, `query heads (${H}) must be a multiple of key/value heads (${Hkv})`, [
      qIn.shape,
      kPages.shape,
    ]);
  const { pageTable, pagesPerRow, tokenRow, tokenPos } = batch;
  if (tokenRow.length !== N || tokenPos.length !== N)
    throw new ShapeError(op, `tokenRow and tokenPos must hold one entry per query token (${N})`, [
      [tokenRow.length],
      [tokenPos.length],
    ]);
  if (!Number.isInteger(pagesPerRow) || pagesPerRow < 0 || pageTable.length % Math.max(1, pagesPerRow) !== 0)
    throw new ShapeError(op, `pageTable must be [rows, pagesPerRow = ${pagesPerRow}]`, [[pageTable.length]]);
  const rows = pagesPerRow === 0 ? 0 : pageTable.length / pagesPerRow;
  for (let n = 0; n < N; n++) {
    const r = tokenRow[n]!;
    const pos = tokenPos[n]!;
    if (r < 0 || r >= rows) throw new ArgumentError(op, `token ${n} reads page-table row ${r}, outside [0, ${rows})`);
    if (pos < 0 || pos >= pagesPerRow * pageSize)
      throw new ArgumentError(op, `token ${n} is at position ${pos}, outside [0, ${pagesPerRow * pageSize})`);
    for (let j = 0; j <= Math.floor(pos / pageSize); j++) {
      const page = pageTable[r * pagesPerRow + j]!;
      if (page < 0 || page >= numPages)
        throw new ArgumentError(op, `row ${r} names page ${page}, outside [0, ${numPages})`);
    }
  }
  const slopes = options.alibiSlopes ?? null;
  if (slopes !== null && slopes.length !== H)
    throw new ShapeError(op, `alibiSlopes must hold one slope per query head (${H})`, [[slopes.length]]);
  if (qIn.dtype !== kPages.dtype) throw new DTypeError(op, 'q and the pages must share a dtype');
  const q = qIn.strides[2] === 1 || D === 1 ? qIn : contiguous(qIn);
  const out = empty([N, H, D], q.dtype, backend);
  if (N === 0) return out;
  backend.pagedAttention({
    q: floatData(q),
    qTokenStride: q.strides[0]!,
    qHeadStride: q.strides[1]!,
    out: out.data as FloatArray,
    kPages: floatData(kPages),
    vPages: floatData(vPages),
    pageTable,
    pagesPerRow,
    rows,
    tokenRow,
    tokenPos,
    tokens: N,
    heads: H,
    kvHeads: Hkv,
    headDim: D,
    pageSize,
    numPages,
    scale: options.scale ?? 1 / Math.sqrt(D),
    alibiSlopes: slopes,
  });
  return out;
}
