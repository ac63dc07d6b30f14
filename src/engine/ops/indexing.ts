/** Indexing with integer tensors: embedding, indexSelect and gather, each with a scatter-add backward. */
import { Tensor } from '../tensor.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { leafGradBuffer } from '../autograd/leaf-grad.ts';
import { normalizeAxis, numel } from '../shape.ts';
import { dense, denseFloat, empty, sameBackend, zerosOn } from './util.ts';
import { contiguous, reshape } from './movement.ts';

function checkIndex(op: string, index: Tensor, size: number): Int32Array {
  if (index.dtype !== 'int32') throw new DTypeError(op, `indices must be int32, got ${index.dtype}`, [index.dtype]);
  const ids = dense(contiguous(index)) as Int32Array;
  const n = index.size;
  for (let i = 0; i < n; i++) {
    const v = ids[i]!;
    if (v < 0 || v >= size) throw new ArgumentError(op, `index ${v} at position ${i} is out of range [0, ${size})`);
  }
  return n === ids.length ? ids : ids.subarray(0, n);
}

/** Rows of x along `axis` picked by a 1-D int32 index: out.shape[axis] = index.size. */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('indexSelect', axis, x.ndim);
  if (index.ndim > 1) throw new ShapeError('indexSelect', 'index must be 1-D', [index.shape]);
  const backend = sameBackend('indexSelect', x, index);
  const dim = x.shape[a]!;
  const ids = checkIndex('indexSelect', index, dim);
  const outer = numel(x.shape.slice(0, a));
  const inner = numel(x.shape.slice(a + 1));
  const xc = contiguous(x);
  const shape = [...x.shape];
  shape[a] = ids.length;
  const out = empty(shape, x.dtype, backend);
  backend.indexSelect(dense(xc), outer, dim, inner, ids, out.data);
  if (needsGrad(x)) {
    attach(out, 'indexSelect', [x], (g) => {
      // an embedding table with a gradient buffer: scatter-add the rows straight into it
      const into = leafGradBuffer(x);
      const gx = into ?? zerosOn(x.shape, x.dtype, backend);
      backend.indexAdd(denseFloat(contiguous(g)), outer, ids.length, inner, ids, dim, denseFloat(gx));
      return [into === null ? gx : null];
    });
  }
  return out;
}

/** Embedding lookup: weight [V, C], ids int32 of any shape -> [...ids.shape, C]. */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.ndim !== 2) throw new ShapeError('embedding', 'weight must be 2-D [num_embeddings, dim]', [weight.shape]);
  const flat = indexSelect(weight, 0, reshape(ids, [-1]));
  return reshape(flat, [...ids.shape, weight.shape[1]!]);
}

/** torch.gather: out[..., j, ...] = x[..., index[..., j, ...], ...] along axis; index has x's rank. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normalizeAxis('gather', axis, x.ndim);
  if (index.ndim !== x.ndim)
    throw new ShapeError('gather', 'index must have the same number of dimensions as the input', [
      x.shape,
      index.shape,
    ]);
  for (let i = 0; i < x.ndim; i++) {
    if (i !== a && index.shape[i] !== x.shape[i]) {
      throw new ShapeError('gather', `index dimension ${i} must equal the input's (${x.shape[i]})`, [
        x.shape,
        index.shape,
      ]);
    }
  }
  const backend = sameBackend('gather', x, index);
  const dim = x.shape[a]!;
  const ids = checkIndex('gather', index, dim);
  const outer = numel(x.shape.slice(0, a));
  const inner = numel(x.shape.slice(a + 1));
  const n = index.shape[a]!;
  const xc = contiguous(x);
  const out = empty(index.shape, x.dtype, backend);
  backend.gather(dense(xc), outer, dim, inner, ids, n, out.data);
  if (needsGrad(x)) {
    attach(out, 'gather', [x], (g) => {
      const gx = zerosOn(x.shape, x.dtype, backend);
      backend.scatterAdd(denseFloat(contiguous(g)), outer, n, inner, ids, dim, denseFloat(gx));
      return [gx];
    });
  }
  return out;
}
