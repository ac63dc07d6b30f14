/**
 * The training loop every stage shares (pretraining, SFT, reward model, DPO): learning-rate
 * schedule, gradient accumulation, global-norm clipping, AdamW, evaluation every N steps,
 * atomic checkpoints (last and best) with exact resume, NaN and loss-spike detection, JSONL
 * metrics, a progress bar and a loss-curve plot.
 *
 * A stage supplies a TrainTask: how to compute one micro-batch's loss, how to evaluate, and
 * the extra state (data sampler RNG, positions) a checkpoint must hold to resume exactly.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Tensor } from '../engine/tensor.ts';
import { tidy } from '../engine/memory.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { Schedule } from '../optim/schedule.ts';
import { clipFactor, gradNorm } from '../optim/clip.ts';
import { FormatError, LlmtsError, NumericError } from '../core/errors.ts';
import { createProgress } from '../core/progress.ts';
import { lineChartSvg } from '../core/plot.ts';
import { removeStaleTemps, writeFileAtomic } from '../core/atomic.ts';
import { faultPoint } from '../core/fault.ts';
import type { JsonValue } from '../core/json.ts';
import type { Checkpointer } from '../io/checkpoint.ts';
import { MetricsLog, seriesOf } from './metrics.ts';
import type { MetricRecord } from './metrics.ts';

export type { JsonValue };

export interface MicroBatchResult {
  /** Mean loss of the micro-batch: a scalar with a graph. */
  loss: Tensor;
  /** Tokens (or examples) it covers, for throughput. */
  tokens: number;
  /** Extra per-step numbers to log (averaged over micro-batches). */
  metrics?: Record<string, number>;
}

export interface TrainTask {
  microBatch(step: number, micro: number): MicroBatchResult;
  /** Validation metrics; `loss` (if present) selects the best checkpoint. */
  evaluate?(): Record<string, number>;
  /** What a checkpoint must store besides model and optimizer to resume exactly. */
  state(): JsonValue;
  /** Restores state() from a checkpoint (`source` names it in errors). */
  loadState(state: JsonValue, source?: string): void;
  /**
   * The loss of a uniform prediction (ln V for a language model over V tokens), when the task
   * has one: the collapse check stops a run whose loss settles there after it had moved away.
   */
  readonly uniformLoss?: number;
}

export type { Checkpointer };

export interface LoopOptions {
  model: Module;
  optimizer: Optimizer;
  schedule: Schedule;
  task: TrainTask;
  /** Total optimizer steps. */
  steps: number;
  gradAccumSteps?: number;
  /** Global gradient-norm clip (null: none). */
  gradClip?: number | null;
  /** Evaluate at step 0 and every evalEvery steps, and at the end (0: never). */
  evalEvery?: number;
  /** Save `last` every checkpointEvery steps and at the end (0: only at the end). */
  checkpointEvery?: number;
  checkpointer?: Checkpointer | null;
  /** Run directory: metrics.jsonl and loss.svg go here. */
  runDir: string;
  /** Resume from the last checkpoint if there is one. */
  resume?: boolean;
  /**
   * Abort when the loss exceeds spikeFactor x the median of the recent losses (up to 50,
   * once there are 5). 0 (the default here) disables; pretrain uses DEFAULT_SPIKE_FACTOR (4:
   * a language model's early losses fall, they never quadruple). Off for the alignment
   * stages, whose losses (a reward model's, DPO's) approach 0, where 4x the median is noise.
   */
  spikeFactor?: number;
  /**
   * Abort when the loss has sat at the task's uniformLoss (within 1e-3) for this many steps in
   * a row after it had moved more than 10% away from it: the model collapsed to a uniform
   * prediction (a too-high learning rate). 0 disables; default 10.
   */
  collapseSteps?: number;
  /** Also stop after this many seconds (the demo's --minutes); the final eval and checkpoint still run. */
  timeLimitSeconds?: number;
  progressLabel?: string;
  /** Called after each step with its record (tests, custom logging). */
  onStep?(record: MetricRecord): void;
  /** Log a train record every logEvery steps (default 1). */
  logEvery?: number;
}

