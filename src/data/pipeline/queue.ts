/**
 * The queue executor: a run's steps as BullMQ jobs on Redis, consumed by `llmts data worker`
 * processes on any number of machines that share the output directory.
 *
 * Each step is one BullMQ flow: a gate job whose children are the step's tasks. BullMQ runs
 * a parent only when all its children have completed, so the gate is the barrier; the gate
 * job then adds the next step's flow (the dedup bucket tasks after all signature tasks, the
 * cluster task after all bucket tasks, ...), and the last gate marks the launch complete.
 *
 * Failures: a task that throws is retried with exponential backoff; a worker killed mid-task
 * stops renewing its job lock, BullMQ marks the job stalled and another worker runs it again.
 * Tasks write their outputs atomically and their done marker last, so a re-run task gives
 * byte-identical outputs, and a task whose marker exists is skipped.
 *
 * Redis keys: the queue `llmts-data` (BullMQ's own keys), one hash per launch
 * `llmts-data:launch:<id>` (config, state, counters) and the set `llmts-data:launches`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { FlowProducer, Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ArgumentError, ConfigError, LlmtsError } from '../../core/errors.ts';
import type { PipelineConfig } from './config.ts';
import { TaskThreads } from './pool.ts';
import { prepareRun } from './run.ts';
import type { PreparedRun } from './run.ts';
import { taskDoneFile } from './steps.ts';
import type { PipelineReport } from './report.ts';
import type { ShardResult, TaskContext } from './task.ts';

export const QUEUE_NAME = 'llmts-data';
const LAUNCHES = `${QUEUE_NAME}:launches`;
const launchKey = (id: string): string => `${QUEUE_NAME}:launch:${id}`;

/** Attempts per task (the first run and two retries), 1 s, 2 s backoff between them. */
const ATTEMPTS = 3;

interface TaskJob {
  launch: string;
  step: number;
  /** the task index, or -1 for the step's gate */
  task: number;
}

/**
 * A Redis connection for redis://[user:password@]host:port[/db], shared by the BullMQ objects
 * of one process (BullMQ duplicates it for the worker's blocking reads); the caller quits it.
 */
export function redisClient(url: string): Redis {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ArgumentError('--redis', `expects redis://HOST:PORT, got ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'redis:' || u.hostname === '')
    throw new ArgumentError('--redis', `expects redis://HOST:PORT, got ${JSON.stringify(url)}`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new ArgumentError('--redis', `bad database number in ${url}`);
  return new Redis({
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    db,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
    // BullMQ's blocking reads need unlimited retries per request; give up reconnecting after ~5 s
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (times > 20 ? null : 250),
  });
}

function stepFlow(launch: string, p: PreparedRun, step: number): Parameters<FlowProducer['add']>[0] {
  const s = p.steps[step];
  if (s === undefined) throw new RangeError(`launch ${launch} has no step ${step}`);
  const children = [];
  for (let t = 0; t < s.tasks; t++)
    children.push({
      name: `${s.name}/${t}`,
      queueName: QUEUE_NAME,
      data: { launch, step, task: t } satisfies TaskJob,
      opts: {
        jobId: `${launch}.${step}.${t}`,
        attempts: ATTEMPTS,
        backoff: { type: 'exponential', delay: 1000 },
        failParentOnFailure: true,
      },
    });
  return {
    name: `${s.name}/gate`,
    queueName: QUEUE_NAME,
    data: { launch, step, task: -1 } satisfies TaskJob,
    opts: { jobId: `${launch}.${step}.gate`, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 1000 } },
    children,
  };
}

export interface LaunchStatus {
  id: string;
  out: string;
  state: 'running' | 'complete' | 'failed';
  error: string;
  started: number;
  finished: number;
  tasksTotal: number;
  tasksDone: number;
  stepsTotal: number;
  stepsDone: number;
  documents: number;
  bytes: number;
  totalBytes: number;
}

