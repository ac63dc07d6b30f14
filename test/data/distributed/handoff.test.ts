/**
 * Training hand-off to PyTorch DDP and back, with the real parts: llmts writes a GPT-2
 * checkpoint in HF layout (saveHfModel) and a token-shard dataset (its shard writer);
 * scripts/handoff/ddp_continue.py continues training under `torchrun --nproc_per_node 2`
 * (Debian's python3-torch, gloo on CPU) and writes HF-layout safetensors. Checked: PyTorch's
 * first-step loss on rank 0's batch equals llmts's evaluation of the same batch (1e-4), and
 * llmts loads the returned model and scores the val batch as PyTorch did (1e-4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../../../src/engine/index.ts';
import { loadHfModel } from '../../../src/io/hf/load.ts';
import { saveHfModel } from '../../../src/io/hf/save.ts';
import { GPT } from '../../../src/models/gpt.ts';
import type { AnyModel } from '../../../src/models/registry.ts';
import { createShardWriter } from '../../../src/data/shards/writer.ts';
import { hfFixturesDir } from '../../models/helpers.ts';
import { systemProgram } from '../../helpers/requirements.ts';

const torch = systemProgram('python3-torch');
const HANDOFF = join(import.meta.dirname, '..', '..', '..', 'scripts', 'handoff');
const SCRIPT = join(HANDOFF, 'ddp_continue.py');
/** torch.distributed.run with the fix Debian's torch 1.13 needs on Python 3.11 (see the script) */
const TORCHRUN = join(HANDOFF, 'torchrun.py');
const T = 16; // the fixture's n_positions
const BATCH = 2;

/** HF's causal-LM loss of rows [start, start + T) x BATCH of `tokens` (labels = inputs, shifted inside). */
function lossOf(model: AnyModel, tokens: Int32Array, start: number): number {
  assert.ok(model instanceof GPT);
  const ids = tokens.slice(start, start + BATCH * T);
  const targets = Int32Array.from(ids, (_, i) => (i % T === T - 1 ? -100 : (ids[i + 1] as number)));
  const out = model.forward(tensor(ids, { shape: [BATCH, T] }), { targets: tensor(targets, { shape: [BATCH, T] }) });
  return (out.loss as NonNullable<typeof out.loss>).item();
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test(
  'an llmts GPT-2 checkpoint continues under torchrun DDP (2 ranks) and comes back',
  { skip: torch.skip, timeout: 300_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-handoff-'));
    try {
      // llmts's side: the checkpoint (a GPT-2 in llmts, saved by llmts) and the token shards
      const model = loadHfModel(join(hfFixturesDir, 'gpt2')).eval();
      saveHfModel(model, join(dir, 'ckpt'));
      const vocab = 97;
      let seed = 1;
      const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % vocab;
      // a repetitive stream, so that a few steps lower the loss
      const train = Int32Array.from({ length: 4 * 2 * BATCH * T }, (_, i) => (i % 7 === 0 ? rand() : (i * 5) % vocab));
      const val = Int32Array.from({ length: BATCH * T }, (_, i) => (i * 5) % vocab);
      const w = createShardWriter(join(dir, 'tokens'), { vocabSize: vocab, eosId: null, createdBy: 'handoff test' });
      w.addDocument('train', train);
      w.addDocument('val', val);
      w.finish();

      const r = spawnSync(
        torch.path as string,
        [
          TORCHRUN,
          '--nproc_per_node',
          '2',
          '--master_addr',
          '127.0.0.1',
          '--master_port',
          String(await freePort()),
          SCRIPT,
          '--model',
          join(dir, 'ckpt'),
          '--data',
          join(dir, 'tokens'),
          '--out',
          join(dir, 'back'),
          '--steps',
          '4',
          '--batch',
          String(BATCH),
        ],
        { encoding: 'utf8', timeout: 240_000, env: { ...process.env, OMP_NUM_THREADS: '1' } },
      );
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      const lines = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, number>);
      console.log(lines.map((l) => JSON.stringify(l)).join('\n'));
      const steps = lines.filter((l) => 'step' in l);
      assert.equal(steps.length, 4);

      // the loss continues from where llmts left it: rank 0's first batch is tokens [0, B * T)
      const first = lossOf(model, train, 0);
      console.log(`llmts loss of rank 0's first batch: ${first}; PyTorch: ${steps[0]!['rank0_loss']}`);
      assert.ok(Math.abs(first - (steps[0]!['rank0_loss'] as number)) < 1e-4);
      // rank 1's first batch: the mean over the ranks
      const second = lossOf(model, train, BATCH * T);
      assert.ok(Math.abs((first + second) / 2 - (steps[0]!['mean_loss'] as number)) < 1e-4);

      // and comes back: llmts loads PyTorch's model and scores the val batch the same
      const back = loadHfModel(join(dir, 'back')).eval();
      const evalLoss = lines.find((l) => 'eval_loss' in l)!['eval_loss'] as number;
      const ours = lossOf(back, val, 0);
      console.log(`eval loss of the returned model: llmts ${ours}, PyTorch ${evalLoss}`);
      assert.ok(Math.abs(ours - evalLoss) < 1e-4);
      // the returned model was trained (it differs from the one handed over)
      assert.ok(Math.abs(lossOf(back, train, 0) - first) > 1e-3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
