/** A Parameter is a leaf tensor that requires grad and belongs to a Module (found by Module.namedParameters()). */
import { Tensor } from '../engine/tensor.ts';
import { untracked } from '../engine/memory.ts';
import { contiguousCopy } from '../engine/ops/movement.ts';
import { ArgumentError } from '../core/errors.ts';

export class Parameter extends Tensor {
  /** Whether optimizers should apply weight decay (set by the model: no decay for norms, biases, embeddings). */
  weightDecay = true;

  /** Wraps a tensor's data (copied, outside any memory scope) as a trainable parameter. */
  constructor(data: Tensor, requiresGrad = true) {
    if (data.dtype !== 'float32' && data.dtype !== 'float64') {
      throw new ArgumentError('Parameter', `parameters must be floating point, got ${data.dtype}`);
    }
    // always an untracked copy: the data may belong to a memory scope that will release it
    const owned = untracked(() => contiguousCopy(data));
    super(owned.storage, owned.shape, owned.strides, 0, requiresGrad);
  }
}

/** Non-trainable module state saved with the model (BatchNorm running statistics, ...). */
export class Buffer extends Tensor {
  readonly persistent: boolean;
  constructor(data: Tensor, persistent = true) {
    const owned = untracked(() => contiguousCopy(data));
    super(owned.storage, owned.shape, owned.strides, 0, false);
    this.persistent = persistent;
  }
}
