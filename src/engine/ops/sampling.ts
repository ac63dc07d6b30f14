/** torch.multinomial: draws category indices from rows of non-negative weights with an explicit Generator. */
import type { Generator } from '../../core/random.ts';
import { Tensor } from '../tensor.ts';
import { ArgumentError, ShapeError } from '../../core/errors.ts';
import { contiguous } from './movement.ts';
import { empty } from './util.ts';

/**
 * weights [V] or [N, V] (unnormalized, >= 0) -> int32 [numSamples] or [N, numSamples].
 * Without replacement each draw removes the drawn category, as torch does.
 */
export function multinomial(weights: Tensor, numSamples: number, generator: Generator, replacement = false): Tensor {
  if (weights.ndim !== 1 && weights.ndim !== 2)
    throw new ShapeError('multinomial', 'weights must be 1-D or 2-D', [weights.shape]);
  if (weights.dtype !== 'float32' && weights.dtype !== 'float64')
    throw new ArgumentError('multinomial', `weights must be floating point, got ${weights.dtype}`);
  const V = weights.shape[weights.ndim - 1]!;
  const rows = weights.ndim === 2 ? weights.shape[0]! : 1;
  if (!Number.isInteger(numSamples) || numSamples <= 0)
    throw new ArgumentError('multinomial', `numSamples must be a positive integer, got ${numSamples}`);
  if (!replacement && numSamples > V)
    throw new ArgumentError(
      'multinomial',
      `cannot draw ${numSamples} samples without replacement from ${V} categories`,
    );
  const w = contiguous(weights).toTypedArray();
  const out = empty(weights.ndim === 2 ? [rows, numSamples] : [numSamples], 'int32', weights.backend);
  const o = out.data;
  const row = new Float64Array(V);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < V; j++) row[j] = w[r * V + j]!;
    for (let s = 0; s < numSamples; s++) {
      const k = generator.categorical(row);
      o[r * numSamples + s] = k;
      if (!replacement) row[k] = 0;
    }
  }
  return out;
}