export interface LoopResult {
  steps: number;
  finalTrainLoss: number;
  lastEval: Record<string, number> | null;
  bestEvalLoss: number | null;
  /** Median milliseconds per optimizer step over the run (excluding evaluation). */
  msPerStep: number;
  tokensPerSecond: number;
  stoppedEarly: boolean;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const DEFAULT_SPIKE_FACTOR = 4;
export const DEFAULT_COLLAPSE_STEPS = 10;

/** The shared training loop: gradient accumulation, clipping, schedule, evaluation, checkpoints, resume, metrics JSONL and progress. */
export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  mkdirSync(o.runDir, { recursive: true });
  // temp files of a write that was killed (checkpoints, metrics, plots) go first
  removeStaleTemps(o.runDir);
  const metrics = new MetricsLog(join(o.runDir, 'metrics.jsonl'));
  const accum = o.gradAccumSteps ?? 1;
  const params = o.model.parameters().filter((p) => p.requiresGrad);
  let start = 0;
  let bestEvalLoss: number | null = null;
  const restored = o.resume && o.checkpointer ? o.checkpointer.restore() : null;
  if (restored !== null) {
    start = restored.step;
    const extra = restored.extra as { task?: JsonValue; bestEvalLoss?: number | null };
    if (extra.task !== undefined) {
      const source = restored.path ?? 'checkpoint';
      try {
        o.task.loadState(extra.task, source);
      } catch (err) {
        if (err instanceof LlmtsError) throw err;
        throw new FormatError(source, `cannot restore the task's state: ${(err as Error).message}`, 'extra.task', {
          cause: err,
        });
      }
    }
    bestEvalLoss = extra.bestEvalLoss ?? null;
  }
  // the records of the steps the run now redoes go (all of them when nothing was restored:
  // a run killed before its first checkpoint starts over, without duplicate records)
  if (o.resume) metrics.truncateAfter(start - 1);
  else writeFileAtomic(metrics.path, '');

  const evaluate = (step: number): Record<string, number> | null => {
    if (!o.task.evaluate) return null;
    const wasTraining = o.model.training;
    o.model.eval();
    const res = o.task.evaluate();
    o.model.train(wasTraining);
    metrics.append({ kind: 'eval', step, ...res });
    return res;
  };
  const saveState = (): JsonValue => ({ task: o.task.state(), bestEvalLoss });

