/**
 * Writing gradients straight into a leaf's .grad buffer. When a parameter already has a
 * gradient buffer (flattenParameters gives every parameter one), an op's backward rule can
 * accumulate its weight gradient into it with the kernel's accumulate mode - the matmul's
 * C += A·B, the embedding's scatter-add - and return null for that input, instead of
 * materializing a fresh gradient that the autograd engine would then add in a second pass
 * (for GPT-2's 50257 x 768 embedding, a 154 MB zero-fill and a 154 MB add per step).
 * PyTorch's AccumulateGrad does the same by stealing or adding into .grad.
 */
import type { Tensor } from '../tensor.ts';
import { shapesEqual } from '../shape.ts';
import { untracked } from '../memory.ts';
import { zerosOn } from '../ops/util.ts';

/**
 * t.grad when t is a leaf requiring grad with a contiguous buffer of its shape and dtype, else
 * null. A leaf without a gradient yet gets a zero buffer first, so the order in which
 * contributions are summed (and so the rounding) is the same on the first backward as on
 * later ones: a resumed run that starts without gradient buffers stays bit-identical.
 */
export function leafGradBuffer(t: Tensor): Tensor | null {
  if (!t.requiresGrad || t.gradFn !== null) return null;
  if (t.grad === null) t.grad = untracked(() => zerosOn(t.shape, t.dtype, t.backend));
  const g = t.grad;
  if (g.dtype !== t.dtype || g.backend !== t.backend || !g.isContiguous() || !shapesEqual(g.shape, t.shape))
    return null;
  g.storage.version++;
  return g;
}
