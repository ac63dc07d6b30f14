/**
 * Optimizers over parameter groups. State (moments, step) lives here, never on tensors.
 * Each group has its own hyperparameters; `groupsForWeightDecay` builds nanoGPT's split
 * (decay for matrices, none for norms, biases and embeddings).
 */
import type { Parameter } from '../nn/parameter.ts';
import { ArgumentError } from '../core/errors.ts';
import { zeroGradients } from './clip.ts';
import { decays } from '../nn/module.ts';

export interface ParamGroup {
  params: Parameter[];
  lr: number;
  weightDecay: number;
}

export interface OptimizerState {
  step: number;
  /** Per parameter (by position across groups), named state tensors' data. */
  slots: Record<string, Float32Array | Float64Array>[];
  groups: { lr: number; weightDecay: number }[];
}

export abstract class Optimizer {
  readonly groups: ParamGroup[];
  /** Number of completed steps. */
  stepCount = 0;

  constructor(groups: ParamGroup[]) {
    if (groups.length === 0 || groups.every((g) => g.params.length === 0))
      throw new ArgumentError('optimizer', 'no parameters to optimize');
    this.groups = groups;
  }

  /** Applies one update from the parameters' .grad (multiplied by gradScale, e.g. a clipping factor). */
  abstract step(gradScale?: number): void;

  /** Sets every group's learning rate (schedules call this before step()). */
  setLearningRate(lr: number): void {
    for (const g of this.groups) g.lr = lr;
  }

  /** Zeroes every parameter's gradient (one fill per contiguous run of gradient memory). */
  zeroGrad(): void {
    zeroGradients(this.groups.flatMap((g) => g.params));
  }

  abstract stateDict(): OptimizerState;
  abstract loadStateDict(state: OptimizerState): void;
}

/** nanoGPT's grouping: weight decay on parameters that want it (matrices), none on norms, biases and embeddings. */
export function groupsForWeightDecay(params: readonly Parameter[], lr: number, weightDecay: number): ParamGroup[] {
  const trainable = params.filter((p) => p.requiresGrad);
  // the same split and order flattenParameters lays out, so each group is one run of memory
  return [
    { params: trainable.filter(decays), lr, weightDecay },
    { params: trainable.filter((p) => !decays(p)), lr, weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}
