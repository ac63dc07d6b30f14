/** SGD with momentum, dampening, Nesterov and (coupled, L2) weight decay, as torch.optim.SGD. */
import { untracked } from '../engine/memory.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { add, mul } from '../engine/ops/elementwise.ts';
import { copy_ } from '../engine/ops/inplace.ts';
import { zerosOn } from '../engine/ops/util.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ArgumentError } from '../core/errors.ts';
import type { Parameter } from '../nn/parameter.ts';
import { Optimizer } from './optimizer.ts';
import type { OptimizerState, ParamGroup } from './optimizer.ts';

export interface SGDOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/** SGD with momentum, dampening, Nesterov and weight decay, as torch.optim.SGD. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  private readonly buffers = new Map<Parameter, Tensor>();

  constructor(groups: ParamGroup[], options: SGDOptions = {}) {
    super(groups);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.momentum < 0) throw new ArgumentError('SGD', `momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new ArgumentError('SGD', 'Nesterov needs momentum > 0 and dampening 0');
  }

  step(gradScale = 1): void {
    this.stepCount++;
    noGrad(() => {
      for (const g of this.groups) {
        for (const p of g.params) {
          if (p.grad === null) continue;
          let d: Tensor = gradScale === 1 ? p.grad : mul(p.grad, gradScale);
          if (g.weightDecay !== 0) d = add(d, mul(p, g.weightDecay));
          if (this.momentum !== 0) {
            let buf = this.buffers.get(p);
            if (buf === undefined) {
              buf = untracked(() => zerosOn(p.shape, p.dtype, p.backend));
              copy_(buf, d);
              this.buffers.set(p, buf);
            } else {
              copy_(buf, add(mul(buf, this.momentum), mul(d, 1 - this.dampening)));
            }
            d = this.nesterov ? add(d, mul(buf, this.momentum)) : buf;
          }
          p.add_(d, -g.lr);
        }
      }
    });
  }

  /** The momentum buffers, for checkpoints. */
  stateDict(): OptimizerState {
    const slots: Record<string, Float32Array | Float64Array>[] = [];
    for (const g of this.groups) {
      for (const p of g.params) {
        const b = this.buffers.get(p);
        slots.push(b ? { momentum: b.toTypedArray() as Float32Array } : {});
      }
    }
    return { step: this.stepCount, slots, groups: this.groups.map((g) => ({ lr: g.lr, weightDecay: g.weightDecay })) };
  }

  /** Restores the momentum buffers from stateDict. */
  loadStateDict(state: OptimizerState): void {
    let i = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        const m = state.slots[i++]?.['momentum'];
        if (m === undefined) continue;
        if (m.length !== p.size)
          throw new ArgumentError('SGD.loadStateDict', `momentum for parameter ${i - 1} has the wrong size`);
        const buf = untracked(() => zerosOn(p.shape, p.dtype, p.backend));
        (buf.data as Float32Array).set(m);
        this.buffers.set(p, buf);
      }
    }
    this.stepCount = state.step;
  }
}
