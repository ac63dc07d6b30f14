/**
 * Training under faults (issue 15), with real SIGKILLs of a `llmts pretrain` child stopped at
 * chosen points (LLMTS_FAULT, src/core/fault.ts) and resumed:
 *   - killed inside a checkpoint write (temp file written, not renamed): the temp file is
 *     removed at the next start and the resumed run ends bit-identical to an uninterrupted one;
 *   - killed before its first checkpoint: the resumed run's metrics.jsonl has each step once;
 *   - a truncated last checkpoint: the resume falls back to the best one with a warning;
 *   - --resume with a size flag that contradicts the run: a one-line ConfigError;
 * and in-process: a diverging run never writes non-finite weights, and a run that collapses to
 * the uniform prediction stops (the checks on by default).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare.ts';
import { checkpointPath, loadModelFromRun } from '../../src/io/checkpoint.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';
import { NumericError } from '../../src/core/errors.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import { defaultPretrainConfig, pretrain } from '../../src/train/pretrain.ts';
import { DEFAULT_SPIKE_FACTOR, trainLoop } from '../../src/train/loop.ts';
import type { TrainTask } from '../../src/train/loop.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { AdamW } from '../../src/optim/adamw.ts';
import { createSchedule } from '../../src/optim/schedule.ts';
import { mul, add } from '../../src/engine/ops/elementwise.ts';
import { sum } from '../../src/engine/ops/reduce.ts';
import { scalar } from '../../src/engine/ops/creation.ts';
import { runLlmts } from '../helpers/cli.ts';

let root = '';
let data = '';
let reference = '';

const SIZE = ['--n-layer', '1', '--n-embd', '16', '--n-head', '2', '--block-size', '16', '--batch-size', '2'];
const RUN = ['--steps', '12', '--warmup', '2', '--eval-every', '4', '--eval-batches', '2', '--checkpoint-every', '4'];

function pretrainCli(out: string, extra: string[] = [], env: Record<string, string> = {}): ReturnType<typeof runLlmts> {
  return runLlmts(['pretrain', '--data', data, '--out', out, ...SIZE, ...RUN, ...extra], { env, timeoutMs: 300_000 });
}

function trainRecords(runDir: string): string[] {
  return new MetricsLog(join(runDir, 'metrics.jsonl'))
    .read()
    .filter((r) => r['kind'] === 'train')
    .map((r) => JSON.stringify({ step: r['step'], loss: r['loss'], lr: r['lr'], grad_norm: r['grad_norm'] }));
}

function tensorsOf(path: string): Map<string, number[]> {
  const { tensors } = loadSafetensors(path);
  return new Map([...tensors].map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
}

const temps = (dir: string): string[] => readdirSync(dir).filter((n) => /\.tmp-\d+-\d+$/.test(n));

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'llmts-faults-'));
  const text = Array.from(
    { length: 200 },
    (_, i) => `the cat ${i % 7} sat on the ${['mat', 'hat', 'rug'][i % 3]}. `,
  ).join('');
  writeFileSync(join(root, 'input.txt'), text);
  data = join(root, 'data');
  await prepareDataset({ inputs: [join(root, 'input.txt')], out: data, char: true, quiet: true });
  reference = join(root, 'reference');
  const r = pretrainCli(reference);
  assert.equal(r.status, 0, r.stderr);
});

after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

test('killed inside a checkpoint write: the temp file is cleaned at resume, the result is bit-identical', () => {
  const run = join(root, 'killed-in-write');
  // the second write of checkpoint-last (step 8): written and fsynced, not renamed
  const killed = pretrainCli(run, [], { LLMTS_FAULT: 'atomic:before-rename:checkpoint-last.safetensors@2' });
  assert.equal(killed.status, null, `expected SIGKILL: ${killed.stderr}`);
  assert.equal(temps(run).length, 1, 'a killed write leaves its temp file');
  const resumed = pretrainCli(run, ['--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(temps(run), []);
  assert.deepEqual(trainRecords(run), trainRecords(reference));
  assert.deepEqual(tensorsOf(checkpointPath(run, 'last')), tensorsOf(checkpointPath(reference, 'last')));
});

test('killed before the first checkpoint: the resumed run logs each step once', () => {
  const run = join(root, 'killed-early');
  const killed = pretrainCli(run, [], { LLMTS_FAULT: 'train:after-step@3' });
  assert.equal(killed.status, null, killed.stderr);
  assert.equal(existsSync(checkpointPath(run, 'last')), false);
  assert.equal(trainRecords(run).length, 3);
  const resumed = pretrainCli(run, ['--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const steps = trainRecords(run).map((r) => (JSON.parse(r) as { step: number }).step);
  assert.deepEqual(steps, [...Array(12).keys()], 'no duplicate records');
  assert.deepEqual(trainRecords(run), trainRecords(reference));
});

test('a truncated last checkpoint: the resume falls back to the best one, with a warning', () => {
  const run = join(root, 'corrupt-last');
  cpSync(reference, run, { recursive: true });
  const last = checkpointPath(run, 'last');
  truncateSync(last, readFileSync(last).length - 1000);
  const resumed = pretrainCli(run, ['--resume', '--steps', '16']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(
    resumed.stderr,
    /llmts: warning: .*checkpoint-last\.safetensors.*; resuming from .*checkpoint-best\.safetensors instead/,
  );
  const { meta } = loadModelFromRun(checkpointPath(run, 'last'));
  assert.equal(meta.step, 16);
});

test('--resume with a size flag that contradicts the run is refused in one line', () => {
  const r = pretrainCli(reference, ['--resume', '--n-layer', '3']);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /^llmts: error \[CONFIG\]: config field n_layer: --resume continues the run in .* whose model has --n-layer 1, .*but --n-layer 3 was given/,
  );
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('a diverging run never writes non-finite weights', async () => {
  const run = join(root, 'diverge');
  await assert.rejects(
    pretrain(
      defaultPretrainConfig({
        data,
        runDir: run,
        overrides: { nLayer: 1, nEmbd: 16, nHead: 2, blockSize: 16 },
        batchSize: 2,
        steps: 30,
        lr: 1e38,
        warmupSteps: 0,
        evalEvery: 0,
        checkpointEvery: 1,
        spikeFactor: 0,
        collapseSteps: 0,
      }),
    ),
    (e: unknown) => e instanceof NumericError,
  );
  // whatever checkpoint there is holds finite weights only
  if (existsSync(checkpointPath(run, 'last'))) {
    for (const [name, values] of tensorsOf(checkpointPath(run, 'last')))
      assert.ok(values.every(Number.isFinite), `${name} is finite`);
  }
});

test("the collapse check stops a run by default, the spike check at pretrain's default factor", async () => {
  // a task whose loss follows a script, over a one-parameter model: 4.5 (uniform ln 90 = 4.4998),
  // then learning (3.0), then flat at the uniform loss
  const model = new GPT(gptPreset('gpt2', { vocabSize: 90, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4 }));
  const p = model.parameters()[0]!;
  const script = [4.5, 4.2, 3.9, 3.5, 3.0, ...Array<number>(30).fill(Math.log(90))];
  const task = (losses: number[]): TrainTask => ({
    microBatch: (step) => ({ loss: add(mul(sum(p), scalar(0)), scalar(losses[step] ?? 1)), tokens: 1 }),
    state: () => null,
    loadState: () => undefined,
    uniformLoss: Math.log(90),
  });
  const loop = (losses: number[], runDir: string, spikeFactor?: number): Promise<unknown> =>
    trainLoop({
      ...(spikeFactor !== undefined ? { spikeFactor } : {}),
      model,
      optimizer: new AdamW([{ params: model.parameters(), lr: 1e-3, weightDecay: 0 }]),
      schedule: createSchedule({ kind: 'constant', maxLr: 1e-3 }),
      task: task(losses),
      steps: losses.length,
      runDir,
    });
  await assert.rejects(
    loop(script, join(root, 'collapse')),
    (e: unknown) =>
      e instanceof NumericError &&
      /collapsed to a uniform prediction/.test(e.message) &&
      /for 10 steps, at step 14/.test(e.message),
  );
  const spiky = [3, 2.9, 2.8, 2.7, 2.6, 2.5, 40];
  await assert.rejects(
    loop(spiky, join(root, 'spike'), DEFAULT_SPIKE_FACTOR),
    (e: unknown) => e instanceof NumericError && /spiked to 40.000 at step 6/.test(e.message),
  );
  // the loop itself leaves it off (alignment losses near 0 jump by 4x as noise)
  await loop(spiky, join(root, 'spike-off'));
});
