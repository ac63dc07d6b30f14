/**
 * Array mode: the Slurm script `llmts data plan --emit slurm` generates is run with a stand-in
 * `sbatch` that executes every array task of every segment as its own `llmts data run
 * --segment S --tasks N --task I` process, in the order the script's afterok dependencies
 * give; the outputs equal the local executor's byte for byte. Also: a segment started
 * before its dependency is refused, a re-launched array redoes only what is missing, and
 * the Kubernetes Jobs parse and carry the same commands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { loadConfigFile } from '../../../src/data/pipeline/config.ts';
import { runPipeline } from '../../../src/data/pipeline/run.ts';
import { runArrayTask } from '../../../src/data/pipeline/array.ts';
import { LLMTS_BIN, runLlmts } from '../../helpers/cli.ts';
import { sampleRun, snapshot } from './helpers.ts';

/** Runs each array task of the job script on stdin, one after another, and checks the dependency chain. */
const FAKE_SBATCH = `#!/bin/bash
set -u
array=; dep=
for a in "$@"; do case $a in --array=*) array=\${a#--array=};; --dependency=*) dep=\${a#--dependency=};; esac; done
script=$(mktemp); cat > "$script"
n=$(cat "$SBATCH_LOG/count" 2>/dev/null || echo 0); id=$((1000 + n)); echo $((n + 1)) > "$SBATCH_LOG/count"
echo "$id array=$array dep=$dep" >> "$SBATCH_LOG/jobs"
if [ $n -gt 0 ] && [ "$dep" != "afterok:$((id - 1))" ]; then echo "job $id: dependency '$dep' is not afterok on the previous job" >&2; exit 1; fi
lo=\${array%-*}; hi=\${array#*-}
for ((i = lo; i <= hi; i++)); do SLURM_ARRAY_TASK_ID=$i bash "$script" >> "$SBATCH_LOG/out" 2>&1 || { echo "array task $i failed" >&2; exit 1; }; done
echo $id
`;

