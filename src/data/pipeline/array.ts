/**
 * Array tasks: one process runs task I of N of one step (`llmts data run CONFIG --segment S
 * --tasks N --task I`), so any array scheduler runs the pipeline: Slurm job arrays with
 * --dependency=afterok between steps, Kubernetes Indexed Jobs, AWS Batch arrays. Task I
 * takes the step's tasks I, I + N, I + 2N, ... (datatrove's rank::world_size), so the
 * array can be smaller than the step. Outputs go to the shared output directory; tasks
 * with a done marker are skipped, so a re-launched array redoes only what is missing.
 */
import { existsSync, statSync } from 'node:fs';
import { ArgumentError, ConfigError } from '../../core/errors.ts';
import type { InputShard } from '../readers/plan.ts';
import type { PipelineConfig } from './config.ts';
import { appendMetrics, finishRun, prepareRun } from './run.ts';
import type { PreparedRun } from './run.ts';
import type { Segment } from './segments.ts';
import { findStep, pendingTasks, runBucketTask, runClusterTask, taskDoneFile } from './steps.ts';
import type { Step } from './steps.ts';
import { runTask } from './task.ts';
import type { ShardResult, TaskContext } from './task.ts';

export interface ArrayTaskOptions {
  /** step name (seg0, buckets0, ...) or position; may be omitted only when the plan has one step */
  segment: string | undefined;
  tasks: number;
  task: number;
}

export interface ArrayTaskResult {
  step: Step;
  /** the step's task indices this array task ran now */
  ran: number[];
  /** the step's task indices this array task owns that were already done */
  skipped: number[];
}

/** The step's tasks owned by array task `task` of `tasks`. */
export function ownedTasks(step: Step, tasks: number, task: number): number[] {
  const out: number[] = [];
  for (let t = task; t < step.tasks; t += tasks) out.push(t);
  return out;
}

/** Refuses to start a step whose predecessors have unfinished tasks (the scheduler's dependency was not set). */
export function checkDependencies(p: PreparedRun, step: Step): void {
  for (const before of p.steps.slice(0, step.index)) {
    const missing = pendingTasks(p.L, p.segments, p.shards, before);
    if (missing.length > 0)
      throw new ConfigError(
        '--segment',
        `${step.name} needs ${before.name} to be finished first: ${missing.length} of its ${before.tasks} tasks have no done marker (task ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}); run those, or chain the steps with --dependency=afterok`,
      );
  }
}

/** Runs one task of a step in this process. Exported for queue workers, which run the same units. */
export async function runStepTask(
  p: PreparedRun,
  step: Step,
  t: number,
  ctx: TaskContext,
): Promise<ShardResult | null> {
  const seg = p.segments[step.segment] as Segment;
  switch (step.kind) {
    case 'map': {
      const r = await runTask(ctx, step.segment, p.shards[t] as InputShard);
      appendMetrics(p.out, r);
      return r;
    }
    case 'buckets':
      runBucketTask(p.L, seg, p.shards, t);
      return null;
    case 'cluster':
      runClusterTask(p.L, seg, p.shards);
      return null;
    case 'finish': {
      // the run started when its fingerprint was first written
      const started = statSync(p.L.runFile).mtimeMs;
      const all = p.steps.reduce((s, x) => s + (x.kind === 'finish' ? 0 : x.tasks), 0);
      await finishRun(p, { wallMs: Date.now() - started, workers: 0, tasksRun: all, tasksSkipped: 0 });
      return null;
    }
  }
}

export async function runArrayTask(config: PipelineConfig, o: ArrayTaskOptions): Promise<ArrayTaskResult> {
  if (!Number.isInteger(o.tasks) || o.tasks < 1)
    throw new ArgumentError('data run', `--tasks expects a positive integer, got ${o.tasks}`);
  if (!Number.isInteger(o.task) || o.task < 0 || o.task >= o.tasks)
    throw new ArgumentError('data run', `--task expects an integer in [0, ${o.tasks}), got ${o.task}`);
  const p = prepareRun(config, { cleanTemps: false });
  if (o.segment === undefined && p.steps.length > 1)
    throw new ArgumentError(
      'data run',
      `--tasks/--task need --segment: this run has ${p.steps.map((s) => `${s.name} (${s.tasks} tasks)`).join(', ')}; see llmts data plan`,
    );
  const step = o.segment === undefined ? (p.steps[0] as Step) : findStep(p.steps, o.segment);
  checkDependencies(p, step);
  const ctx: TaskContext = { config, outDir: p.out, segments: p.segments, fault: null, inWorker: false };
  const ran: number[] = [];
  const skipped: number[] = [];
  for (const t of ownedTasks(step, o.tasks, o.task)) {
    if (existsSync(taskDoneFile(p.L, p.segments, p.shards, step, t))) {
      skipped.push(t);
      continue;
    }
    await runStepTask(p, step, t, ctx);
    ran.push(t);
  }
  return { step, ran, skipped };
}
