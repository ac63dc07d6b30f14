/**
 * Exact training resume (src/train/pretrain.ts over loop.ts): a char-level dataset from
 * prepareDataset, then N steps straight vs N/2 steps, stop, resume, N/2 more, with dropout
 * on so the model's RNG matters and an end-of-run evaluation in the middle of the split
 * run. The per-step train records in metrics.jsonl (loss, lr, gradient norm) are identical
 * bit for bit and the final checkpoints hold the same parameters and optimizer state:
 * GPT (causal LM), BERT (masked LM) and the encoder-decoder (denoising). Each objective's
 * loss also falls over 30 steps on a repetitive text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDataset } from '../../src/data/prepare.ts';
import { defaultPretrainConfig, pretrain } from '../../src/train/pretrain.ts';
import type { PresetName } from '../../src/models/registry.ts';
import { MetricsLog } from '../../src/train/metrics.ts';
import type { MetricRecord } from '../../src/train/metrics.ts';
import { checkpointPath } from '../../src/io/checkpoint.ts';
import { loadSafetensors } from '../../src/io/safetensors.ts';

let root = '';
let data = '';

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'llmts-resume-'));
  // a small repetitive text, varied enough that batches differ
  const text = Array.from(
    { length: 240 },
    (_, i) => `the cat ${i % 7} sat on the ${['mat', 'hat', 'rug'][i % 3]}. `,
  ).join('');
  writeFileSync(join(root, 'input.txt'), text);
  data = join(root, 'data');
  await prepareDataset({ inputs: [join(root, 'input.txt')], out: data, char: true, quiet: true });
});

after(() => {
  if (root !== '') rmSync(root, { recursive: true, force: true });
});

function config(
  preset: PresetName,
  runDir: string,
  steps: number,
  total: number,
  resume: boolean,
): Parameters<typeof pretrain>[0] {
  return defaultPretrainConfig({
    data,
    runDir,
    preset,
    overrides: { nLayer: 1, nEmbd: 32, nHead: 4, blockSize: 16, dropout: 0.1 },
    batchSize: 4,
    steps,
    decaySteps: total,
    warmupSteps: 2,
    evalEvery: 0,
    evalBatches: 2,
    checkpointEvery: 0,
    seed: 3,
    resume,
  });
}

/** The deterministic fields of each train record (timings dropped). */
function trainRecords(runDir: string): MetricRecord[] {
  return new MetricsLog(join(runDir, 'metrics.jsonl'))
    .read()
    .filter((r) => r['kind'] === 'train')
    .map(({ ms: _ms, tokens_per_s: _tps, ...rest }) => rest);
}

function finalState(runDir: string): Map<string, number[]> {
  const { tensors } = loadSafetensors(checkpointPath(runDir, 'last'));
  return new Map([...tensors].map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

describe('pretraining resumes exactly', () => {
  for (const [preset, N] of [
    ['shakespeare-char', 8],
    ['bert-tiny', 4],
    ['encdec', 4],
  ] as const) {
    it(`${preset}: ${N} steps straight = ${N / 2} + resume + ${N / 2} (metrics and final state bit for bit)`, async () => {
      const straight = join(root, `${preset}-straight`);
      const split = join(root, `${preset}-split`);
      await pretrain(config(preset, straight, N, N, false));
      const half = await pretrain(config(preset, split, N / 2, N, false));
      assert.equal(half.result.steps, N / 2);
      await pretrain(config(preset, split, N, N, true));
      const a = trainRecords(straight);
      const b = trainRecords(split);
      assert.equal(a.length, N);
      assert.deepEqual(
        b.map((r) => r['step']),
        a.map((r) => r['step']),
      );
      assert.deepEqual(b, a);
      const sa = finalState(straight);
      const sb = finalState(split);
      assert.deepEqual([...sb.keys()], [...sa.keys()]);
      assert.ok(
        [...sa.keys()].some((k) => k.startsWith('optim/')),
        'the checkpoint holds optimizer state',
      );
      for (const [k, v] of sa) assert.deepEqual(sb.get(k), v, k);
    });
  }
});

describe('each objective learns a repetitive text', () => {
  for (const preset of ['shakespeare-char', 'bert-tiny', 'encdec'] as const) {
    it(`${preset}: the mean loss of the last 5 of 30 steps is well below the first 5`, async (t) => {
      const run = join(root, `${preset}-learn`);
      await pretrain(config(preset, run, 30, 30, false));
      const losses = trainRecords(run).map((r) => r['loss'] as number);
      assert.equal(losses.length, 30);
      const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
      const first = mean(losses.slice(0, 5));
      const last = mean(losses.slice(-5));
      t.diagnostic(`${preset}: loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
      assert.ok(last < first - 0.2, `${first} -> ${last}`);
    });
  }
});
