/**
 * Training a model for an experiment with the library's own loop (trainLoop: AdamW with
 * nanoGPT's weight-decay groups, warmup + cosine, gradient clipping, evaluation, JSONL
 * metrics, checkpoints), cached on disk: a run directory under `<out>/cache/<key>` whose
 * lab.json matches the request is loaded instead of trained again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.ts';
import { checkpointPath, openCheckpoint, restoreModel, RunCheckpointer } from '../io/checkpoint.ts';
import { createModel } from '../models/registry.ts';
import type { AnyModel, ModelSpec } from '../models/registry.ts';
import { flattenParameters } from '../nn/module.ts';
import { AdamW, createSchedule, groupsForWeightDecay } from '../optim/index.ts';
import { trainLoop } from '../train/loop.ts';
import type { JsonValue } from '../core/json.ts';
import type { TrainTask } from '../train/loop.ts';
import { MetricsLog, seriesOf } from '../train/metrics.ts';
import type { MetricRecord } from '../train/metrics.ts';
import type { LabContextLike } from './types.ts';

export interface TrainSettings {
  steps: number;
  lr: number;
  /** Default steps / 10. */
  warmupSteps?: number;
  weightDecay?: number;
  /** Evaluate this often (and at the end); default steps / 5. */
  evalEvery?: number;
  gradClip?: number;
}

export interface TrainedModel<M extends AnyModel> {
  model: M;
  /** The loop's records (train every step, eval every evalEvery). */
  records: MetricRecord[];
  /** The final evaluation (validation `loss`, `train_loss` when the task reports it). */
  lastEval: Record<string, number>;
  /** Whether it came from the cache. */
  cached: boolean;
  runDir: string;
}

/** (step, value) series of a metric from a trained model's records. */
export function curve(records: readonly MetricRecord[], key: string, kind: 'train' | 'eval'): [number, number][] {
  return seriesOf(records, key, kind);
}

/**
 * Trains `spec` with the task `makeTask` builds, or loads the cached result. `key` names the
 * cache entry (the seed is appended); the request (spec + settings + extra + seed) must match
 * it exactly to be reused. `seed` initializes the model (the task seeds its own batches).
 */
export async function trainCached<M extends AnyModel>(
  ctx: LabContextLike,
  key: string,
  spec: ModelSpec,
  settings: TrainSettings,
  makeTask: (model: M) => TrainTask,
  extra: JsonValue = null,
  seed: number = ctx.seed,
): Promise<TrainedModel<M>> {
  const runDir = ctx.cacheDir(`${key}-s${seed}`);
  const request = JSON.stringify({ spec, settings, extra, seed });
  const stamp = join(runDir, 'lab.json');
  const ckpt = checkpointPath(runDir, 'last');
  const metrics = new MetricsLog(join(runDir, 'metrics.jsonl'));
  if (existsSync(stamp) && existsSync(ckpt) && readFileSync(stamp, 'utf8') === request) {
    const model = createModel(spec, { seed }) as M;
    const loaded = openCheckpoint(ckpt);
    try {
      restoreModel(model, loaded);
    } finally {
      loaded.file.close();
    }
    model.eval();
    const records = metrics.read();
    const evals = records.filter((r) => r['kind'] === 'eval');
    return { model, records, lastEval: numeric(evals[evals.length - 1] ?? {}), cached: true, runDir };
  }
  const model = createModel(spec, { seed }) as M;
  flattenParameters(model);
  const optimizer = new AdamW(groupsForWeightDecay(model.parameters(), settings.lr, settings.weightDecay ?? 0.1), {
    betas: [0.9, 0.99],
  });
  const warmup = settings.warmupSteps ?? Math.max(1, Math.floor(settings.steps / 10));
  const schedule = createSchedule({
    kind: 'cosine',
    maxLr: settings.lr,
    minLr: settings.lr / 10,
    warmupSteps: warmup,
    decaySteps: Math.max(settings.steps, warmup + 1),
  });
  const task = makeTask(model);
  const result = await trainLoop({
    model,
    optimizer,
    schedule,
    task,
    steps: settings.steps,
    gradClip: settings.gradClip ?? 1.0,
    evalEvery: settings.evalEvery ?? Math.max(1, Math.floor(settings.steps / 5)),
    checkpointEvery: 0,
    checkpointer: new RunCheckpointer(runDir, model, spec, optimizer, JSON.parse(request) as JsonValue),
    runDir,
    progressLabel: `lab ${key} seed ${seed}`,
  });
  model.eval();
  writeFileAtomic(stamp, request);
  return { model, records: metrics.read(), lastEval: result.lastEval ?? {}, cached: false, runDir };
}

function numeric(r: MetricRecord): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number') out[k] = v;
  return out;
}
