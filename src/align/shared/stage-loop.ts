/**
 * The offline stages (SFT, reward model, DPO) on the shared training loop, set up alike so
 * their runs and flags compare: the same loop hyperparameters, AdamW over weight-decay
 * groups, linear warmup then cosine decay to minLr, the loop's options from the stage's
 * hyperparameters.
 */
import type { Module } from '../../nn/module.ts';
import { flattenParameters } from '../../nn/module.ts';
import { AdamW } from '../../optim/adamw.ts';
import { groupsForWeightDecay } from '../../optim/optimizer.ts';
import { createSchedule } from '../../optim/schedule.ts';
import { trainLoop } from '../../train/loop.ts';
import type { Checkpointer, LoopResult, TrainTask } from '../../train/loop.ts';
import type { MetricRecord } from '../../train/metrics.ts';
import { existsSync } from 'node:fs';
import { checkpointPath, RunCheckpointer } from '../../io/checkpoint.ts';
import type { ModelSpec } from '../../models/registry.ts';
import type { AnyModel } from '../../models/registry.ts';
import type { JsonValue } from '../../core/json.ts';
import { hasLora } from '../../nn/lora.ts';
import { restoreMultiCheckpoint, saveMultiCheckpoint } from './checkpoint.ts';
import type { LoraHyper } from './lora.ts';

/** The hyperparameters every offline stage has (SftHyper, RewardHyper and DpoHyper add their own). */
export interface StageLoopHyper extends LoraHyper {
  batchSize: number;
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  gradClip: number | null;
  gradAccumSteps: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Longest training sequence in tokens (default: the model's block size). */
  maxLength: number | null;
  seed: number;
  resume: boolean;
  timeLimitSeconds: number | null;
}

/** The longest sequence a stage trains on: maxLength, at most (and by default) the model's block size. */
export function stageMaxLength(maxLength: number | null, blockSize: number): number {
  return Math.min(maxLength ?? blockSize, blockSize);
}

export interface StageLoopRun {
  /** Everything trained (its parameters are flattened here). */
  model: Module;
  task: TrainTask;
  betas: [number, number];
  progressLabel: string;
  /** The run's checkpointer, given the optimizer it must save. */
  checkpointer: (optimizer: AdamW) => Checkpointer;
}

export async function runStageLoop(
  o: StageLoopHyper & { runDir: string; onStep?: (r: MetricRecord) => void },
  run: StageLoopRun,
): Promise<LoopResult> {
  const model = run.model;
  flattenParameters(model);
  const optimizer = new AdamW(groupsForWeightDecay(model.parameters(), o.lr, o.weightDecay), { betas: run.betas });
  const schedule = createSchedule({
    kind: 'cosine',
    maxLr: o.lr,
    minLr: o.minLr,
    warmupSteps: o.warmupSteps,
    decaySteps: Math.max(o.steps, o.warmupSteps + 1),
  });
  return trainLoop({
    model,
    optimizer,
    schedule,
    task: run.task,
    steps: o.steps,
    gradAccumSteps: o.gradAccumSteps,
    gradClip: o.gradClip,
    evalEvery: o.evalEvery,
    checkpointEvery: o.checkpointEvery,
    checkpointer: run.checkpointer(optimizer),
    runDir: o.runDir,
    resume: o.resume,
    progressLabel: run.progressLabel,
    ...(o.timeLimitSeconds !== null ? { timeLimitSeconds: o.timeLimitSeconds } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
  });
}

/**
 * The checkpointer of a stage that trains one model: llmts's RunCheckpointer, or for a model
 * with LoRA adapters the multi-module layout (merged weights under model/, adapters beside
 * them, only the adapters restored on resume).
 */
export function stageCheckpointer(
  runDir: string,
  model: AnyModel,
  spec: ModelSpec,
  optimizer: AdamW,
  train: JsonValue,
): Checkpointer {
  if (!hasLora(model)) return new RunCheckpointer(runDir, model, spec, optimizer, train);
  const modules = [{ prefix: 'model', module: model }];
  const optimizers = [{ prefix: 'optim', optimizer }];
  return {
    save(kind, step, extra) {
      saveMultiCheckpoint(checkpointPath(runDir, kind), {
        spec,
        modules,
        optimizers,
        rng: model.generator.getState(),
        step,
        extra,
        train,
      });
    },
    restore() {
      const path = checkpointPath(runDir, 'last');
      if (!existsSync(path)) return null;
      const r = restoreMultiCheckpoint(path, modules, optimizers);
      const extra = { ...(r.extra as Record<string, JsonValue>) };
      delete extra['optimizers'];
      return { step: r.step, extra };
    },
  };
}
