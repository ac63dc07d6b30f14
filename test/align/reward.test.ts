import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../../src/engine/ops/creation.ts';
import { negLogSigmoid, rankingLoss, rankingPairs } from '../../src/align/shared/ranking-loss.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { ScalarHeadModel } from '../../src/models/heads.ts';
import { buildSequenceBatch } from '../../src/align/shared/batch.ts';
import { rewardForward } from '../../src/align/shared/forward.ts';
import { noGrad } from '../../src/engine/grad-mode.ts';
import { loadRewardModel, trainRewardModel, REWARD_DEFAULTS } from '../../src/align/reward.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { CHATML_FORMAT, ChatTemplate } from '../../src/data/chat/template.ts';
import { encodePrompt, encodeResponse, chatIds } from '../../src/data/chat/encode.ts';
import { Generator } from '../../src/core/random.ts';

const bt = (d: number): number => Math.log1p(Math.exp(-d)); // -log sigmoid(d), for moderate d

describe('ranking losses', () => {
  it('-log sigmoid is exact, finite at the extremes, and has gradient -1/2 at 0', () => {
    const xs = [-1000, -50, -3, -0.5, 0, 0.5, 3, 50, 1000];
    const x = tensor(xs, { requiresGrad: true });
    const y = negLogSigmoid(x);
    y.toArray().forEach((v, i) => {
      const ref = xs[i]! < -30 ? -xs[i]! : Math.log1p(Math.exp(-xs[i]!));
      assert.ok(Math.abs(v - ref) <= 1e-6 * Math.max(1, Math.abs(ref)), `x=${xs[i]}: ${v} vs ${ref}`);
    });
    y.sum().backward();
    x.grad!.toArray().forEach((g, i) => {
      const ref = -1 / (1 + Math.exp(xs[i]!)); // d/dx log(1 + e^-x) = -sigmoid(-x)
      assert.ok(Math.abs(g - ref) < 1e-6, `grad at ${xs[i]}: ${g} vs ${ref}`);
    });
  });

  it('the K-way loss of a group equals the mean of its C(K,2) pairwise Bradley-Terry losses', () => {
    const s = [1.3, 0.2, -0.4, 0.9]; // ranked best first: rows 0 > 1 > 2 > 3
    const out = rankingLoss(tensor(s), [{ rows: [0, 1, 2, 3] }]);
    let mean = 0;
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) mean += bt(s[i]! - s[j]!) / 6;
    assert.ok(Math.abs(out.loss.item() - mean) < 1e-6);
    assert.equal(out.pairs, 6);
    assert.equal(out.accuracy, 4 / 6); // the pairs (1, 3) and (2, 3) are scored the wrong way round
  });

  it('averages groups (each weighted 1/groups, whatever its K) and applies the margin', () => {
    const s = tensor([2, 1, 0.5, -1, 0]);
    const out = rankingLoss(s, [{ rows: [0, 1, 2] }, { rows: [3, 4], margin: 0.5 }]);
    const g1 = (bt(1) + bt(1.5) + bt(0.5)) / 3;
    const g2 = bt(-1 - 0 - 0.5);
    assert.ok(Math.abs(out.loss.item() - (g1 + g2) / 2) < 1e-6);
    const p = rankingPairs([{ rows: [0, 1, 2] }, { rows: [3, 4] }]);
    assert.deepEqual(p.win, [0, 0, 1, 3]);
    assert.deepEqual(p.lose, [1, 2, 2, 4]);
  });

  it('reward centering adds c * mean((r_w + r_l)^2)', () => {
    const out = rankingLoss(tensor([1, 2]), [{ rows: [0, 1] }], 0.01);
    assert.ok(Math.abs(out.loss.item() - (bt(-1) + 0.01 * 9)) < 1e-6);
  });
});

