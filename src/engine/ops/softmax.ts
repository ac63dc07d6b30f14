/** softmax / logSoftmax along any axis (fused kernels on the last axis; other axes are moved there). */
import { Tensor } from '../tensor.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { normalizeAxis } from '../shape.ts';
import { assertFloat, denseFloat, empty } from './util.ts';
import { contiguous, transpose } from './movement.ts';

function softmaxLast(x: Tensor, log: boolean): Tensor {
  const xc = contiguous(x);
  const cols = x.shape[x.ndim - 1] ?? 1;
  const rows = cols === 0 ? 0 : x.size / cols;
  const out = empty(x.shape, x.dtype, x.backend);
  x.backend.softmax(denseFloat(xc), rows, cols, denseFloat(out), log);
  if (needsGrad(x)) {
    attach(out, log ? 'logSoftmax' : 'softmax', [x], (g) => {
      const gc = contiguous(g);
      const gx = empty(x.shape, x.dtype, x.backend);
      x.backend.softmaxGrad(denseFloat(out), denseFloat(gc), rows, cols, denseFloat(gx), log);
      return [gx];
    });
  }
  return out;
}

function along(x: Tensor, axis: number, log: boolean, name: string): Tensor {
  assertFloat(name, x);
  if (x.ndim === 0) return softmaxLast(x.reshape([1]), log).reshape([]);
  const a = normalizeAxis(name, axis, x.ndim);
  if (a === x.ndim - 1) return softmaxLast(x, log);
  return transpose(softmaxLast(transpose(x, a, -1), log), a, -1);
}

export const softmax = (x: Tensor, axis = -1): Tensor => along(x, axis, false, 'softmax');
export const logSoftmax = (x: Tensor, axis = -1): Tensor => along(x, axis, true, 'logSoftmax');
