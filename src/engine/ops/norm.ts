/** Fused LayerNorm and RMSNorm over the last dimension (PyTorch semantics: biased variance, eps inside the sqrt). */
import { Tensor } from '../tensor.ts';
import { DTypeError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { leafGradBuffer } from '../autograd/leaf-grad.ts';
import { assertFloat, denseFloat, empty, sameBackend, zerosOn } from './util.ts';
import { contiguous } from './movement.ts';

function checkAffine(op: string, x: Tensor, p: Tensor | null, what: string): void {
  if (p === null) return;
  const c = x.shape[x.ndim - 1];
  if (p.ndim !== 1 || p.shape[0] !== c)
    throw new ShapeError(op, `${what} must have shape [${c}] (the last dimension of the input)`, [x.shape, p.shape]);
  if (p.dtype !== x.dtype)
    throw new DTypeError(op, `${what} dtype ${p.dtype} differs from the input's ${x.dtype}`, [x.dtype, p.dtype]);
}

/** y = (x - mean) / sqrt(var + eps) * weight + bias over the last dimension; x [..., C]. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  assertFloat('layerNorm', x);
  if (x.ndim === 0) throw new ShapeError('layerNorm', 'needs at least one dimension', [x.shape]);
  checkAffine('layerNorm', x, weight, 'weight');
  checkAffine('layerNorm', x, bias, 'bias');
  const backend = sameBackend('layerNorm', x, ...(weight ? [weight] : []), ...(bias ? [bias] : []));
  const cols = x.shape[x.ndim - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const xc = contiguous(x);
  const wc = weight ? contiguous(weight) : null;
  const bc = bias ? contiguous(bias) : null;
  const out = empty(x.shape, x.dtype, backend);
  const mean = empty([rows], x.dtype, backend);
  const rstd = empty([rows], x.dtype, backend);
  backend.layerNorm(
    denseFloat(xc),
    wc && denseFloat(wc),
    bc && denseFloat(bc),
    rows,
    cols,
    eps,
    denseFloat(out),
    denseFloat(mean),
    denseFloat(rstd),
  );
  if (needsGrad(x, weight, bias)) {
    const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    attach(out, 'layerNorm', inputs, (g) => {
      const gc = contiguous(g);
      const gx = empty(x.shape, x.dtype, backend);
      // the kernel adds into gw and gb: a parameter's gradient buffer can receive them directly
      const wInto = weight && weight.requiresGrad ? leafGradBuffer(weight) : null;
      const bInto = bias && bias.requiresGrad ? leafGradBuffer(bias) : null;
      const gw = weight && weight.requiresGrad ? (wInto ?? zerosOn(weight.shape, x.dtype, backend)) : null;
      const gb = bias && bias.requiresGrad ? (bInto ?? zerosOn(bias.shape, x.dtype, backend)) : null;
      backend.layerNormGrad(
        denseFloat(xc),
        wc && denseFloat(wc),
        denseFloat(mean),
        denseFloat(rstd),
        denseFloat(gc),
        rows,
        cols,
        denseFloat(gx),
        gw && denseFloat(gw),
        gb && denseFloat(gb),
      );
      const grads: (Tensor | null)[] = [x.requiresGrad ? gx : null];
      if (weight) grads.push(wInto === null ? gw : null);
      if (bias) grads.push(bInto === null ? gb : null);
      return grads;
    });
  }
  return out;
}

/** y = x / sqrt(mean(x^2) + eps) * weight over the last dimension (LLaMA's RMSNorm). */
export function rmsNorm(x: Tensor, weight: Tensor | null, eps = 1e-6): Tensor {
  assertFloat('rmsNorm', x);
  if (x.ndim === 0) throw new ShapeError('rmsNorm', 'needs at least one dimension', [x.shape]);
  checkAffine('rmsNorm', x, weight, 'weight');
  const backend = sameBackend('rmsNorm', x, ...(weight ? [weight] : []));
  const cols = x.shape[x.ndim - 1]!;
  const rows = cols === 0 ? 0 : x.size / cols;
  const xc = contiguous(x);
  const wc = weight ? contiguous(weight) : null;
  const out = empty(x.shape, x.dtype, backend);
  const rstd = empty([rows], x.dtype, backend);
  backend.rmsNorm(denseFloat(xc), wc && denseFloat(wc), rows, cols, eps, denseFloat(out), denseFloat(rstd));
  if (needsGrad(x, weight)) {
    const inputs = weight ? [x, weight] : [x];
    attach(out, 'rmsNorm', inputs, (g) => {
      const gc = contiguous(g);
      const gx = empty(x.shape, x.dtype, backend);
      const wInto = weight && weight.requiresGrad ? leafGradBuffer(weight) : null;
      const gw = weight && weight.requiresGrad ? (wInto ?? zerosOn(weight.shape, x.dtype, backend)) : null;
      backend.rmsNormGrad(
        denseFloat(xc),
        wc && denseFloat(wc),
        denseFloat(rstd),
        denseFloat(gc),
        rows,
        cols,
        denseFloat(gx),
        gw && denseFloat(gw),
      );
      return weight ? [x.requiresGrad ? gx : null, wInto === null ? gw : null] : [gx];
    });
  }
  return out;
}
