/**
 * A node of the autograd graph: the op that produced a tensor, the inputs it needs gradients
 * for, and its backward rule. Backward rules are written with ops (never with kernels), once
 * per op, beside the op's forward code, so every backend gets them.
 */
import type { Tensor } from '../tensor.ts';
import { isGradEnabled } from '../grad-mode.ts';

export interface GradNode {
  /** The op's name, for error messages and graph inspection. */
  readonly name: string;
  /** The op's tensor inputs, in the order backward() returns their gradients. */
  readonly inputs: readonly Tensor[];
  /**
   * Given d(loss)/d(output), returns d(loss)/d(input) for each input (null where not needed).
   * It must not keep tensors it allocates beyond returning them: inside a tidy scope the
   * engine frees everything else the rule allocated as soon as it returns (backward.ts).
   */
  backward(gradOutput: Tensor): readonly (Tensor | null)[];
  /** Storage versions of the inputs and the output when the op ran (see Storage.version). */
  readonly versions?: readonly number[];
}

export type BackwardFn = (gradOutput: Tensor) => readonly (Tensor | null)[];

/** Whether an op on these inputs must record a node. */
export function needsGrad(...inputs: readonly (Tensor | number | null | undefined)[]): boolean {
  if (!isGradEnabled()) return false;
  for (const t of inputs) if (t !== null && typeof t === 'object' && t.requiresGrad) return true;
  return false;
}

/** Records `out` as produced by `name` from `inputs`, with the given backward rule. */
export function attach(out: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  out.requiresGrad = true;
  const versions = inputs.map((t) => t.storage.version);
  versions.push(out.storage.version);
  out.gradFn = { name, inputs, backward, versions };
  return out;
}
