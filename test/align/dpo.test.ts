import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../../src/engine/ops/creation.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import { dpoLoss, trainDpo, DPO_DEFAULTS } from '../../src/align/dpo.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { Generator } from '../../src/core/random.ts';

const sig = (x: number): number => 1 / (1 + Math.exp(-x));

describe('DPO loss', () => {
  it('sigmoid: -log sigmoid(beta * ((pc - rc) - (pr - rr))), gradient -beta * sigmoid(-beta h) at any h, including 0', () => {
    for (const [pc, pr, rc, rr] of [
      [-3, -5, -4, -4],
      [-2, -2, -2, -2],
      [-6, -1, -3, -2],
    ] as const) {
      const c = tensor([pc], { requiresGrad: true });
      const r = dpoLoss(c, tensor([pr]), tensor([rc]), tensor([rr]), 0.5, 'sigmoid');
      const h = pc - rc - (pr - rr);
      assert.ok(Math.abs(r.loss.item() - -Math.log(sig(0.5 * h))) < 1e-6);
      r.loss.backward();
      assert.ok(Math.abs(c.grad!.item() - -0.5 * sig(-0.5 * h)) < 1e-6, `h=${h}`);
      assert.ok(Math.abs(r.rewardsChosen[0]! - 0.5 * (pc - rc)) < 1e-6);
    }
  });

  it('label smoothing (conservative DPO) and IPO', () => {
    const h = 0.8;
    const beta = 0.2;
    const ls = dpoLoss(tensor([h]), tensor([0]), tensor([0]), tensor([0]), beta, 'sigmoid', 0.1).loss.item();
    assert.ok(Math.abs(ls - (-0.9 * Math.log(sig(beta * h)) - 0.1 * Math.log(sig(-beta * h)))) < 1e-6);
    const ipo = dpoLoss(tensor([h, 0.1]), tensor([0, 0]), tensor([0, 0]), tensor([0, 0]), beta, 'ipo').loss.item();
    assert.ok(Math.abs(ipo - ((h - 2.5) ** 2 + (0.1 - 2.5) ** 2) / 2) < 1e-5);
    assert.throws(() => dpoLoss(tensor([0]), tensor([0]), tensor([0]), tensor([0]), 0, 'sigmoid'), /beta/);
  });
});

describe('DPO training', () => {
  it('moves the policy toward the chosen answers and leaves the reference alone', async () => {
    const tok = taskTokenizer(reviewsTask);
    const policy = new GPT(
      gptPreset('gpt2', {
        vocabSize: tok.vocabSize,
        blockSize: 48,
        nLayer: 1,
        nHead: 2,
        nEmbd: 32,
        dropout: 0,
        attnDropout: 0,
      }),
      { seed: 2 },
    );
    const before = policy.parameters().map((p) => p.toArray());
    const g = new Generator(1);
    const prompts = reviewsTask.prompts('train');
    const groups = Array.from({ length: 48 }, (_, i) => {
      const p = prompts[i % prompts.length]!;
      const a = reviewsTask.demonstration(p, g);
      const b = reviewsTask.demonstration(p, g);
      return { prompt: p, responses: reviewsTask.gold(p, a, true) >= reviewsTask.gold(p, b, true) ? [a, b] : [b, a] };
    });
    const r = await trainDpo({
      ...DPO_DEFAULTS,
      steps: 40,
      batchSize: 8,
      lr: 3e-3,
      beta: 0.5,
      evalEvery: 20,
      checkpointEvery: 0,
      policy,
      tokenizer: tok,
      format: CHATML_FORMAT,
      train: groups,
      val: groups.slice(0, 16),
      runDir: mkdtempSync(join(tmpdir(), 'llmts-dpo-')),
    });
    assert.deepEqual(
      r.reference.model.parameters().map((p) => p.toArray()),
      before,
    );
    const e = r.result.lastEval!;
    assert.ok(e['loss']! < Math.log(2) - 0.1, `loss ${e['loss']}`);
    assert.ok(e['accuracy']! > 0.8, `accuracy ${e['accuracy']}`);
    assert.ok(e['margin']! > 0);
  });
});
