/**
 * Matrix products. matmul follows torch.matmul (1-D operands, batch broadcasting); operands
 * that are transposed views or row slices go to the kernel as they are (transpose flags and
 * leading dimensions), so `x.matmul(w.T)` copies nothing. linear(x, w, b) is the fused
 * y = x·wᵀ + b of a Linear layer with w [out, in].
 */
import type { FloatArray } from '../../core/dtype.ts';
import { Tensor } from '../tensor.ts';
import { ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { broadcastShapes, broadcastStrides, numel, shapesEqual } from '../shape.ts';
import { leafGradBuffer } from '../autograd/leaf-grad.ts';
import { assertFloat, assertSameDType, empty, sameBackend } from './util.ts';
import { contiguous, expand, reshape, squeeze, transpose, unsqueeze } from './movement.ts';
import { sum, sumToShape } from './reduce.ts';

interface MatrixOperand {
  data: FloatArray;
  offset: number;
  trans: boolean;
  ld: number;
  batchStride: number;
}

/** How the last two dims of t (rows x cols) sit in memory, or null if a copy is needed. */
function matrixLayout(t: Tensor): { trans: boolean; ld: number } | null {
  const nd = t.ndim;
  const rows = t.shape[nd - 2]!;
  const cols = t.shape[nd - 1]!;
  const sR = t.strides[nd - 2]!;
  const sC = t.strides[nd - 1]!;
  if ((sC === 1 || cols === 1) && (rows === 1 || sR >= cols))
    return { trans: false, ld: rows === 1 ? Math.max(cols, 1) : sR };
  if ((sR === 1 || rows === 1) && (cols === 1 || sC >= rows))
    return { trans: true, ld: cols === 1 ? Math.max(rows, 1) : sC };
  return null;
}

/** One stride that walks all batch dims in row-major order, or null if they do not collapse. */
function flatBatchStride(batchShape: readonly number[], strides: readonly number[]): number | null {
  let stride: number | null = null;
  let expected: number | null = null;
  for (let i = batchShape.length - 1; i >= 0; i--) {
    const d = batchShape[i]!;
    if (d === 1) continue;
    const s = strides[i]!;
    if (stride === null) {
      stride = s;
      expected = s * d;
    } else {
      if (s !== expected) return null;
      expected = s * d;
    }
  }
  return stride ?? 0;
}

function operand(t: Tensor, batchShape: readonly number[]): { op: MatrixOperand; tensor: Tensor } {
  const nd = t.ndim;
  const full = [...batchShape, t.shape[nd - 2]!, t.shape[nd - 1]!];
  let layout = matrixLayout(t);
  let bStrides = broadcastStrides(t.shape.slice(0, -2), t.strides.slice(0, -2), batchShape);
  let stride = layout === null ? null : flatBatchStride(batchShape, bStrides);
  let src = t;
  if (layout === null || stride === null) {
    src = contiguous(expand(t, full));
    layout = { trans: false, ld: full[full.length - 1]! };
    bStrides = src.strides.slice(0, -2) as number[];
    stride = flatBatchStride(batchShape, bStrides) ?? 0;
  }
  return {
    op: { data: src.data as FloatArray, offset: src.offset, trans: layout.trans, ld: layout.ld, batchStride: stride },
    tensor: src,
  };
}

function sub(a: FloatArray, offset: number): FloatArray {
  return offset === 0 ? a : a.subarray(offset);
}

/**
 * The batched product of two >= 2-D tensors, without autograd. With `into` (a contiguous
 * tensor of the product's shape), the product is added to it instead of written to a new one.
 */
function bmm(a: Tensor, b: Tensor, into: Tensor | null = null): Tensor {
  const m = a.shape[a.ndim - 2]!;
  const k = a.shape[a.ndim - 1]!;
  const n = b.shape[b.ndim - 1]!;
  if (b.shape[b.ndim - 2] !== k) {
    throw new ShapeError('matmul', `inner dimensions differ (${k} vs ${b.shape[b.ndim - 2]})`, [a.shape, b.shape]);
  }
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = numel(batchShape);
  const backend = a.backend;
  if (into !== null && (!into.isContiguous() || !shapesEqual(into.shape, [...batchShape, m, n]))) {
    throw new ShapeError('matmul', "accumulation target must be contiguous with the product's shape", [
      into.shape,
      [...batchShape, m, n],
    ]);
  }
  const out = into ?? empty([...batchShape, m, n], a.dtype, backend);
  if (out.size === 0) return out;
  if (k === 0) {
    if (into === null) backend.fill(out.data, out.size, 0);
    return out;
  }
  const A = operand(a, batchShape).op;
  const B = operand(b, batchShape).op;
  // fold the batch into the rows when B is shared and A's rows run on across batches
  const fold = batch > 1 && B.batchStride === 0 && !A.trans && A.batchStride === m * A.ld;
  backend.matmul({
    a: sub(A.data, A.offset),
    b: sub(B.data, B.offset),
    c: sub(out.data as FloatArray, out.offset),
    batch: fold ? 1 : batch,
    m: fold ? m * batch : m,
    n,
    k,
    transA: A.trans,
    transB: B.trans,
    lda: A.ld,
    ldb: B.ld,
    ldc: n,
    strideA: A.batchStride,
    strideB: B.batchStride,
    strideC: m * n,
    accumulate: into !== null,
  });
  return out;
}

/** torch.matmul: 1-D operands are promoted (and the added dim removed), batch dims broadcast. */
export function matmul(aIn: Tensor, bIn: Tensor): Tensor {
  assertFloat('matmul', aIn, bIn);
  assertSameDType('matmul', aIn, bIn);
  sameBackend('matmul', aIn, bIn);
  if (aIn.ndim === 0 || bIn.ndim === 0)
    throw new ShapeError('matmul', 'both operands need at least one dimension', [aIn.shape, bIn.shape]);
  // 1-D @ 1-D: [1, k] @ [k] is [1]; drop that dim too, giving a 0-d result as torch does
  if (aIn.ndim === 1) return squeeze(matmul(unsqueeze(aIn, 0), bIn), bIn.ndim === 1 ? 0 : -2);
  if (bIn.ndim === 1) return squeeze(matmul(aIn, unsqueeze(bIn, -1)), -1);
  const a = aIn;
  const b = bIn;
  const out = bmm(a, b);
  if (needsGrad(a, b)) {
    attach(out, 'matmul', [a, b], (g) => {
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (a.requiresGrad) ga = sumToShape(bmm(g, transpose(b)), a.shape);
      if (b.requiresGrad) {
        if (b.ndim === 2 && a.ndim > 2) {
          // one large product instead of a batched one followed by a sum
          const a2 = reshape(a, [-1, a.shape[a.ndim - 1]!]);
          const g2 = reshape(g, [-1, g.shape[g.ndim - 1]!]);
          gb = bmm(transpose(a2), g2);
        } else {
          gb = sumToShape(bmm(transpose(a), g), b.shape);
        }
      }
      return [ga, gb];
    });
  }
  return out;
}

/** y = x·wᵀ + b over the last dim of x; x [..., in], w [out, in], b [out] or null. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null = null): Tensor {
  assertFloat('linear', x, w);
  assertSameDType('linear', x, w);
  const backend = sameBackend('linear', x, w);
  if (w.ndim !== 2) throw new ShapeError('linear', 'weight must be 2-D [out, in]', [w.shape]);
  const inF = w.shape[1]!;
  const outF = w.shape[0]!;
  if (x.shape[x.ndim - 1] !== inF)
    throw new ShapeError('linear', `input's last dimension must be ${inF}`, [x.shape, w.shape]);
  if (b !== null && (b.ndim !== 1 || b.shape[0] !== outF))
    throw new ShapeError('linear', `bias must be [${outF}]`, [b.shape]);
  const x2 = reshape(x, [-1, inF]).detach();
  const rows = x2.shape[0]!;
  const out = empty([...x.shape.slice(0, -1), outF], x.dtype, backend);
  const wl = matrixLayout(w);
  const wc = wl === null ? contiguous(w) : w;
  const wLayout = wl ?? { trans: false, ld: inF };
  const xl = matrixLayout(x2);
  const xc = xl === null ? contiguous(x2) : x2;
  const xLayout = xl ?? { trans: false, ld: inF };
  if (b !== null) {
    // start from the bias rows, then accumulate the product onto them
    backend.assign(
      { data: out.data, offset: 0, strides: [outF, 1] },
      { data: b.data, offset: b.offset, strides: [0, b.strides[0]!] },
      [rows, outF],
    );
  }
  if (rows > 0) {
    backend.matmul({
      a: sub(xc.data as FloatArray, xc.offset),
      b: sub(wc.data as FloatArray, wc.offset),
      c: out.data as FloatArray,
      batch: 1,
      m: rows,
      n: outF,
      k: inF,
      transA: xLayout.trans,
      transB: !wLayout.trans, // w is [out, in]: the product needs wᵀ
      lda: xLayout.ld,
      ldb: wLayout.ld,
      ldc: outF,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: b !== null,
    });
  }
  if (needsGrad(x, w, b)) {
    const inputs = b === null ? [x, w] : [x, w, b];
    attach(out, 'linear', inputs, (g) => {
      const g2 = reshape(g, [-1, outF]);
      const gx = x.requiresGrad ? reshape(bmm(g2, w), x.shape) : null;
      let gw: Tensor | null = null;
      if (w.requiresGrad) {
        const into = leafGradBuffer(w);
        // a parameter with a gradient buffer: accumulate g2ᵀ·x2 into it directly (C += A·B)
        if (into !== null && into.dtype === g2.dtype) bmm(transpose(g2), x2, into);
        else gw = bmm(transpose(g2), x2);
      }
      const gb = b !== null && b.requiresGrad ? sum(g2, 0) : null;
      return b === null ? [gx, gw] : [gx, gw, gb];
    });
  }
  return out;
}
