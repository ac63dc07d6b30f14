/** AdamW (Loshchilov & Hutter) with PyTorch's semantics: decoupled weight decay, bias-corrected moments. */
import type { FloatArray } from '../engine/dtype.ts';
import { untracked } from '../engine/memory.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { zerosOn } from '../engine/ops/util.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ArgumentError } from '../errors.ts';
import type { Parameter } from '../nn/parameter.ts';
import { Optimizer } from './optimizer.ts';
import type { OptimizerState, ParamGroup } from './optimizer.ts';

export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
}

function dense(t: Tensor): FloatArray {
  const d = t.data as FloatArray;
  return t.offset === 0 && d.length === t.size ? d : d.subarray(t.offset, t.offset + t.size);
}

export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly m = new Map<Parameter, Tensor>();
  private readonly v = new Map<Parameter, Tensor>();

  constructor(groups: ParamGroup[], options: AdamWOptions = {}) {
    super(groups);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new ArgumentError('AdamW', `betas must be in [0, 1), got [${this.beta1}, ${this.beta2}]`);
    }
    untracked(() => {
      for (const g of groups) {
        for (const p of g.params) {
          this.m.set(p, zerosOn(p.shape, p.dtype, p.backend));
          this.v.set(p, zerosOn(p.shape, p.dtype, p.backend));
        }
      }
    });
  }

  step(gradScale = 1): void {
    this.stepCount++;
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          if (p.grad === null) continue;
          if (!p.grad.isContiguous()) throw new ArgumentError('AdamW.step', 'gradients must be contiguous');
          p.storage.version++; // an in-place update: graphs that saved p are now stale
          p.backend.adamw({
            param: dense(p), grad: dense(p.grad), m: dense(this.m.get(p)!), v: dense(this.v.get(p)!),
            lr: g.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: g.weightDecay,
            step: this.stepCount, gradScale,
          });
        }
      }
    });
  }

  stateDict(): OptimizerState {
    const slots: Record<string, Float32Array | Float64Array>[] = [];
    for (const g of this.groups) {
      for (const p of g.params) slots.push({ m: dense(this.m.get(p)!).slice(), v: dense(this.v.get(p)!).slice() });
    }
    return { step: this.stepCount, slots, groups: this.groups.map((g) => ({ lr: g.lr, weightDecay: g.weightDecay })) };
  }

  loadStateDict(state: OptimizerState): void {
    let i = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        const slot = state.slots[i++];
        const m = slot?.['m'];
        const v = slot?.['v'];
        if (m === undefined || v === undefined || m.length !== p.size || v.length !== p.size) {
          throw new ArgumentError('AdamW.loadStateDict', `state for parameter ${i - 1} does not match its size ${p.size}`);
        }
        dense(this.m.get(p)!).set(m);
        dense(this.v.get(p)!).set(v);
      }
    }
    if (i !== state.slots.length) throw new ArgumentError('AdamW.loadStateDict', `state has ${state.slots.length} parameters, the optimizer ${i}`);
    this.stepCount = state.step;
    state.groups.forEach((s, j) => {
      const g = this.groups[j];
      if (g) {
        g.lr = s.lr;
        g.weightDecay = s.weightDecay;
      }
    });
  }
}
