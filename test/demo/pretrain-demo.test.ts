/**
 * `llmts demo` does a fixed amount of work: the steps it is told (not a time budget), so two
 * runs with the same seed end at the same validation loss with the same samples, whatever the
 * thread count (the kernels' results do not depend on how the work is split), and it prints an
 * ETA as it goes. A tiny model on a slice of nlp-corpus keeps it to seconds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLlmts } from '../helpers/cli.ts';

interface Run {
  out: string;
  evals: { step: number; loss: number }[];
  samples: unknown;
}

function demo(threads: string): Run {
  const parent = mkdtempSync(join(tmpdir(), 'llmts-demo-'));
  const dir = join(parent, 'run');
  const r = runLlmts(
    ['--threads', threads, 'demo', '--preset', 'tiny', '--steps', '40', '--max-sentences', '3000', '--out', dir],
    { timeoutMs: 600_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const evals = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; step: number; loss: number })
    .filter((m) => m.kind === 'eval');
  const samples: unknown = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8'));
  rmSync(parent, { recursive: true, force: true });
  return { out: r.stdout, evals, samples };
}

describe('llmts demo', () => {
  it('trains for the steps it is given, and the same seed gives the same model and samples at 1 and 2 threads', () => {
    const one = demo('1');
    const two = demo('2');
    assert.match(one.out, /for 40 steps of 16 x 64 tokens/);
    assert.match(one.out, /step 4\/40 {2}loss \d+\.\d{3} {2}\d+\.\d steps\/s {2}ETA (\d+m)?\d+s/);
    assert.doesNotMatch(one.out, /minutes|budget/);
    assert.equal(one.evals.at(-1)!.step, 40);
    assert.ok(Number.isFinite(one.evals.at(-1)!.loss));
    assert.deepEqual(two.evals, one.evals);
    assert.deepEqual(two.samples, one.samples);
  });
});
