/**
 * Section 3, the PPO core: (a) the clipped surrogate L = min(r·A, clip(r, 1−ε, 1+ε)·A) and its
 * gradient over a grid of ratios for A > 0 and A < 0, computed by the library's
 * clippedPolicyLoss with autograd (the notes' "function behaviour analysis"); (b) a short PPO
 * run on the shared character GPT built from the library's RLHF parts (rollouts with
 * generate(), policyForward / valueForward, a frozen reference for the per-token KL penalty, a
 * critic with a zero-initialized value head, GAE, clipped policy and value losses), watching
 * the clip fraction and the KL as the actor moves.
 *
 * The reward of the short run is a fixed function of the answer (the share of vowels), standing
 * in for a trained reward model: the point is the PPO mechanics, not preference learning.
 */
import { Generator, noGrad, tensor, tidy } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { generate } from '../../generate/generate.ts';
import { GPT } from '../../models/gpt.ts';
import { gptForGeneration } from '../../models/generative.ts';
import { ScalarHeadModel } from '../../models/heads.ts';
import { AdamW } from '../../optim/index.ts';
import { buildSequenceBatch } from '../../align/shared/batch.ts';
import type { SequenceBatch } from '../../align/shared/batch.ts';
import { policyForward, valueForward } from '../../align/shared/forward.ts';
import { computeGae } from '../../align/shared/gae.ts';
import { maskedWhiten } from '../../align/shared/masked.ts';
import { clippedPolicyLoss, clippedValueLoss, maskedTokenMean } from '../../align/shared/ppo-loss.ts';
import { lineChartSvg } from '../../core/plot.ts';
import { createProgress } from '../../core/progress.ts';
import type { CharVocab } from '../corpus.ts';
import { charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { greaterFinding } from '../compare.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';

const EPS = 0.2;

interface GridPoint {
  r: number;
  /** L_CLIP per unit |A| (the objective, maximized) and dL/dr, for A = +1 and A = -1. */
  lPos: number;
  gPos: number;
  lNeg: number;
  gNeg: number;
  /** Which term the min picked: 'clipped' when the clipped term is strictly smaller. */
  activePos: 'clipped' | 'unclipped' | 'equal';
  activeNeg: 'clipped' | 'unclipped' | 'equal';
}

/** L_CLIP and dL_CLIP/dr through clippedPolicyLoss (which returns −L as a token mean), for ratios rs and advantage a. */
function objectiveGrid(rs: readonly number[], a: number): { l: number[]; g: number[] } {
  const n = rs.length;
  const logp = tensor(
    Float32Array.from(rs, (r) => Math.log(r)),
    { shape: [1, n], requiresGrad: true },
  );
  const old = tensor(new Float32Array(n), { shape: [1, n] });
  const adv = tensor(new Float32Array(n).fill(a), { shape: [1, n] });
  const mask = tensor(new Float32Array(n).fill(1), { shape: [1, n] });
  // per-element values: the loss of each point alone (mask one-hot)
  const l = rs.map((_, i) =>
    noGrad(() => {
      const m = new Float32Array(n);
      m[i] = 1;
      return -clippedPolicyLoss(logp, old, adv, tensor(m, { shape: [1, n] }), { clipEps: EPS }).loss.item();
    }),
  );
  // gradients: d(mean loss)/d logp_i = -(1/n) dL_i/dlogp_i, and dL/dr = dL/dlogp / r
  clippedPolicyLoss(logp, old, adv, mask, { clipEps: EPS }).loss.backward();
  const dlogp = logp.grad!.toTypedArray();
  const g = rs.map((r, i) => (-n * dlogp[i]!) / r);
  return { l, g };
}

function activeTerm(r: number, a: number): 'clipped' | 'unclipped' | 'equal' {
  const un = r * a;
  const cl = Math.min(Math.max(r, 1 - EPS), 1 + EPS) * a;
  return Math.abs(un - cl) < 1e-12 ? 'equal' : cl < un ? 'clipped' : 'unclipped';
}

function clone(model: GPT, seed: number): GPT {
  const copy = new GPT({ ...model.config }, { seed });
  copy.loadStateDict(model.stateDict());
  return copy;
}

interface IterationStats {
  iteration: number;
  reward: number;
  klToReference: number;
  /** Per PPO epoch: fraction of tokens where the clip was active, and approx KL(old || new). */
  clipFrac: number[];
  approxKl: number[];
  /** Per PPO epoch: largest |ratio − 1| over the valid tokens (before that epoch's update). */
  ratioMaxDev: number[];
}

const VOWELS = new Set('aeiouAEIOU');

/** A short PPO run: iterations of rollout, scoring, GAE and `epochs` clipped updates. */
function ppoRun(
  base: GPT,
  v: CharVocab,
  text: string,
  o: {
    iterations: number;
    batch: number;
    promptLen: number;
    responseLen: number;
    epochs: number;
    lr: number;
    beta: number;
    seed: number;
  },
): IterationStats[] {
  const actor = clone(base, o.seed).train();
  const reference = clone(base, o.seed).eval();
  reference.requiresGrad_(false);
  const critic = new ScalarHeadModel(clone(base, o.seed), 'zero', o.seed);
  const actorOpt = new AdamW([{ params: actor.parameters().filter((p) => p.requiresGrad), lr: o.lr, weightDecay: 0 }], {
    eps: 1e-5,
  });
  const criticOpt = new AdamW(
    [{ params: critic.parameters().filter((p) => p.requiresGrad), lr: o.lr * 3, weightDecay: 0 }],
    { eps: 1e-5 },
  );
  const g = new Generator(o.seed);
  const never = v.special('[SEP]'); // an id the policy never samples: responses run to full length
  const pad = v.special('[PAD]');
  const out: IterationStats[] = [];
  const progress = createProgress(o.iterations, { label: 'lab ppo', unit: 'iteration' });
  for (let it = 0; it < o.iterations; it++) {
    const prompts = Array.from({ length: o.batch }, () => {
      const at = g.randint(text.length - o.promptLen);
      return Array.from(v.encode(text.slice(at, at + o.promptLen)));
    });
    actor.eval();
    const gen = generate(gptForGeneration(actor), undefined, prompts, {
      doSample: true,
      topK: 0,
      topP: 1,
      temperature: 1,
      maxNewTokens: o.responseLen,
      minNewTokens: o.responseLen,
      seed: o.seed * 1000 + it,
      suppressTokens: [never, pad],
    });
    const responses = gen.sequences.map((s) => s.ids);
    const batch: SequenceBatch = buildSequenceBatch(prompts, responses, pad, never);
    const { B, R } = batch;
    const mask = batch.responseMask;
    // score: old and reference log-probs, values, reward at the last token, KL penalty per token
    const scored = noGrad(() =>
      tidy(() => ({
        old: policyForward(actor, batch, 1).logprobs.toTypedArray(),
        ref: policyForward(reference, batch, 1).logprobs.toTypedArray(),
        values: valueForward(critic, batch).toTypedArray(),
      })),
    );
    const rewards = new Float32Array(B * R);
    let rewardSum = 0;
    let klSum = 0;
    for (let b = 0; b < B; b++) {
      const answer = v.decode(batch.responses[b]!);
      const score = [...answer].filter((c) => VOWELS.has(c)).length / answer.length;
      rewardSum += score;
      for (let t = 0; t < R; t++) {
        const i = b * R + t;
        if (mask[i] === 0) continue;
        const kl = scored.old[i]! - scored.ref[i]!;
        klSum += kl;
        rewards[i] = -o.beta * kl;
      }
      rewards[b * R + batch.responseLengths[b]! - 1]! += score;
    }
    const gae = computeGae(rewards, scored.values, mask, B, R, 1, 0.95);
    const adv = maskedWhiten(gae.advantages, mask);
    const t = (a: ArrayLike<number>): Tensor => tensor(Float32Array.from(a), { shape: [B, R] });
    const clipFrac: number[] = [];
    const approxKl: number[] = [];
    const ratioMaxDev: number[] = [];
    actor.eval(); // dropout is off in these models; eval keeps the forward identical to scoring
    for (let e = 0; e < o.epochs; e++) {
      tidy(() => {
        const pf = policyForward(actor, batch, 1, true);
        const pl = clippedPolicyLoss(pf.logprobs, t(scored.old), t(adv), t(mask), { clipEps: EPS });
        const loss = pl.loss.sub(maskedTokenMean(pf.entropy!, t(mask)).mul(0.01));
        loss.backward();
        clipFrac.push(pl.clipFrac);
        approxKl.push(pl.approxKl);
        ratioMaxDev.push(pl.ratioMaxDev);
        const vl = clippedValueLoss(valueForward(critic, batch), t(scored.values), t(gae.returns), t(mask), 0.2);
        vl.loss.backward();
      });
      actorOpt.step();
      actorOpt.zeroGrad();
      criticOpt.step();
      criticOpt.zeroGrad();
    }
    out.push({ iteration: it, reward: rewardSum / B, klToReference: klSum / B, clipFrac, approxKl, ratioMaxDev });
    progress.update(it + 1, { reward: (rewardSum / B).toFixed(3) });
  }
  progress.stop();
  return out;
}

export const ppoClip: Experiment = {
  name: '3-ppo-clip',
  section: 3,
  title: "PPO's clipped objective: value and gradient over the ratio, and a short PPO run",
  claims: [
    {
      section: 3,
      quote:
        '当优势 Â_t > 0(好动作)：……clip 函数为奖励的增长设置了一个上限。一旦 r_t(θ) 超过 1+ϵ，目标函数的值就不再增长，梯度变为 0。',
      english:
        'With A > 0 the clip caps the gain: once r exceeds 1+ε the objective stops growing and the gradient is 0.',
    },
    {
      section: 3,
      quote:
        '当优势 Â_t < 0 (坏动作)：……min 函数会选择两个负值中更小的那个（绝对值更大）。如果 r_t(θ) 变化过大，clip 项会施加一个更大的惩罚，迫使更新幅度保持在信任区域内。',
      english:
        'With A < 0 the min takes the smaller (more negative) of the two terms; if r changes too much the clip term imposes a larger penalty, keeping the update in the trust region.',
    },
    {
      section: 3,
      quote: 'Actor 在更新时看不见奖励模型，它唯一的指导信号是计算出的优势 Â_t。',
      english: 'The actor never sees the reward model; its only signal is the advantage.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    // (a) the objective over a grid of ratios
    const rs = Array.from({ length: 121 }, (_, i) => 0.4 + i * 0.01);
    const pos = objectiveGrid(rs, 1);
    const neg = objectiveGrid(rs, -1);
    const grid: GridPoint[] = rs.map((r, i) => ({
      r,
      lPos: pos.l[i]!,
      gPos: pos.g[i]!,
      lNeg: neg.l[i]!,
      gNeg: neg.g[i]!,
      activePos: activeTerm(r, 1),
      activeNeg: activeTerm(r, -1),
    }));
    const tol = 1e-5;
    const above = grid.filter((p) => p.r > 1 + EPS + 1e-9);
    const below = grid.filter((p) => p.r < 1 - EPS - 1e-9);
    const inside = grid.filter((p) => p.r > 1 - EPS + 1e-9 && p.r < 1 + EPS - 1e-9);
    const posFlat = above.every((p) => Math.abs(p.gPos) < tol && Math.abs(p.lPos - (1 + EPS)) < tol);
    const posMoves = [...inside, ...below].every((p) => Math.abs(p.gPos - 1) < 1e-4);
    const minOk = grid.every(
      (p) =>
        Math.abs(p.lNeg - Math.min(-p.r, -Math.min(Math.max(p.r, 1 - EPS), 1 + EPS))) < tol &&
        Math.abs(p.lPos - Math.min(p.r, Math.min(Math.max(p.r, 1 - EPS), 1 + EPS))) < tol,
    );
    const negFlatBelow = below.every((p) => Math.abs(p.gNeg) < tol && p.activeNeg === 'clipped');
    const negActiveAbove = above.every((p) => Math.abs(p.gNeg + 1) < 1e-4 && p.activeNeg === 'unclipped');

    // (b) a short PPO run
    const { model, corpus } = await charGpt(ctx, 4);
    const q = ctx.quick;
    const runOpts = {
      iterations: q ? 3 : 20,
      batch: q ? 8 : 32,
      promptLen: 16,
      responseLen: q ? 16 : 32,
      epochs: 4,
      lr: 3e-4,
      beta: 0.05,
      seed: ctx.seed,
    };
    ctx.log(`  PPO: ${runOpts.iterations} iterations of ${runOpts.batch} rollouts, seeds ${ctx.seeds.join(', ')}`);
    const stats = ppoRun(model, corpus.vocab, corpus.valText, runOpts);
    // the reward's rise, once per seed (that seed's pretrained model and rollouts)
    const tail = Math.max(1, Math.floor(stats.length / 4));
    const rise = (st: readonly IterationStats[]): number =>
      st.slice(-tail).reduce((a, x) => a + x.reward, 0) / tail - st[0]!.reward;
    const rises = [rise(stats)];
    for (const seed of ctx.seeds.slice(1)) {
      const m = (await charGpt(ctx, 4, seed)).model;
      rises.push(rise(ppoRun(m, corpus.vocab, corpus.valText, { ...runOpts, seed })));
    }
    const firstEpochClip = Math.max(...stats.map((s) => s.clipFrac[0]!));
    const laterClip = Math.max(...stats.map((s) => Math.max(...s.clipFrac.slice(1))));
    const maxKl = Math.max(...stats.flatMap((s) => s.approxKl));
    const maxDev = Math.max(...stats.flatMap((s) => s.ratioMaxDev));
    const r0 = stats[0]!.reward;
    const rLast =
      stats.slice(-Math.max(1, Math.floor(stats.length / 4))).reduce((a, s) => a + s.reward, 0) /
      Math.max(1, Math.floor(stats.length / 4));
    const findings: Finding[] = [
      {
        statement: 'A > 0: once r > 1+ε the objective stops growing and the gradient is 0 (below 1+ε it is A)',
        verdict: verdictOf(posFlat && posMoves),
        evidence: `over ${above.length} ratios in (1.2, 1.6]: max |dL/dr| ${fmt(Math.max(...above.map((p) => Math.abs(p.gPos))))}, L stays at ${fmt(above[0]!.lPos, 3)} = (1+ε)·A; for r < 1+ε dL/dr = ${fmt(inside[0]!.gPos, 4)} (= A)`,
      },
      {
        statement: 'A < 0: the min picks the more pessimistic (smaller) of the two terms',
        verdict: verdictOf(minOk),
        evidence: `L_CLIP from clippedPolicyLoss equals min(r·A, clip(r)·A) at all ${grid.length} grid points for A = ±1 (max error < ${tol})`,
      },
      {
        statement:
          'A < 0: when r changes too much, the clip term imposes a larger penalty and keeps the update in the trust region',
        verdict: verdictOf(negFlatBelow, negActiveAbove),
        evidence: `r < 1−ε: the clipped term (1−ε)·A is the smaller one and active, with zero gradient (${below.length} points, max |dL/dr| ${fmt(Math.max(...below.map((p) => Math.abs(p.gNeg))))}): the push to lower the bad action stops. r > 1+ε: the UNclipped term r·A is active, dL/dr = ${fmt(above[0]!.gNeg, 4)}, the penalty keeps growing without a cap. Caveat: the clip never adds a restoring force; it only removes the gradient on one side`,
      },
      {
        statement: 'in a PPO run the clip engages as the actor moves away from the rollout policy (later epochs clip)',
        verdict: verdictOf(laterClip > 0),
        evidence: `clip fraction in epochs 2-${runOpts.epochs} of the iterations: up to ${pct(laterClip, 1)}`,
      },
      {
        statement: 'the first epoch of each iteration has ratio 1 (nothing is clipped)',
        kind: 'sanity',
        verdict: verdictOf(firstEpochClip === 0),
        evidence: `clip fraction of the first epochs: at most ${pct(firstEpochClip, 1)} (the rollout policy is the actor itself before its first update: holds by construction)`,
      },
      {
        statement:
          'the clip keeps the update inside the trust region: ratios stay near [1−ε, 1+ε] and the KL per update stays small',
        verdict: verdictOf(maxDev <= 2 * EPS, maxKl > 0.05),
        evidence: `largest |r − 1| over all tokens and epochs ${fmt(maxDev)} (ε = ${EPS}); approx KL(old‖new) up to ${fmt(maxKl)}${maxDev > EPS ? `. The clip zeroes the gradient of tokens already outside the region, but the shared weights keep moving them (and others) through the remaining tokens' gradients: it is a soft constraint, not a hard bound` : ''}`,
      },
      greaterFinding({
        statement:
          'PPO raises the reward (makes good actions more likely) while the KL penalty keeps the actor near the reference',
        larger: { name: `reward rise (last ${tail} iteration(s) − first)`, values: rises },
        smaller: { name: 'no rise', values: rises.map(() => 0) },
        format: (x) => fmt(x, 3),
        note: `seed ${ctx.seed}: first iteration ${fmt(r0)}, last ${fmt(rLast)}; Σ_t KL(actor‖reference) per answer at the last iteration ${fmt(stats[stats.length - 1]!.klToReference)} nats. The reward is the stand-in vowel share, not a reward model trained from rankings`,
      }),
    ];
    const plots = [
      {
        name: 'objective',
        caption:
          'L_CLIP = min(r·A, clip(r, 0.8, 1.2)·A) from clippedPolicyLoss for A = +1 and A = −1 against the ratio r; flat stretches are where the clipped term wins the min.',
        svg: await lineChartSvg({
          title: 'clipped surrogate objective (ε = 0.2)',
          xLabel: 'ratio r = π_θ / π_θold',
          yLabel: 'L_CLIP',
          series: [
            { name: 'A = +1', points: grid.map((p) => [p.r, p.lPos] as [number, number]) },
            { name: 'A = −1', points: grid.map((p) => [p.r, p.lNeg] as [number, number]) },
          ],
        }),
      },
      {
        name: 'gradient',
        caption:
          'dL_CLIP/dr by autograd through clippedPolicyLoss, for A = +1 and A = −1; zero means the update stops pushing that ratio.',
        svg: await lineChartSvg({
          title: 'gradient of the clipped objective',
          xLabel: 'ratio r',
          yLabel: 'dL_CLIP / dr',
          series: [
            { name: 'A = +1', points: grid.map((p) => [p.r, p.gPos] as [number, number]) },
            { name: 'A = −1', points: grid.map((p) => [p.r, p.gNeg] as [number, number]) },
          ],
        }),
      },
      {
        name: 'ppo-run',
        caption:
          'The short PPO run: clip fraction and approximate KL at each update (4 epochs per iteration), and the mean reward per iteration.',
        svg: await lineChartSvg({
          title: 'short PPO run',
          xLabel: 'update (iteration × 4 + epoch)',
          yLabel: 'value',
          points: true,
          series: [
            {
              name: 'clip fraction',
              points: stats.flatMap((s) =>
                s.clipFrac.map((c, e) => [s.iteration * runOpts.epochs + e, c] as [number, number]),
              ),
            },
            {
              name: 'approx KL (old‖new)',
              points: stats.flatMap((s) =>
                s.approxKl.map((c, e) => [s.iteration * runOpts.epochs + e, c] as [number, number]),
              ),
            },
            {
              name: 'reward (vowel share)',
              points: stats.map((s) => [s.iteration * runOpts.epochs, s.reward] as [number, number]),
            },
          ],
        }),
      },
    ];
    return {
      findings,
      measured: [
        `grid: r from 0.40 to 1.60 in steps of 0.01, A = ±1, ε = ${EPS}; clippedPolicyLoss (src/align/shared/ppo-loss.ts) with logp = log r, old logp = 0; gradients by autograd (dL/dr = dL/dlogp / r)`,
        'the notes print the ratio garbled ("π_θold(a|s) π_θ(a|s)"): the library computes r = exp(logπ_θ − logπ_θold) = π_θ / π_θold',
        `PPO run: actor, frozen reference and critic (zero value head) copied from the shared character GPT; ${runOpts.iterations} iterations × ${runOpts.batch} prompts of ${runOpts.promptLen} characters, ${runOpts.responseLen}-character answers sampled with generate(); reward = share of vowels (a stand-in for a reward model); per-token KL penalty β = ${runOpts.beta}; GAE γ = 1, λ = 0.95; ${runOpts.epochs} epochs per iteration, AdamW lr ${runOpts.lr}`,
        'the actor never sees the reward function: its loss takes only log-probabilities and the advantages (clippedPolicyLoss(logp, oldLogp, advantages, mask))',
        ...stats
          .filter((s) => s.iteration < 3 || s.iteration === stats.length - 1)
          .map(
            (s) =>
              `iteration ${s.iteration}: reward ${fmt(s.reward)}, KL to reference ${fmt(s.klToReference)}, clip fraction per epoch ${s.clipFrac.map((c) => pct(c, 1)).join(' / ')}, approx KL ${s.approxKl.map((k) => fmt(k)).join(' / ')}, max |r − 1| ${s.ratioMaxDev.map((k) => fmt(k)).join(' / ')}`,
          ),
      ],
      numbers: {
        eps: EPS,
        grid: grid.filter((_, i) => i % 5 === 0).map((p) => ({ ...p })),
        posFlat,
        posMoves,
        minOk,
        negFlatBelow,
        negActiveAbove,
        run: stats.map((s) => ({ ...s })),
        firstEpochClip,
        laterClip,
        maxKl,
        maxRatioDev: maxDev,
        rewardRise: rises,
      },
      plots,
    };
  },
};
