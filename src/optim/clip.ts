/** Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_): returns the norm before clipping. */
import type { FloatArray } from '../engine/dtype.ts';
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import type { Parameter } from '../nn/parameter.ts';

function dense(t: Tensor): FloatArray {
  const d = t.data as FloatArray;
  return t.offset === 0 && d.length === t.size ? d : d.subarray(t.offset, t.offset + t.size);
}

/** The L2 norm of all gradients together. */
export function gradNorm(params: readonly Parameter[]): number {
  let sq = 0;
  for (const p of params) if (p.grad !== null) sq += p.backend.sumSquares(dense(p.grad.contiguous()), p.size);
  return Math.sqrt(sq);
}

/**
 * The factor that clips the global norm to maxNorm: min(1, maxNorm / (norm + 1e-6)), as PyTorch.
 * Pass it to optimizer.step(gradScale) to clip without another pass over the gradients, or
 * use clipGradNorm_ to scale the gradients in place.
 */
export function clipFactor(norm: number, maxNorm: number): number {
  return Math.min(1, maxNorm / (norm + 1e-6));
}

export function clipGradNorm_(params: readonly Parameter[], maxNorm: number): number {
  const norm = gradNorm(params);
  const f = clipFactor(norm, maxNorm);
  if (f < 1) noGrad(() => { for (const p of params) if (p.grad !== null) p.grad.mul_(f); });
  return norm;
}
