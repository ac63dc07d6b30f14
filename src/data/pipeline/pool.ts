/**
 * Runs tasks across worker threads (one per core by default), or inline when
 * workers = 0. Results are delivered as tasks finish; the first failure (an error in
 * a task, or a worker that dies) stops the pool and is rethrown with the shard named,
 * after the other workers have been terminated. Finished tasks keep their outputs.
 */
import { Worker } from 'node:worker_threads';
import { IOError, LlmtsError } from '../../core/errors.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { runPoolTask } from './task.ts';
import type { PoolTask, ProgressFn, TaskContext, TaskOutput } from './task.ts';
import type { FromWorker, ToWorker } from './worker.ts';

export type { PoolTask } from './task.ts';

function describeTask(t: PoolTask): string {
  if (t.kind === 'map') return `segment ${t.segment}, shard ${t.shard.name}: ${t.shard.file}`;
  if (t.kind === 'buckets') return `segment ${t.segment}, bucket task ${t.task}`;
  return `step ${t.step}, task ${t.task}`;
}

export async function runPool(
  ctx: TaskContext,
  tasks: readonly PoolTask[],
  workers: number,
  onResult: (r: TaskOutput) => void,
  progress?: ProgressFn,
): Promise<void> {
  if (tasks.length === 0) return;
  if (workers === 0) {
    for (const t of tasks) onResult(await runPoolTask({ ...ctx, inWorker: false }, t, progress));
    return;
  }
  const n = Math.min(workers, tasks.length);
  const queue = [...tasks];
  const pool: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      for (const w of pool) void w.terminate();
      reject(err);
    };
    const next = (w: Worker, current: { task: PoolTask | null }): void => {
      const t = queue.shift();
      if (t === undefined) {
        current.task = null;
        w.postMessage({ type: 'stop' } satisfies ToWorker);
        if (--running === 0 && !failed) resolve();
        return;
      }
      current.task = t;
      w.postMessage({ type: 'task', task: t } satisfies ToWorker);
    };
    for (let i = 0; i < n; i++) {
      const w = new Worker(workerUrl(), { workerData: { ...ctx, inWorker: true } });
      pool.push(w);
      running++;
      const current: { task: PoolTask | null } = { task: null };
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        if (m.type === 'progress') progress?.(m.docs, m.bytes);
        else if (m.type === 'done') {
          onResult(m.result);
          next(w, current);
        } else {
          const where = current.task ? ` (${describeTask(current.task)})` : '';
          fail(
            m.code !== null
              ? new LlmtsError(m.code as ErrorCode, `${m.message}${where}`)
              : new Error(`${m.message}${where}`),
          );
        }
      });
      w.on('error', (e) => fail(e));
      w.on('exit', (code) => {
        if (failed || current.task === null) return;
        const t = current.task;
        fail(
          new IOError(
            t.kind === 'map' ? t.shard.file : describeTask(t),
            `worker exited with code ${code} while processing ${describeTask(t)}; finished tasks are kept, re-run to resume`,
          ),
        );
      });
      next(w, current);
    }
  });
}

/**
 * A long-lived pool of worker threads for queue workers: each task comes with its own run
 * context and runs off the main thread, so the main thread stays free to renew job locks
 * however long a task computes. A thread that dies fails its task and is replaced.
 */
export class TaskThreads {
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(workerUrl(), { workerData: null });
    w.unref();
    return w;
  }

  async run(ctx: TaskContext, task: PoolTask): Promise<TaskOutput> {
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    const w = this.idle.pop() as Worker;
    w.ref();
    let ok = false;
    try {
      const out = await new Promise<TaskOutput>((resolve, reject) => {
        const onMessage = (m: FromWorker): void => {
          if (m.type === 'progress') return;
          cleanup();
          if (m.type === 'done') resolve(m.result);
          else
            reject(
              m.code !== null
                ? new LlmtsError(m.code as ErrorCode, `${m.message} (${describeTask(task)})`)
                : new Error(`${m.message} (${describeTask(task)})`),
            );
        };
        const onExit = (code: number): void => {
          cleanup();
          reject(new Error(`worker thread exited with code ${code} during ${describeTask(task)}`));
        };
        const onError = (e: Error): void => {
          cleanup();
          reject(e);
        };
        const cleanup = (): void => {
          w.off('message', onMessage);
          w.off('exit', onExit);
          w.off('error', onError);
        };
        w.on('message', onMessage);
        w.on('exit', onExit);
        w.on('error', onError);
        w.postMessage({ type: 'task', task, ctx: { ...ctx, inWorker: true } } satisfies ToWorker);
      });
      ok = true;
      return out;
    } finally {
      // a thread that failed (an error, or it died) is replaced rather than trusted again
      if (ok) {
        w.unref();
        this.idle.push(w);
      } else {
        void w.terminate();
        if (!this.closed) this.idle.push(this.spawn());
      }
      this.waiting.shift()?.();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((w) => w.terminate()));
  }
}

/**
 * The worker's entry: the compiled worker.js in the build; from the TypeScript sources a
 * bootstrap that registers tsx first (workers do not inherit the parent's loader hooks).
 */
function workerUrl(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('./worker-entry.mjs', import.meta.url)
    : new URL('./worker.js', import.meta.url);
}
