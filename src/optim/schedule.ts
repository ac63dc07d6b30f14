/**
 * Learning-rate schedules. `cosine` is nanoGPT's get_lr (karpathy/nanoGPT train.py): warmup
 * maxLr * (step + 1) / (warmup + 1), cosine from maxLr at `warmup` to minLr at `decaySteps`,
 * minLr after. `linear` is the same with the cosine coefficient replaced by 1 - ratio;
 * `constant` warms up the same way, then stays at maxLr. (Not Hugging Face's
 * get_cosine_schedule_with_warmup / get_linear_schedule_with_warmup, which warm up as
 * step / warmup from 0 and decay to 0.) test/optim/oracle.test.ts checks them against
 * scripts/oracles/optim_fixtures.py, which evaluates get_lr as nanoGPT writes it and
 * cross-checks it with torch's LinearLR and CosineAnnealingLR.
 */
import { ArgumentError } from '../core/errors.ts';

export interface ScheduleOptions {
  kind: 'constant' | 'cosine' | 'linear';
  maxLr: number;
  minLr?: number;
  warmupSteps?: number;
  /** The step at which decay reaches minLr (nanoGPT's lr_decay_iters). */
  decaySteps?: number;
}

export type Schedule = (step: number) => number;

/** A learning rate per step: linear warmup, then maxLr constant, or cosine or linear decay to minLr (nanoGPT's get_lr). */
export function createSchedule(o: ScheduleOptions): Schedule {
  const warmup = o.warmupSteps ?? 0;
  const minLr = o.minLr ?? 0;
  const decay = o.decaySteps ?? 0;
  if (!(o.maxLr >= 0)) throw new ArgumentError('schedule', `maxLr must be >= 0, got ${o.maxLr}`);
  if (o.kind !== 'constant' && decay <= warmup)
    throw new ArgumentError('schedule', `decaySteps (${decay}) must exceed warmupSteps (${warmup})`);
  return (step: number): number => {
    // nanoGPT: linear warmup for warmup steps (lr * (it + 1) / (warmup + 1))
    if (step < warmup) return (o.maxLr * (step + 1)) / (warmup + 1);
    if (o.kind === 'constant') return o.maxLr;
    if (step > decay) return minLr;
    const ratio = (step - warmup) / (decay - warmup);
    const coeff = o.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * ratio)) : 1 - ratio;
    return minLr + coeff * (o.maxLr - minLr);
  };
}
