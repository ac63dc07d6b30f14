/** Global gradient-norm clipping (torch.nn.utils.clip_grad_norm_): returns the norm before clipping. */
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import type { Parameter } from '../nn/parameter.ts';
import { contiguousRuns } from './runs.ts';

/** The gradients, ordered by storage and offset so views of one flat buffer form one run (order does not matter to a sum or a fill). */
function grads(params: readonly Parameter[]): Tensor[] {
  const gs = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
  const storages = new Map<unknown, number>();
  for (const g of gs) if (!storages.has(g.storage)) storages.set(g.storage, storages.size);
  return gs.sort((a, b) => storages.get(a.storage)! - storages.get(b.storage)! || a.offset - b.offset);
}

/** The L2 norm of all gradients together (one pass per contiguous run of gradient memory). */
export function gradNorm(params: readonly Parameter[]): number {
  const gs = grads(params);
  const backend = gs[0]?.backend;
  if (backend === undefined) return 0;
  let sq = 0;
  for (const run of contiguousRuns(gs)) sq += backend.sumSquares(run.data, run.length);
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

/** Scales the gradients in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm_(params: readonly Parameter[], maxNorm: number): number {
  const norm = gradNorm(params);
  const f = clipFactor(norm, maxNorm);
  if (f < 1)
    noGrad(() => {
      for (const g of grads(params)) g.mul_(f);
    });
  return norm;
}

/** Zeroes gradients with one fill per contiguous run. */
export function zeroGradients(params: readonly Parameter[]): void {
  const gs = grads(params);
  const backend = gs[0]?.backend;
  if (backend === undefined) return;
  for (const run of contiguousRuns(gs)) backend.fill(run.data, run.length, 0);
  for (const g of gs) g.storage.version++;
}
