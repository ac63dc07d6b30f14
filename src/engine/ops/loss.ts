/** Fused cross-entropy over class logits, with ignoreIndex and label smoothing (torch.nn.functional.cross_entropy semantics). */
import { Tensor } from '../tensor.ts';
import { ArgumentError, DTypeError, ShapeError } from '../../core/errors.ts';
import { attach, needsGrad } from '../autograd/node.ts';
import { assertFloat, dense, denseFloat, empty, sameBackend } from './util.ts';
import { contiguous, reshape } from './movement.ts';

export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing and are not counted in the mean. Default -100. */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1-s)·onehot + s/C. Default 0. */
  labelSmoothing?: number;
  /** 'mean' (over non-ignored targets, the default), 'sum', or 'none' (per target). */
  reduction?: 'mean' | 'sum' | 'none';
}

/** logits [..., C] and int32 targets [...] (the same leading shape). */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  assertFloat('crossEntropy', logits);
  if (targets.dtype !== 'int32')
    throw new DTypeError('crossEntropy', `targets must be int32 class indices, got ${targets.dtype}`, [targets.dtype]);
  const backend = sameBackend('crossEntropy', logits, targets);
  const ignoreIndex = options.ignoreIndex ?? -100;
  const smoothing = options.labelSmoothing ?? 0;
  const reduction = options.reduction ?? 'mean';
  if (!(smoothing >= 0 && smoothing <= 1))
    throw new ArgumentError('crossEntropy', `labelSmoothing must be in [0, 1], got ${smoothing}`);
  if (logits.ndim < 1) throw new ShapeError('crossEntropy', 'logits need a class dimension', [logits.shape]);
  const classes = logits.shape[logits.ndim - 1]!;
  const lead = logits.shape.slice(0, -1);
  if (targets.ndim !== lead.length || targets.shape.some((d, i) => d !== lead[i])) {
    throw new ShapeError('crossEntropy', 'targets must have the shape of logits without the last (class) dimension', [
      logits.shape,
      targets.shape,
    ]);
  }
  const rows = targets.size;
  const tc = contiguous(targets);
  const ids = dense(tc) as Int32Array;
  let counted = 0;
  for (let i = 0; i < rows; i++) {
    const t = ids[i]!;
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= classes)
      throw new ArgumentError(
        'crossEntropy',
        `target ${t} at position ${i} is outside [0, ${classes}) and is not ignoreIndex ${ignoreIndex}`,
      );
    counted++;
  }
  const lc = contiguous(logits);
  const losses = empty([rows], logits.dtype, backend);
  const lse = empty([rows], logits.dtype, backend);
  backend.crossEntropy(denseFloat(lc), ids, rows, classes, ignoreIndex, smoothing, denseFloat(losses), denseFloat(lse));
  let out: Tensor;
  let scale = 1;
  if (reduction === 'none') {
    out = reshape(losses.detach(), lead);
  } else {
    let total = 0;
    const l = denseFloat(losses);
    for (let i = 0; i < rows; i++) total += l[i]!;
    // mean over zero counted targets is NaN, as in PyTorch
    scale = reduction === 'mean' ? 1 / counted : 1;
    out = empty([], logits.dtype, backend);
    out.data[0] = total * scale;
  }
  if (needsGrad(logits)) {
    attach(out, 'crossEntropy', [logits], (g) => {
      const gradLoss = empty([rows], logits.dtype, backend);
      const gl = denseFloat(gradLoss);
      if (reduction === 'none') gl.set(denseFloat(contiguous(g)).subarray(0, rows));
      else gl.fill(g.data[g.offset]! * scale);
      const gx = empty(logits.shape, logits.dtype, backend);
      backend.crossEntropyGrad(
        denseFloat(lc),
        ids,
        denseFloat(lse),
        gl,
        rows,
        classes,
        ignoreIndex,
        smoothing,
        denseFloat(gx),
      );
      return [gx];
    });
  }
  return out;
}