test('the generated Slurm script runs every array task as its own process; outputs = the local run, byte for byte', async () => {
  const { dir, configFor } = sampleRun('llmts-array-');
  try {
    await runPipeline(loadConfigFile(configFor('local')), { workers: 0, quiet: true });
    const want = snapshot(join(dir, 'local'));
    assert.ok(want.size > 15);

    const cfg = configFor('array');
    // arrays of at most 2 tasks: array task I runs the segment's tasks I, I + 2, ...
    const gen = runLlmts(['data', 'plan', cfg, '--emit', 'slurm', '--max-array', '2']);
    assert.equal(gen.status, 0, gen.stderr);
    const script = join(dir, 'submit.sh');
    writeFileSync(script, gen.stdout);
    const bin = join(dir, 'bin');
    const log = join(dir, 'log');
    for (const d of [bin, log]) spawnSync('mkdir', ['-p', d]);
    writeFileSync(join(bin, 'sbatch'), FAKE_SBATCH);
    chmodSync(join(bin, 'sbatch'), 0o755);
    const r = spawnSync('bash', [script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env['PATH']}`,
        SBATCH_LOG: log,
        LLMTS: `${process.execPath} ${LLMTS_BIN}`,
        LLMTS_FROM_SOURCE: '1',
        LLMTS_NO_PROGRESS: '1',
      },
    });
    assert.equal(
      r.status,
      0,
      `${r.stderr}\n${existsSync(join(log, 'out')) ? readFileSync(join(log, 'out'), 'utf8') : ''}`,
    );
    const jobs = readFileSync(join(log, 'jobs'), 'utf8').trim().split('\n');
    assert.deepEqual(
      jobs.map((l) => l.split(' ')[1]),
      ['array=0-1', 'array=0-1', 'array=0-0', 'array=0-1', 'array=0-0'],
      'seg0, buckets0, cluster0, seg1, finish',
    );
    const out = readFileSync(join(log, 'out'), 'utf8');
    // 8 processes; together they ran every task once
    assert.match(out, /seg0: task 0 of 2 ran 3 \(0, 2, 4\)/);
    assert.match(out, /seg0: task 1 of 2 ran 2 \(1, 3\)/);
    assert.match(out, /buckets0: task 1 of 2 ran 7 /);
    assert.match(out, /finish: task 0 of 1 ran 1 /);
    assert.deepEqual(snapshot(join(dir, 'array')), want);
    assert.ok(existsSync(join(dir, 'array', 'report.md')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a re-launched array redoes only the tasks without a done marker', async () => {
  const { dir, configFor } = sampleRun('llmts-array-again-');
  try {
    await runPipeline(loadConfigFile(configFor('local')), { workers: 0, quiet: true });
    const want = snapshot(join(dir, 'local'));
    const cfg = loadConfigFile(configFor('array'));
    const run = async (segment: string, tasks: number, task: number): Promise<[number[], number[]]> => {
      const r = await runArrayTask(cfg, { segment, tasks, task });
      return [r.ran, r.skipped];
    };
    for (const t of [0, 1]) await run('seg0', 2, t);
    for (const t of [0, 1, 2]) await run('buckets0', 3, t);
    await run('cluster0', 1, 0);
    // the seg1 array ran task 0 only (task 1 was lost); the array is launched again
    assert.deepEqual(await run('seg1', 2, 0), [[0, 2, 4], []]);
    assert.deepEqual(await run('seg1', 2, 0), [[], [0, 2, 4]]);
    assert.deepEqual(await run('seg1', 2, 1), [[1, 3], []]);
    // one task's output lost (done marker and data): only that task is redone
    rmSync(join(dir, 'array', '_work', 'seg1', '00003.done.json'));
    rmSync(join(dir, 'array', 'kept', '00003.jsonl'));
    assert.deepEqual(await run('seg1', 2, 1), [[3], [1]]);
    assert.deepEqual(await run('finish', 1, 0), [[0], []]);
    assert.deepEqual(snapshot(join(dir, 'array')), want);
    assert.deepEqual(await run('finish', 1, 0), [[], [0]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('array mode refuses a segment whose dependency is unfinished, and bad task numbers', () => {
  const { dir, configFor } = sampleRun('llmts-array-dep-');
  try {
    const cfg = configFor('out');
    const early = runLlmts(['data', 'run', cfg, '--segment', 'cluster0', '--tasks', '1', '--task', '0']);
    assert.equal(early.status, 1);
    assert.match(early.stderr, /cluster0 needs seg0 to be finished first: 5 of its 5 tasks/);
    assert.equal(early.stderr.trim().split('\n').length, 1, 'one line, no stack');
    const bad = runLlmts(['data', 'run', cfg, '--segment', 'seg0', '--tasks', '2', '--task', '2']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--task expects an integer in \[0, 2\), got 2/);
    const none = runLlmts(['data', 'run', cfg, '--tasks', '2', '--task', '0']);
    assert.match(none.stderr, /need --segment: this run has seg0 \(5 tasks\), buckets0 \(15 tasks\)/);
    const unknown = runLlmts(['data', 'run', cfg, '--segment', 'seg9', '--tasks', '1', '--task', '0']);
    assert.match(unknown.stderr, /no segment "seg9"/);
    const plan = runLlmts(['data', 'plan', cfg]);
    assert.equal(plan.status, 0, plan.stderr);
    assert.match(plan.stdout, /buckets0\s+15\s+seg0\s+exact duplicates \+ 14 LSH bands/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The fields of a generated Kubernetes Job this test reads. */
interface K8sJob {
  kind: string;
  metadata: { name: string };
  spec: {
    completions: number;
    completionMode: string;
    template: { spec: { restartPolicy: string; containers: { image: string; command: string[] }[] } };
  };
}

test('the generated Kubernetes Indexed Jobs: one per segment, each running its array task from JOB_COMPLETION_INDEX', () => {
  const { dir, configFor } = sampleRun('llmts-k8s-');
  try {
    const cfg = configFor('out');
    const r = runLlmts(['data', 'plan', cfg, '--emit', 'k8s', '--image', 'registry.example/llmts:1']);
    assert.equal(r.status, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sJob);
    assert.deepEqual(
      docs.map((d) => [d['kind'], d['metadata'].name, d['spec'].completions, d['spec'].completionMode]),
      [
        ['Job', 'llmts-data-seg0', 5, 'Indexed'],
        ['Job', 'llmts-data-buckets0', 15, 'Indexed'],
        ['Job', 'llmts-data-cluster0', 1, 'Indexed'],
        ['Job', 'llmts-data-seg1', 5, 'Indexed'],
        ['Job', 'llmts-data-finish', 1, 'Indexed'],
      ],
    );
    const c = docs[1]!['spec'].template.spec.containers[0]!;
    assert.equal(c.image, 'registry.example/llmts:1');
    assert.deepEqual(c.command.slice(0, 2), ['sh', '-c']);
    assert.equal(
      c.command[2],
      `exec llmts data run ${cfg} --segment buckets0 --tasks 15 --task "$JOB_COMPLETION_INDEX"`,
    );
    assert.equal(docs[0]!['spec'].template.spec.restartPolicy, 'Never');
    assert.ok(dirname(cfg).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
