/**
 * Progress without a terminal: periodic one-line logs on stderr (count, rate, ETA, the caller's
 * fields) and a last line, silent for short work and under LLMTS_NO_PROGRESS=1. Run in child
 * processes whose stderr is a pipe, as under nohup, CI or `| tee`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDuration } from '../../src/core/progress.ts';
import { runLlmts } from '../helpers/cli.ts';

const progressModule = join(import.meta.dirname, '..', '..', 'src', 'core', 'progress.ts');

/** Runs steps 10..20 of 40 (a resumed run) with `sleepMs` per step; returns stderr. */
function child(env: Record<string, string>, sleepMs: number): { stderr: string; stdout: string } {
  const script = `
    import { createProgress } from ${JSON.stringify(progressModule)};
    const p = createProgress(40, { label: 'train', unit: 'step' });
    p.update(10);
    for (let s = 11; s <= 20; s++) {
      const t = Date.now(); while (Date.now() - t < ${sleepMs}) {}
      p.update(s, { loss: (3 / s).toFixed(4) });
    }
    p.stop();
    console.log('done');
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LLMTS_NO_PROGRESS: '', ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return { stderr: r.stderr, stdout: r.stdout };
}

describe('progress without a terminal', () => {
  it('prints one line per interval with step, rate, ETA and fields, then a last line', () => {
    const { stderr, stdout } = child({ LLMTS_PROGRESS_INTERVAL: '0.05' }, 20);
    assert.equal(stdout, 'done\n');
    const lines = stderr.trim().split('\n');
    assert.ok(lines.length >= 3, stderr);
    const periodic = lines.slice(0, -1);
    for (const l of periodic)
      assert.match(l, /^train: step (1[1-9]|20)\/40 \(\d+%\), [\d.]+ step\/s, ETA \d+s, loss 0\.\d{4}$/);
    // rate counts from the resumed step 10: each step busy-waits 20 ms by Date.now(), whose whole
    // milliseconds make that at least 19 ms of real time, so at most 1000/19 = 52.6 steps/s
    // (counting from step 0 instead would report several times more)
    for (const l of periodic) assert.ok(Number(/([\d.]+) step\/s/.exec(l)![1]) <= 1000 / 19, l);
    assert.match(lines.at(-1)!, /^train: step 20\/40 \(50%\), [\d.]+ step\/s, done in \d+s, loss 0\.1500$/);
  });

  it('is silent when the work is shorter than the interval', () => {
    assert.equal(child({}, 0).stderr, '');
  });

  it('is silent under LLMTS_NO_PROGRESS=1', () => {
    assert.equal(child({ LLMTS_NO_PROGRESS: '1', LLMTS_PROGRESS_INTERVAL: '0' }, 1).stderr, '');
  });

  it('formats durations', () => {
    assert.equal(formatDuration(12.4), '12s');
    assert.equal(formatDuration(95), '1m35s');
    assert.equal(formatDuration(7265), '2h01m');
    assert.equal(formatDuration(Infinity), '?');
  });

  it('pretrain with its output piped logs step, loss, rate and ETA', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-progress-'));
    try {
      writeFileSync(join(dir, 'text.txt'), 'to be or not to be, that is the question. '.repeat(200));
      const env = { LLMTS_NO_PROGRESS: '', LLMTS_PROGRESS_INTERVAL: '0' };
      assert.equal(runLlmts(['prepare', '--char', '--input', 'text.txt', '--out', 'ds'], { cwd: dir, env }).status, 0);
      const r = runLlmts(
        [
          'pretrain',
          '--data',
          'ds',
          '--out',
          'run',
          '--n-layer',
          '1',
          '--n-embd',
          '16',
          '--n-head',
          '2',
          '--block-size',
          '16',
          '--batch-size',
          '2',
          '--steps',
          '6',
          '--eval-every',
          '0',
          '--checkpoint-every',
          '0',
        ],
        { cwd: dir, env },
      );
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => /^pretrain gpt: step/.test(l));
      assert.ok(lines.length >= 2, r.stderr);
      assert.match(
        lines[0]!,
        /^pretrain gpt: step [1-6]\/6 \(\d+%\), [\d.]+ step\/s, ETA \d+s, loss \d+\.\d{4}, tok\/s \d+$/,
      );
      assert.match(lines.at(-1)!, /^pretrain gpt: step 6\/6 \(100%\), .*done in/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