function statusOf(id: string, h: Record<string, string>): LaunchStatus {
  const n = (k: string): number => Number(h[k] ?? 0);
  return {
    id,
    out: h['out'] ?? '',
    state: (h['state'] ?? 'running') as LaunchStatus['state'],
    error: h['error'] ?? '',
    started: n('started'),
    finished: n('finished'),
    tasksTotal: n('tasksTotal'),
    tasksDone: n('tasksDone'),
    stepsTotal: n('stepsTotal'),
    stepsDone: n('stepsDone'),
    documents: n('documents'),
    bytes: n('bytes'),
    totalBytes: n('totalBytes'),
  };
}

export interface QueueRunOptions {
  redis: string;
  fresh?: boolean;
  /** how often to look at the launch's state (ms) */
  pollMs?: number;
  onStatus?: (s: LaunchStatus) => void;
}

/**
 * Enqueues every step of a run (as a chain of flows) and waits until the workers have
 * finished it. Returns the run's report, read from the shared output directory.
 */
export async function runQueued(
  config: PipelineConfig,
  o: QueueRunOptions,
): Promise<{ launch: string; report: PipelineReport }> {
  const p = prepareRun(config, { fresh: o.fresh === true, cleanTemps: false });
  const connection = redisClient(o.redis);
  const client = connection;
  const launch = `${createHash('sha256').update(p.fingerprint).digest('hex').slice(0, 12)}-${Date.now().toString(36)}`;
  const queue = new Queue(QUEUE_NAME, { connection });
  const flow = new FlowProducer({ connection });
  try {
    const totalBytes = p.shards.reduce((s, x) => s + ((x.end ?? x.size) - x.start), 0);
    await client.hset(launchKey(launch), {
      config: JSON.stringify(config),
      out: p.out,
      state: 'running',
      started: Date.now(),
      tasksTotal: p.steps.reduce((s, x) => s + x.tasks, 0),
      tasksDone: 0,
      stepsTotal: p.steps.length,
      stepsDone: 0,
      documents: 0,
      bytes: 0,
      totalBytes,
    });
    await client.sadd(LAUNCHES, launch);
    await flow.add(stepFlow(launch, p, 0));
    for (;;) {
      await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
      const s = statusOf(launch, await client.hgetall(launchKey(launch)));
      o.onStatus?.(s);
      if (s.state === 'failed')
        throw new LlmtsError(
          'IO',
          `queued run ${launch} failed: ${s.error} (finished tasks are kept; re-run to resume)`,
        );
      if (s.state === 'complete') break;
    }
    const report = JSON.parse(readFileSync(`${p.out}/report.json`, 'utf8')) as PipelineReport;
    return { launch, report };
  } finally {
    await flow.close();
    await queue.close();
    connection.disconnect();
  }
}

export interface QueueWorkerOptions {
  redis: string;
  /** tasks run at once by this worker (each on its own thread) */
  concurrency?: number;
  /** BullMQ job lock (ms): a killed worker's task is re-run elsewhere after about this long */
  lockMs?: number;
  /** a line per task started and finished */
  log?: (line: string) => void;
}

export interface QueueWorker {
  /** stops taking jobs, waits for the running ones, and closes threads and connections */
  close(): Promise<void>;
}

/**
 * Consumes tasks from the queue. Tasks run on worker threads so that this thread stays free
 * to renew the job locks however long a task computes.
 */
