/**
 * Worker thread side of the pool: receives (segment, shard) tasks, runs them with
 * runTask and reports progress, results and errors (with their llmts error code).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LlmtsError } from '../../core/errors.ts';
import { runPoolTask } from './task.ts';
import { prepareRun } from './run.ts';
import type { PreparedRun } from './run.ts';
import { runStepTask } from './array.ts';
import type { PoolTask, TaskContext, TaskOutput } from './task.ts';

export type ToWorker = { type: 'task'; task: PoolTask; ctx?: TaskContext } | { type: 'stop' };
export type FromWorker =
  | { type: 'progress'; docs: number; bytes: number }
  | { type: 'done'; result: TaskOutput }
  | { type: 'error'; code: string | null; message: string; stack: string | undefined };

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const initial = { ...(workerData as TaskContext), inWorker: true };

const prepared = new Map<string, PreparedRun>();
async function runStep(ctx: TaskContext, step: number, task: number): Promise<TaskOutput> {
  const key = JSON.stringify(ctx.config);
  let p = prepared.get(key);
  if (p === undefined) {
    p = prepareRun(ctx.config, { cleanTemps: false });
    prepared.set(key, p);
  }
  const s = p.steps[step];
  if (s === undefined) throw new RangeError(`this run has no step ${step}`);
  return { kind: 'step', result: await runStepTask(p, s, task, ctx) };
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'stop') {
    port.close();
    return;
  }
  // a long-lived pool (queue workers) sends each task's own context
  const ctx = msg.ctx !== undefined ? { ...msg.ctx, inWorker: true } : initial;
  const t = msg.task;
  const work: Promise<TaskOutput> =
    t.kind === 'step'
      ? runStep(ctx, t.step, t.task)
      : runPoolTask(ctx, t, (docs, bytes) => port.postMessage({ type: 'progress', docs, bytes } satisfies FromWorker));
  work.then(
    (result) => port.postMessage({ type: 'done', result } satisfies FromWorker),
    (err: unknown) => {
      const e = err as Error;
      port.postMessage({
        type: 'error',
        code: err instanceof LlmtsError ? err.code : null,
        message: e.message,
        stack: e.stack,
      } satisfies FromWorker);
    },
  );
});
