/**
 * Worker thread side of the pool: receives (segment, shard) tasks, runs them with
 * runTask and reports progress, results and errors (with their llmts error code).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LlmtsError } from '../../core/errors.ts';
import type { InputShard } from '../readers/plan.ts';
import { runTask } from './task.ts';
import type { TaskContext } from './task.ts';

export type ToWorker = { type: 'task'; segment: number; shard: InputShard } | { type: 'stop' };
export type FromWorker =
  | { type: 'progress'; docs: number; bytes: number }
  | { type: 'done'; result: Awaited<ReturnType<typeof runTask>> }
  | { type: 'error'; code: string | null; message: string; stack: string | undefined };

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread');
const ctx = { ...(workerData as TaskContext), inWorker: true };

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'stop') {
    port.close();
    return;
  }
  runTask(ctx, msg.segment, msg.shard, (docs, bytes) =>
    port.postMessage({ type: 'progress', docs, bytes } satisfies FromWorker),
  ).then(
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
