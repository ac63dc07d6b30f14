/**
 * The queue executor with the real parts: a real `redis-server` (started here on a free
 * loopback port), `llmts data run --executor bullmq` enqueuing the run, and three
 * `llmts data worker` processes. The first worker is killed with SIGKILL in the middle of a
 * map task (LLMTS_FAULT=data:document@2: its second document); its job lock expires, BullMQ
 * marks the job stalled and another worker runs the task again. The outputs equal the local
 * executor's byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../../../src/data/pipeline/config.ts';
import { runPipeline } from '../../../src/data/pipeline/run.ts';
import { LLMTS_BIN, runLlmts } from '../../helpers/cli.ts';
import { systemProgram } from '../../helpers/requirements.ts';
import { sampleRun, snapshot } from './helpers.ts';

const redis = systemProgram('redis-server');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(cmd, args, {
    env: { ...process.env, LLMTS_NO_PROGRESS: '1', LLMTS_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => r({ code, signal })),
  );
  return { child, out: () => text, exited };
}

async function waitFor(p: Proc, re: RegExp, what: string, ms = 120_000): Promise<void> {
  const until = Date.now() + ms;
  while (!re.test(p.out())) {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`${what} exited before printing ${re}:\n${p.out()}`);
    if (Date.now() > until) throw new Error(`${what}: no ${re} after ${ms} ms:\n${p.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(t);
}

test(
  'three queue workers on a real redis-server, one killed mid-task: the output equals the local run byte for byte',
  { skip: redis.skip, timeout: 300_000 },
  async () => {
    const { dir, configFor } = sampleRun('llmts-queue-');
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const server = start(redis.path as string, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ]);
    const workers: Proc[] = [];
    let run: Proc | undefined;
    try {
      await waitFor(server, /Ready to accept connections/, 'redis-server', 30_000);
      await runPipeline(loadConfigFile(configFor('local')), { workers: 0, quiet: true });
      const want = snapshot(join(dir, 'local'));
      assert.ok(want.size > 15);

      // a short lock, so that the killed worker's task is taken over within seconds
      const worker = (env: Record<string, string> = {}): Proc =>
        start(process.execPath, [LLMTS_BIN, 'data', 'worker', '--redis', url, '--lock-ms', '3000'], env);
      // the doomed worker is alone when the run is enqueued: it takes the first tasks and
      // kills itself (SIGKILL) at its second document, in the middle of a map task
      const doomed = worker({ LLMTS_FAULT: 'data:document@2' });
      workers.push(doomed);
      await waitFor(doomed, /ready on/, 'worker 1');
      run = start(process.execPath, [
        LLMTS_BIN,
        'data',
        'run',
        configFor('queued'),
        '--executor',
        'bullmq',
        '--redis',
        url,
      ]);
      const death = await doomed.exited;
      assert.equal(death.signal, 'SIGKILL', doomed.out());
      const killed = [...doomed.out().matchAll(/start (seg0 task \d+)/g)].map((m) => m[1] as string);
      const finished = [...doomed.out().matchAll(/done (seg0 task \d+)/g)].map((m) => m[1] as string);
      const interrupted = killed.filter((t) => !finished.includes(t));
      assert.equal(interrupted.length, 1, `one task interrupted:\n${doomed.out()}`);

      workers.push(worker(), worker());
      const ended = await run.exited;
      assert.equal(ended.code, 0, `${run.out()}\n--- workers ---\n${workers.map((w) => w.out()).join('\n---\n')}`);
      assert.match(run.out(), /queued run [0-9a-f]{12}-[0-9a-z]+/);
      // the interrupted task was run again by one of the other workers
      const rerun = workers.slice(1).some((w) => w.out().includes(`done ${interrupted[0]} `));
      assert.ok(rerun, `${interrupted[0]} re-run elsewhere:\n${workers.map((w) => w.out()).join('\n---\n')}`);
      // both surviving workers took part
      for (const w of workers.slice(1)) assert.match(w.out(), /done \w+ task \d+/);

      assert.deepEqual(snapshot(join(dir, 'queued')), want);

      const status = runLlmts(['data', 'status', '--redis', url]);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /complete, steps 5\/5, tasks 27\/27, \d+ documents/);
      assert.match(status.stdout, /failed 0/);
    } finally {
      await stop(run);
      for (const w of workers) await stop(w);
      await stop(server);
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('bad --redis and --executor values are one-line errors', () => {
  const { dir, configFor } = sampleRun('llmts-queue-args-');
  try {
    const cfg = configFor('out');
    const noUrl = runLlmts(['data', 'run', cfg, '--executor', 'bullmq']);
    assert.equal(noUrl.status, 1);
    assert.match(noUrl.stderr, /--executor bullmq needs --redis redis:\/\/HOST:PORT/);
    const bad = runLlmts(['data', 'run', cfg, '--executor', 'bullmq', '--redis', 'http://x:1']);
    assert.match(bad.stderr, /expects redis:\/\/HOST:PORT, got "http:\/\/x:1"/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line, no stack');
    const kind = runLlmts(['data', 'run', cfg, '--executor', 'slurm']);
    assert.match(kind.stderr, /--executor expects local or bullmq, got slurm/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
