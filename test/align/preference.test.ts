/**
 * The offline preference objectives against their papers' formulas, computed here by hand
 * with plain arithmetic on small cases (not through the tensor code), and each trained end
 * to end for a few steps on the reviews task's preferences.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '../../src/engine/ops/creation.ts';
import { cpoLoss, dpoLoss, ktoLoss, orpoLoss, simpoLoss } from '../../src/align/shared/preference-losses.ts';
import { trainDpo, DPO_DEFAULTS } from '../../src/align/dpo.ts';
import type { DpoLossType } from '../../src/align/dpo.ts';
import { GPT, gptPreset } from '../../src/models/gpt.ts';
import { CHATML_FORMAT } from '../../src/data/chat/template.ts';
import { reviewsTask } from '../../src/align/tasks/reviews.ts';
import { taskTokenizer } from '../../src/align/tasks/tokenizer.ts';
import { taskSftConversations } from '../../src/align/tasks/datasets.ts';

const t = (xs: number[]): ReturnType<typeof tensor> => tensor(Float32Array.from(xs), { shape: [xs.length] });
const sig = (x: number): number => 1 / (1 + Math.exp(-x));
const logsig = (x: number): number => Math.log(sig(x));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const close = (a: number, b: number, tol = 1e-5): void => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

// log pi of chosen / rejected answers (sums), reference values, and token counts
const pc = [-3.2, -5.0];
const pr = [-4.1, -4.4];
const rc = [-3.5, -4.6];
const rr = [-3.9, -4.9];
const nc = [4, 5];
const nr = [3, 6];

describe('preference losses (hand-computed)', () => {
  it('DPO: mean of -log sigmoid(beta h); label smoothing; IPO (h - 1/(2 beta))^2', () => {
    const beta = 0.3;
    const h = pc.map((_, i) => pc[i]! - rc[i]! - (pr[i]! - rr[i]!));
    close(dpoLoss(t(pc), t(pr), t(rc), t(rr), beta, 'sigmoid').loss.item(), mean(h.map((x) => -logsig(beta * x))));
    const e = 0.2;
    close(
      dpoLoss(t(pc), t(pr), t(rc), t(rr), beta, 'sigmoid', e).loss.item(),
      mean(h.map((x) => -(1 - e) * logsig(beta * x) - e * logsig(-beta * x))),
    );
    close(dpoLoss(t(pc), t(pr), t(rc), t(rr), beta, 'ipo').loss.item(), mean(h.map((x) => (x - 1 / (2 * beta)) ** 2)));
  });

  it('ORPO: NLL(chosen) - lambda mean log sigmoid(log odds_w - log odds_l), odds from mean token log-probs', () => {
    const lam = 0.25;
    const avgC = pc.map((x, i) => x / nc[i]!);
    const avgR = pr.map((x, i) => x / nr[i]!);
    const nll = -(pc[0]! + pc[1]!) / (nc[0]! + nc[1]!);
    const logOdds = (l: number): number => l - Math.log(1 - Math.exp(l));
    const expected = nll - lam * mean(avgC.map((c, i) => logsig(logOdds(c) - logOdds(avgR[i]!))));
    close(orpoLoss(t(avgC), t(avgR), tensor(Float32Array.of(nll), { shape: [] }), lam).loss.item(), expected);
  });

  it('SimPO: -log sigmoid(beta (avg_w - avg_l) - gamma)', () => {
    const beta = 2;
    const gamma = 0.5;
    const avgC = pc.map((x, i) => x / nc[i]!);
    const avgR = pr.map((x, i) => x / nr[i]!);
    close(
      simpoLoss(t(avgC), t(avgR), beta, gamma).loss.item(),
      mean(avgC.map((c, i) => -logsig(beta * (c - avgR[i]!) - gamma))),
    );
  });

  it('CPO: -log sigmoid(beta (log pi_w - log pi_l)) + alpha NLL(chosen)', () => {
    const beta = 0.1;
    const alpha = 1;
    const nll = 0.9;
    close(
      cpoLoss(t(pc), t(pr), tensor(Float32Array.of(nll), { shape: [] }), beta, alpha).loss.item(),
      mean(pc.map((c, i) => -logsig(beta * (c - pr[i]!)))) + alpha * nll,
    );
  });

  it('KTO: w_D (1 - sigmoid(beta (r_w - z0))) and w_U (1 - sigmoid(beta (z0 - r_l))), z0 = max(0, mean mismatched)', () => {
    const beta = 0.5;
    const d = pc.map((x, i) => x - rc[i]!);
    const u = pr.map((x, i) => x - rr[i]!);
    for (const mismatched of [
      [0.4, 1.0],
      [-2, -1],
    ]) {
      const z0 = Math.max(0, mean(mismatched));
      const expected = mean([
        ...d.map((r) => 1.5 * (1 - sig(beta * (r - z0)))),
        ...u.map((r) => 0.5 * (1 - sig(beta * (z0 - r)))),
      ]);
      const got = ktoLoss(t(d), t(u), t(mismatched), beta, 1.5, 0.5);
      close(got.z0, z0);
      close(got.loss.item(), expected);
    }
  });
});

describe('each objective trains on the reviews task', () => {
  const tok = taskTokenizer(reviewsTask);
  const convs = taskSftConversations(reviewsTask, 24, 3);
  const groups = convs.map((c, i) => ({
    prompt: c.slice(0, 1),
    responses: [c[1]!.content, convs[(i + 5) % convs.length]![1]!.content],
  }));
  for (const lossType of ['kto', 'orpo', 'simpo', 'cpo', 'ipo'] as DpoLossType[]) {
    it(`${lossType}: the policy moves, the loss is finite, the reference (if any) stays the SFT model`, async () => {
      const sft = new GPT(
        gptPreset('gpt2', { vocabSize: tok.vocabSize, blockSize: 48, nLayer: 1, nHead: 2, nEmbd: 32, dropout: 0 }),
        { seed: 1 },
      );
      const before = sft.parameters().map((p) => p.toArray());
      const r = await trainDpo({
        ...DPO_DEFAULTS,
        lossType,
        beta: lossType === 'simpo' ? 2 : 0.1,
        steps: 3,
        batchSize: 4,
        lr: 1e-3,
        warmupSteps: 0,
        evalEvery: 0,
        checkpointEvery: 0,
        policy: sft,
        tokenizer: tok,
        format: CHATML_FORMAT,
        train: groups,
        val: groups.slice(0, 4),
        runDir: mkdtempSync(join(tmpdir(), `llmts-${lossType}-`)),
      });
      assert.ok(Number.isFinite(r.result.finalTrainLoss));
      assert.ok(r.policy.parameters().some((p, i) => p.toArray().some((v, j) => v !== before[i]![j])));
      assert.deepEqual(
        r.reference.model.parameters().map((p) => p.toArray()),
        before,
      );
    });
  }
});
