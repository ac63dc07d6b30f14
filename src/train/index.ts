/** Training: the loop every stage shares, pretraining objectives and tasks, evaluation, metrics. */
export { trainLoop, writePlot } from './loop.ts';
export type { MicroBatchResult, TrainTask, LoopOptions, LoopResult } from './loop.ts';
export type { JsonValue } from '../core/json.ts';
export { MetricsLog, seriesOf } from './metrics.ts';
export type { MetricRecord } from './metrics.ts';
export { pretrain, defaultPretrainConfig } from './pretrain.ts';
export type { PretrainConfig, PretrainResult } from './pretrain.ts';
export { CausalLMTask, MaskedLMTask, DenoisingTask } from './tasks.ts';
export type { EvalOptions, MlmSpecials } from './tasks.ts';
export { evaluateCausalLM } from './evaluate.ts';
export type { EvalResult } from './evaluate.ts';