  const progress = createProgress(o.steps, { label: o.progressLabel ?? 'train', unit: 'step' });
  progress.update(start);
  const recent: number[] = [];
  let departed = false; // the loss has moved away from the uniform prediction's
  let atUniform = 0; // steps in a row at the uniform loss since
  const stepTimes: number[] = [];
  let tokensTotal = 0;
  let trainSeconds = 0;
  let lastEval: Record<string, number> | null = null;
  let finalTrainLoss = NaN;
  let stoppedEarly = false;
  const began = performance.now();
  const evalEvery = o.evalEvery ?? 0;
  const ckptEvery = o.checkpointEvery ?? 0;
  let step = start;
  for (; step < o.steps; step++) {
    if (evalEvery > 0 && step % evalEvery === 0) {
      lastEval = evaluate(step);
      const l = lastEval?.['loss'];
      if (l !== undefined && (bestEvalLoss === null || l < bestEvalLoss) && step > 0) {
        bestEvalLoss = l;
        o.checkpointer?.save('best', step, saveState());
      }
    }
    const t0 = performance.now();
    const lr = o.schedule(step);
    o.optimizer.setLearningRate(lr);
    let lossSum = 0;
    let tokens = 0;
    const extra: Record<string, number> = {};
    for (let micro = 0; micro < accum; micro++) {
      tidy(() => {
        const r = o.task.microBatch(step, micro);
        r.loss.backward();
        lossSum += r.loss.item();
        tokens += r.tokens;
        for (const [k, v] of Object.entries(r.metrics ?? {})) extra[k] = (extra[k] ?? 0) + v / accum;
      });
    }
    const loss = lossSum / accum;
    if (!Number.isFinite(loss)) {
      throw new NumericError(
        `loss is ${loss} at step ${step} (lr ${lr.toExponential(2)}); the last checkpoint is intact. Lower the learning rate or check the data.`,
      );
    }
    const spike = o.spikeFactor ?? 0;
    if (spike > 0 && recent.length >= 5 && loss > spike * median(recent)) {
      throw new NumericError(
        `loss spiked to ${loss.toPrecision(5)} at step ${step}, more than ${spike}x the recent median ${median(recent).toFixed(4)}; the last checkpoint is intact. Lower the learning rate or raise warmup (the check: --spike-factor, 0 disables).`,
      );
    }
    recent.push(loss);
    if (recent.length > 50) recent.shift();
    const uniform = o.task.uniformLoss;
    const collapse = o.collapseSteps ?? DEFAULT_COLLAPSE_STEPS;
    if (uniform !== undefined && collapse > 0) {
      if (Math.abs(loss - uniform) > 0.1 * uniform) departed = true;
      atUniform = departed && Math.abs(loss - uniform) < 1e-3 ? atUniform + 1 : 0;
      if (atUniform >= collapse)
        throw new NumericError(
          `the model collapsed to a uniform prediction: the loss has been ${uniform.toFixed(4)} (uniform over the vocabulary) for ${atUniform} steps, at step ${step} (lr ${lr.toExponential(2)}); lower the learning rate (the check: --collapse-steps, 0 disables)`,
        );
    }
    // grads hold the sum over micro-batches of mean losses: scale by 1/accum, then clip
    const norm = gradNorm(params) / accum;
    if (!Number.isFinite(norm))
      throw new NumericError(`gradient norm is ${norm} at step ${step}; the last checkpoint is intact`);
    const factor = o.gradClip != null ? clipFactor(norm, o.gradClip) : 1;
    o.optimizer.step(factor / accum);
    o.optimizer.zeroGrad();
    const ms = performance.now() - t0;
    stepTimes.push(ms);
    trainSeconds += ms / 1000;
    tokensTotal += tokens;
    finalTrainLoss = loss;
    const record: MetricRecord = {
      kind: 'train',
      step,
      loss,
      lr,
      grad_norm: norm,
      ms,
      tokens_per_s: tokens / (ms / 1000),
      ...extra,
    };
    if (step % (o.logEvery ?? 1) === 0) metrics.append(record);
    faultPoint('train:after-step');
    o.onStep?.(record);
    progress.update(step + 1, { loss: loss.toFixed(4), 'tok/s': Math.round(tokens / (ms / 1000)) });
    if (ckptEvery > 0 && (step + 1) % ckptEvery === 0 && step + 1 < o.steps) {
      o.checkpointer?.save('last', step + 1, saveState());
      await writePlot(o.runDir, metrics);
    }
    if (o.timeLimitSeconds !== undefined && (performance.now() - began) / 1000 > o.timeLimitSeconds) {
      stoppedEarly = true;
      step++;
      break;
    }
  }
  progress.stop();
  const done = step;
  if (evalEvery > 0 || o.task.evaluate) {
    lastEval = evaluate(done);
    const l = lastEval?.['loss'];
    if (l !== undefined && (bestEvalLoss === null || l < bestEvalLoss)) {
      bestEvalLoss = l;
      o.checkpointer?.save('best', done, saveState());
    }
  }
  o.checkpointer?.save('last', done, saveState());
  await writePlot(o.runDir, metrics);
  return {
    steps: done,
    finalTrainLoss,
    lastEval,
    bestEvalLoss,
    msPerStep: median(stepTimes),
    tokensPerSecond: trainSeconds > 0 ? tokensTotal / trainSeconds : 0,
    stoppedEarly,
  };
}

/** loss.svg: training loss (every step) and validation loss (every eval) against the step. */
export async function writePlot(runDir: string, metrics: MetricsLog): Promise<void> {
  const records = metrics.read();
  const svg = await lineChartSvg({
    title: 'Loss',
    xLabel: 'step',
    yLabel: 'cross-entropy (nats)',
    series: [
      { name: 'train', points: seriesOf(records, 'loss', 'train') },
      { name: 'validation', points: seriesOf(records, 'loss', 'eval') },
    ],
  });
  writeFileAtomic(join(runDir, 'loss.svg'), svg);
}
