/**
 * AdamW (Loshchilov & Hutter) with PyTorch's semantics: decoupled weight decay, bias-corrected
 * moments. The moments of a parameter group live in one flat buffer each, in the group's
 * order; when the group's parameters and gradients are back to back in memory (after
 * flattenParameters) a whole group is one kernel call.
 */
import type { FloatArray } from '../core/dtype.ts';
import { untracked } from '../engine/memory.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { zerosOn } from '../engine/ops/util.ts';
import type { Tensor } from '../engine/tensor.ts';
import { ArgumentError } from '../core/errors.ts';
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

/** Whether b starts where a ends in the same storage (both contiguous). */
function follows(a: Tensor, b: Tensor): boolean {
  return a.storage === b.storage && a.isContiguous() && b.isContiguous() && a.offset + a.size === b.offset;
}

interface GroupState {
  /** First and second moments, [group size], in the group's parameter order. */
  m: Tensor;
  v: Tensor;
  /** Each parameter's offset in m and v. */
  offsets: number[];
}

/** AdamW (decoupled weight decay, per-group settings), as torch.optim.AdamW. */
export class AdamW extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private readonly state: GroupState[];

  constructor(groups: ParamGroup[], options: AdamWOptions = {}) {
    super(groups);
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new ArgumentError('AdamW', `betas must be in [0, 1), got [${this.beta1}, ${this.beta2}]`);
    }
    this.state = untracked(() =>
      groups.map((g) => {
        const offsets: number[] = [];
        let total = 0;
        for (const p of g.params) {
          offsets.push(total);
          total += p.size;
        }
        const first = g.params[0]!;
        return {
          m: zerosOn([total], first.dtype, first.backend),
          v: zerosOn([total], first.dtype, first.backend),
          offsets,
        };
      }),
    );
  }

  step(gradScale = 1): void {
    this.stepCount++;
    noGrad(() => {
      this.groups.forEach((g, gi) => {
        const st = this.state[gi]!;
        const m = dense(st.m);
        const v = dense(st.v);
        // walk the group in runs where parameters and gradients are both back to back
        let i = 0;
        while (i < g.params.length) {
          const p = g.params[i]!;
          if (p.grad === null) {
            i++;
            continue;
          }
          let j = i + 1;
          while (j < g.params.length) {
            const prev = g.params[j - 1]!;
            const next = g.params[j]!;
            if (next.grad === null || !follows(prev, next) || !follows(prev.grad!, next.grad)) break;
            j++;
          }
          const last = g.params[j - 1]!;
          const start = st.offsets[i]!;
          const length = st.offsets[j - 1]! + last.size - start;
          const param = j - i === 1 ? dense(p) : (p.data as FloatArray).subarray(p.offset, p.offset + length);
          const grad =
            j - i === 1
              ? dense(p.grad.isContiguous() ? p.grad : p.grad.contiguous())
              : (p.grad.data as FloatArray).subarray(p.grad.offset, p.grad.offset + length);
          p.backend.adamw({
            param,
            grad,
            m: m.subarray(start, start + length),
            v: v.subarray(start, start + length),
            lr: g.lr,
            beta1: this.beta1,
            beta2: this.beta2,
            eps: this.eps,
            weightDecay: g.weightDecay,
            step: this.stepCount,
            gradScale,
          });
          for (let k = i; k < j; k++) g.params[k]!.storage.version++; // in-place: graphs that saved them are stale
          i = j;
        }
      });
    });
  }

  /** The step count and moments, for checkpoints. */
  stateDict(): OptimizerState {
    const slots: Record<string, Float32Array | Float64Array>[] = [];
    this.groups.forEach((g, gi) => {
      const st = this.state[gi]!;
      const m = dense(st.m);
      const v = dense(st.v);
      g.params.forEach((p, k) => {
        const o = st.offsets[k]!;
        slots.push({ m: m.slice(o, o + p.size), v: v.slice(o, o + p.size) });
      });
    });
    return { step: this.stepCount, slots, groups: this.groups.map((g) => ({ lr: g.lr, weightDecay: g.weightDecay })) };
  }

  /** Restores the step count and moments from stateDict. */
  loadStateDict(state: OptimizerState): void {
    let i = 0;
    this.groups.forEach((g, gi) => {
      const st = this.state[gi]!;
      const m = dense(st.m);
      const v = dense(st.v);
      g.params.forEach((p, k) => {
        const slot = state.slots[i++];
        const sm = slot?.['m'];
        const sv = slot?.['v'];
        if (sm === undefined || sv === undefined || sm.length !== p.size || sv.length !== p.size) {
          throw new ArgumentError(
            'AdamW.loadStateDict',
            `state for parameter ${i - 1} does not match its size ${p.size}`,
          );
        }
        m.set(sm, st.offsets[k]!);
        v.set(sv, st.offsets[k]!);
      });
    });
    if (i !== state.slots.length)
      throw new ArgumentError('AdamW.loadStateDict', `state has ${state.slots.length} parameters, the optimizer ${i}`);
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
