/** Learning-rate schedules: constant, linear warmup then cosine or linear decay to a floor (nanoGPT's get_lr). */
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