function tinyGpt(vocab: number, seed = 1): GPT {
  return new GPT(
    gptPreset('gpt2', { vocabSize: vocab, blockSize: 48, nLayer: 1, nHead: 2, nEmbd: 32, dropout: 0, attnDropout: 0 }),
    { seed },
  );
}

describe('reward model', () => {
  it('reads the score at the last real token, whatever the padding around it', () => {
    const rm = new ScalarHeadModel(tinyGpt(40), 'reward', 3).eval();
    const alone = buildSequenceBatch([[5, 6, 7]], [[8, 9, 1]], 0, 1);
    const padded = buildSequenceBatch(
      [
        [5, 6, 7],
        [2, 3, 4, 5, 6, 7, 8],
      ],
      [
        [8, 9, 1],
        [10, 11, 12, 13, 14, 1],
      ],
      0,
      1,
    );
    const a = noGrad(() => rewardForward(rm, alone).toArray());
    const b = noGrad(() => rewardForward(rm, padded).toArray());
    assert.ok(Math.abs(a[0]! - b[0]!) < 1e-5, `${a[0]} vs ${b[0]}`);
    // it is the head applied to the hidden state of the EOS position (column P + len - 1)
    const all = noGrad(() =>
      rm
        .forward(
          tensor(alone.ids, { shape: [1, 6], dtype: 'int32' }),
          tensor(alone.attention, { shape: [1, 6], dtype: 'int32' }),
        )
        .toArray(),
    );
    assert.ok(Math.abs(all[5]! - a[0]!) < 1e-6);
  });

  it('trains, saves and reloads with its normalization (mean 0, std 1 on the policy answers)', async () => {
    const tok = taskTokenizer(reviewsTask);
    const template = new ChatTemplate(CHATML_FORMAT);
    const g = new Generator(5);
    const prompts = reviewsTask.prompts('train');
    const groups = Array.from({ length: 40 }, (_, i) => {
      const p = prompts[i % prompts.length]!;
      const answers = [0, 1, 2].map(() => reviewsTask.demonstration(p, g));
      const order = [0, 1, 2].sort(
        (x, y) => reviewsTask.gold(p, answers[y]!, true) - reviewsTask.gold(p, answers[x]!, true),
      );
      return { prompt: p, responses: order.map((k) => answers[k]!) };
    });
    const runDir = mkdtempSync(join(tmpdir(), 'llmts-rm-'));
    const res = await trainRewardModel({
      ...REWARD_DEFAULTS,
      backbone: tinyGpt(tok.vocabSize),
      tokenizer: tok,
      format: CHATML_FORMAT,
      train: groups,
      val: groups.slice(0, 8),
      runDir,
      steps: 30,
      batchSize: 8,
      lr: 1e-3,
      evalEvery: 10,
      checkpointEvery: 10,
    });
    const losses = res.result;
    assert.ok(Number.isFinite(losses.finalTrainLoss));
    const loaded = loadRewardModel(runDir);
    assert.deepEqual(loaded.info.normalization, res.normalization);
    const ids = chatIds(tok, template);
    const items = groups.flatMap((gr) =>
      gr.responses.map((r) => ({
        prompt: encodePrompt(tok, template, gr.prompt),
        response: encodeResponse(tok, r, ids.eosId),
      })),
    );
    const batch = buildSequenceBatch(
      items.map((x) => x.prompt),
      items.map((x) => x.response),
      ids.padId,
      ids.eosId,
    );
    const a = res.scorer.score(batch).normalized;
    const b = noGrad(() => rewardForward(loaded.rm, batch).toArray()).map(
      (r) => (r - loaded.info.normalization.mean) / loaded.info.normalization.std,
    );
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-4));
    const mean = Array.from(a).reduce((x, y) => x + y, 0) / a.length;
    const std = Math.sqrt(Array.from(a).reduce((x, y) => x + (y - mean) ** 2, 0) / (a.length - 1));
    assert.ok(Math.abs(mean) < 1e-3 && Math.abs(std - 1) < 1e-3, `mean ${mean} std ${std}`);
  });
});