export async function startQueueWorker(o: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = o.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ArgumentError('--concurrency', `expects a positive integer, got ${concurrency}`);
  const lockMs = o.lockMs ?? 30_000;
  if (!Number.isInteger(lockMs) || lockMs < 200)
    throw new ArgumentError('--lock-ms', `expects an integer of at least 200, got ${lockMs}`);
  const connection = redisClient(o.redis);
  const client = connection;
  const threads = new TaskThreads(concurrency);
  const flow = new FlowProducer({ connection });
  const runs = new Map<string, PreparedRun>();
  const log = o.log ?? ((): void => {});

  const prepared = async (launch: string): Promise<PreparedRun> => {
    let p = runs.get(launch);
    if (p === undefined) {
      const raw = await client.hget(launchKey(launch), 'config');
      if (raw === null) throw new ConfigError('queue', `launch ${launch} is not known to this Redis`);
      p = prepareRun(JSON.parse(raw) as PipelineConfig, { cleanTemps: false });
      runs.set(launch, p);
    }
    return p;
  };

  const processJob = async (job: Job<TaskJob>): Promise<string> => {
    const { launch, step, task } = job.data;
    const p = await prepared(launch);
    const s = p.steps[step];
    if (s === undefined) throw new RangeError(`launch ${launch} has no step ${step}`);
    const key = launchKey(launch);
    if (task === -1) {
      // the gate: every task of the step has completed
      await client.hincrby(key, 'stepsDone', 1);
      if (step + 1 < p.steps.length) await flow.add(stepFlow(launch, p, step + 1));
      else await client.hset(key, { state: 'complete', finished: Date.now() });
      return 'gate';
    }
    if (existsSync(taskDoneFile(p.L, p.segments, p.shards, s, task))) {
      await client.hincrby(key, 'tasksDone', 1);
      return 'skipped';
    }
    log(`start ${s.name} task ${task} (${job.id})`);
    const ctx: TaskContext = {
      config: p.config,
      outDir: p.out,
      segments: p.segments,
      fault: null,
      inWorker: true,
    };
    const out = await threads.run(ctx, { kind: 'step', step, task });
    const r = out.kind === 'step' ? (out.result as ShardResult | null) : null;
    if (r !== null && r.segment === 0) {
      // the documents and bytes read from the inputs
      await client.hincrby(key, 'documents', r.docsIn);
      await client.hincrby(key, 'bytes', r.bytesIn);
    }
    await client.hincrby(key, 'tasksDone', 1);
    log(`done ${s.name} task ${task} (${job.id})`);
    return 'ran';
  };

  const worker = new Worker<TaskJob>(QUEUE_NAME, processJob, {
    connection,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: Math.max(100, Math.floor(lockMs / 2)),
    maxStalledCount: 2,
  });
  worker.on('failed', (job, err) => {
    if (job === undefined) return;
    log(`failed ${job.name} (${job.id}), attempt ${job.attemptsMade}: ${err.message}`);
    if (job.attemptsMade >= (job.opts.attempts ?? 1))
      void client.hset(launchKey(job.data.launch), {
        state: 'failed',
        error: `${job.name}: ${err.message}`,
        finished: Date.now(),
      });
  });
  // connection trouble is reported and retried by BullMQ; keep the process alive
  worker.on('error', (err) => log(`worker error: ${err.message}`));
  await worker.waitUntilReady();
  return {
    async close(): Promise<void> {
      await worker.close();
      await threads.close();
      await flow.close();
      connection.disconnect();
    },
  };
}

/** The launches Redis knows of, newest first, with their progress. */
export async function queueStatus(
  redis: string,
): Promise<{ launches: LaunchStatus[]; counts: Record<string, number> }> {
  const client = redisClient(redis);
  const queue = new Queue(QUEUE_NAME, { connection: client });
  try {
    const ids = await client.smembers(LAUNCHES);
    const launches: LaunchStatus[] = [];
    for (const id of ids) launches.push(statusOf(id, await client.hgetall(launchKey(id))));
    launches.sort((a, b) => b.started - a.started);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed');
    return { launches, counts };
  } finally {
    await queue.close();
    client.disconnect();
  }
}

/** One line per launch: tasks, documents, bytes, rate and ETA. */
export function statusText(s: LaunchStatus, now = Date.now()): string {
  const end = s.finished > 0 ? s.finished : now;
  const sec = Math.max(0.001, (end - s.started) / 1000);
  const done = Math.min(s.tasksDone, s.tasksTotal);
  const eta =
    s.state !== 'running'
      ? s.state
      : done === 0
        ? 'ETA unknown'
        : `ETA ${Math.round((sec * (s.tasksTotal - done)) / done)} s`;
  return (
    `${s.id}: ${s.state}, steps ${s.stepsDone}/${s.stepsTotal}, tasks ${done}/${s.tasksTotal}, ` +
    `${s.documents} documents, ${(s.bytes / 1e6).toFixed(3)} of ${(s.totalBytes / 1e6).toFixed(3)} MB read ` +
    `(${(s.bytes / 1e6 / sec).toFixed(3)} MB/s), ${sec.toFixed(1)} s, ${eta}${s.error !== '' ? `: ${s.error}` : ''} -> ${s.out}`
  );
}
