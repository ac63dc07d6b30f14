export { Optimizer, groupsForWeightDecay } from './optimizer.ts';
export type { ParamGroup, OptimizerState } from './optimizer.ts';
export { AdamW } from './adamw.ts';
export type { AdamWOptions } from './adamw.ts';
export { SGD } from './sgd.ts';
export type { SGDOptions } from './sgd.ts';
export { createSchedule } from './schedule.ts';
export type { Schedule, ScheduleOptions } from './schedule.ts';
export { gradNorm, clipFactor, clipGradNorm_ } from './clip.ts';
