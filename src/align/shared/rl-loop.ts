/**
 * The loop PPO and GRPO share: call the algorithm's step (rollout, scoring, update), log
 * its metrics every step to metrics.jsonl and the progress bar, write a samples table every
 * N steps, evaluate every M steps, save one atomic checkpoint (all trained modules,
 * optimizers, RNG streams, KL controller) for exact resume, stop on a time budget, and draw
 * the plots at the end.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath } from '../../io/checkpoint.ts';
import type { ModelSpec } from '../../models/registry.ts';
import type { GPT } from '../../models/gpt.ts';
import { NumericError } from '../../core/errors.ts';
import { createProgress } from '../../core/progress.ts';
import type { JsonValue } from '../../core/json.ts';
import { MetricsLog } from '../../train/metrics.ts';
import type { MetricRecord } from '../../train/metrics.ts';
import type { ModuleEntry, OptimizerEntry } from './checkpoint.ts';
import { restoreMultiCheckpoint, saveMultiCheckpoint } from './checkpoint.ts';
import { writeRlPlots } from './plots.ts';
import type { RlSample } from './samples.ts';
import { writeSamples } from './samples.ts';

export interface RlStepResult {
  metrics: Record<string, number>;
  samples: RlSample[];
}

export interface RlAlgorithm {
  /** The policy being trained (saved under model/, so loadModelFromRun gives it). */
  readonly policy: GPT;
  step(step: number): RlStepResult | Promise<RlStepResult>;
  /** Trained modules besides the policy (the critic). */
  extraModules(): ModuleEntry[];
  optimizers(): OptimizerEntry[];
  state(): JsonValue;
  loadState(s: JsonValue): void;
}

export interface RlLoopOptions {
  algorithm: RlAlgorithm;
  spec: ModelSpec;
  steps: number;
  runDir: string;
  /** Evaluate every N steps (step 0 included) and at the end; 0: before training and at the end only. */
  evalEvery: number;
  sampleEvery: number;
  /** Checkpoint every N steps and at the end (0: only at the end). */
  checkpointEvery: number;
  resume: boolean;
  timeLimitSeconds: number | null;
  trainRecord: JsonValue;
  evaluate?: (policy: GPT) => Record<string, number>;
  onStep?: (r: MetricRecord) => void;
  progressLabel: string;
  /** Metrics shown on the progress bar. */
  progressKeys: readonly string[];
}

export interface RlLoopResult {
  steps: number;
  records: MetricRecord[];
  firstEval: Record<string, number> | null;
  lastEval: Record<string, number> | null;
  stoppedEarly: boolean;
  msPerStep: number;
}

export async function runRlLoop(o: RlLoopOptions): Promise<RlLoopResult> {
  mkdirSync(o.runDir, { recursive: true });
  const log = new MetricsLog(join(o.runDir, 'metrics.jsonl'));
  const alg = o.algorithm;
  const modules: ModuleEntry[] = [{ prefix: 'model', module: alg.policy }, ...alg.extraModules()];
  let start = 0;
  const last = checkpointPath(o.runDir, 'last');
  if (o.resume && existsSync(last)) {
    const r = restoreMultiCheckpoint(last, modules, alg.optimizers());
    start = r.step;
    alg.loadState((r.extra as { algorithm: JsonValue }).algorithm);
    log.truncateAfter(start - 1);
  } else {
    writeFileSync(log.path, '');
  }
  const save = (step: number): void => {
    saveMultiCheckpoint(last, {
      spec: o.spec,
      modules,
      optimizers: alg.optimizers(),
      rng: alg.policy.generator.getState(),
      step,
      extra: { algorithm: alg.state() },
      train: o.trainRecord,
    });
  };
  const evaluate = (step: number): Record<string, number> | null => {
    if (!o.evaluate) return null;
    const res = o.evaluate(alg.policy);
    log.append({ kind: 'eval', step, ...res });
    return res;
  };

  let firstEval: Record<string, number> | null = null;
  let lastEval: Record<string, number> | null = null;
  const progress = createProgress(o.steps, { label: o.progressLabel, unit: 'step' });
  progress.update(start);
  const began = performance.now();
  const times: number[] = [];
  let stoppedEarly = false;
  let step = start;
  for (; step < o.steps; step++) {
    if (o.evalEvery > 0 ? step % o.evalEvery === 0 : step === start && start === 0) {
      lastEval = evaluate(step);
      firstEval ??= lastEval;
    }
    const t0 = performance.now();
    const { metrics, samples } = await alg.step(step);
    const ms = performance.now() - t0;
    times.push(ms);
    for (const [k, v] of Object.entries(metrics)) {
      if (!Number.isFinite(v))
        throw new NumericError(
          `${k} is ${v} at step ${step}; the last checkpoint is intact. Lower the learning rate or raise the KL coefficient.`,
        );
    }
    const record: MetricRecord = { kind: 'train', step, ...metrics, ms };
    log.append(record);
    o.onStep?.(record);
    if (o.sampleEvery > 0 && step % o.sampleEvery === 0) writeSamples(o.runDir, step, samples);
    const fields: Record<string, string> = {};
    for (const k of o.progressKeys) if (metrics[k] !== undefined) fields[k] = metrics[k]!.toFixed(3);
    progress.update(step + 1, fields);
    if (o.checkpointEvery > 0 && (step + 1) % o.checkpointEvery === 0 && step + 1 < o.steps) save(step + 1);
    if (o.timeLimitSeconds !== null && (performance.now() - began) / 1000 > o.timeLimitSeconds) {
      stoppedEarly = true;
      step++;
      break;
    }
  }
  progress.stop();
  if (o.evaluate) {
    lastEval = evaluate(step);
    firstEval ??= lastEval;
  }
  save(step);
  const records = log.read();
  await writeRlPlots(o.runDir, records);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    steps: step,
    records,
    firstEval,
    lastEval,
    stoppedEarly,
    msPerStep: sorted[Math.floor(sorted.length / 2)] ?? 0,
  };
}
