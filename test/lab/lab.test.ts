/**
 * Runs every lab experiment in --quick mode (one shared context, so the character GPT and BERT
 * train once) and checks each verdict against the measurements it reports: the thresholds are
 * restated here, independent checks recompute what can be recomputed cheaply (the rotation
 * speeds of RoPE, the clipped objective, the collapse of a linear network), and the files and
 * the HTML report are checked. The browser check runs only where chromium is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, noGrad, randn } from '../../src/engine/index.ts';
import { LabContext } from '../../src/lab/context.ts';
import { DeepMLP } from '../../src/lab/experiments/5-activations.ts';
import { EXPERIMENTS } from '../../src/lab/registry.ts';
import { readResult, runExperiment, selectExperiments, writeReport } from '../../src/lab/runner.ts';
import type { ExperimentResult, Verdict } from '../../src/lab/types.ts';
import { VERDICTS } from '../../src/lab/types.ts';
import { overallVerdict } from '../../src/lab/verdict.ts';
import { ArgumentError } from '../../src/core/errors.ts';
import { readPng } from './png.ts';
import { systemProgram } from '../helpers/requirements.ts';

const out = mkdtempSync(join(tmpdir(), 'llmts-lab-'));
const ctx = new LabContext({ outDir: out, quick: true, seed: 7, log: () => {} });
const results = new Map<string, ExperimentResult>();

async function run(name: string): Promise<ExperimentResult> {
  const e = EXPERIMENTS.find((x) => x.name === name);
  assert.ok(e, `experiment ${name} is registered`);
  const r = await runExperiment(e, ctx);
  results.set(name, r);
  // the files it wrote, and the verdicts' shape
  const onDisk = readResult(join(out, name, 'result.json'));
  assert.equal(onDisk.verdict, r.verdict);
  for (const p of r.plots)
    assert.ok(readFileSync(join(out, name, p.file), 'utf8').startsWith('<svg'), `${name}/${p.file} is an SVG`);
  assert.ok(r.findings.length > 0);
  for (const f of r.findings) assert.ok(VERDICTS.includes(f.verdict));
  assert.equal(r.verdict, overallVerdict(r.findings));
  assert.ok(
    r.claims.every((c) => c.section === r.section && /[\u4e00-\u9fff]/.test(c.quote)),
    'each claim quotes the Chinese notes of its section',
  );
  return r;
}

// result numbers are plain JSON; the tests read them loosely
type N = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const nums = (r: ExperimentResult): N => r.numbers as N;
const verdicts = (r: ExperimentResult): Verdict[] => r.findings.map((f) => f.verdict);
const ok = (cond: boolean, caveat = false): Verdict =>
  !cond ? 'does not hold' : caveat ? 'holds with a caveat' : 'holds';

// the statistics rule restated independently of src/lab/stats.ts: the 95% interval of the mean
// (mean ± t·SE, t the 97.5% quantile of Student's t with n − 1 degrees of freedom)
const T975: Record<number, number> = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365 };
function ci(values: readonly number[]): [number, number] {
  const n = values.length;
  const m = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
  const half = T975[n - 1]! * (sd / Math.sqrt(n));
  return [m - half, m + half];
}
const diff = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x - b[i]!);
/** "the values are larger than 0" (optionally: inside ±margin is no difference). */
function greater(values: readonly number[], margin = 0): Verdict {
  const [lo, hi] = ci(values);
  if (margin > 0 && lo > -margin && hi < margin) return 'does not hold';
  if (lo > 0) return 'holds';
  if (hi < 0) return 'does not hold';
  return 'not resolved at this size';
}
/** "no gain larger than margin": the values are (candidate − baseline) losses. */
function noBetter(values: readonly number[], margin: number): Verdict {
  const [lo, hi] = ci(values);
  if (lo > -margin) return 'holds';
  if (hi < -margin) return 'does not hold';
  return 'not resolved at this size';
}
const kinds = (r: ExperimentResult): string[] => r.findings.map((f) => f.kind ?? 'evidence');

test('selectExperiments: all, sections, names; unknown names are a typed error', () => {
  assert.equal(selectExperiments(['all']).length, EXPERIMENTS.length);
  assert.deepEqual(
    selectExperiments(['9']).map((e) => e.name),
    ['9-sinusoidal', '9-add-position', '9-rope'],
  );
  assert.deepEqual(
    selectExperiments(['5-activations', '5']).map((e) => e.name),
    ['5-activations'],
  );
  assert.deepEqual(
    selectExperiments(['10', '1-gpt-vs-bert']).map((e) => e.name),
    ['1-gpt-vs-bert', '10-padding'],
    'section order',
  );
  assert.throws(() => selectExperiments(['nope']), ArgumentError);
  assert.throws(() => selectExperiments([]), ArgumentError);
  const sections = new Set(EXPERIMENTS.map((e) => e.section));
  for (let s = 1; s <= 11; s++) assert.ok(sections.has(s), `section ${s} has an experiment`);
});

test('§1 GPT is causal, BERT bidirectional, MLM masks 15% as 80/10/10', async () => {
  const r = await run('1-gpt-vs-bert');
  const n = nums(r);
  const causal = n.gptInfluence.every((x: N) => x.before === 0 && x.after > 1e-3);
  const bidir = n.bertInfluence.every((x: N) => x.before > 1e-3);
  assert.ok(causal && bidir, 'the trained models behave as their attention masks say');
  const m = n.masking;
  const within = (x: number, p: number, count: number): boolean =>
    Math.abs(x - p) <= 4 * Math.sqrt((p * (1 - p)) / count);
  const selected = Math.round(m.selected * m.tokens);
  const V = m.vocabSize as number;
  const masking =
    within(m.selected, 0.15, m.tokens) &&
    within(m.mask, 0.8, selected) &&
    within(m.random, 0.1 - 0.1 / V, selected) &&
    within(m.unchanged, 0.1 + 0.1 / V, selected);
  assert.deepEqual(verdicts(r).slice(0, 3), [ok(causal), ok(bidir), ok(masking)]);
  assert.deepEqual(kinds(r).slice(0, 2), ['sanity', 'sanity'], 'what the masks guarantee is not evidence');
  assert.equal(n.gptValLoss.length, ctx.seeds.length);
  assert.equal(n.bertValLoss.length, ctx.seeds.length);
  const gain = (losses: number[]): number[] => losses.map((l) => n.unigramEntropy - l);
  assert.equal(verdicts(r)[3], greater(gain(n.gptValLoss)));
  assert.equal(verdicts(r)[4], greater(gain(n.bertValLoss)));
});

test('§2 attention rank: causal matrices are triangular with a positive diagonal', async () => {
  const r = await run('2-attention-rank');
  const s = nums(r).stats as N[];
  const causal = s.filter((x) => x.causal);
  assert.ok(
    causal.every((x) => x.maxUpper === 0 && x.minDiag > 0),
    'zero above the diagonal, positive on it: det > 0',
  );
  assert.equal(verdicts(r)[0], ok(true, !causal.every((x) => x.fullRankFraction === 1)));
  assert.equal(kinds(r)[0], 'sanity', 'triangular with a positive diagonal holds by construction');
  // the comparisons: recomputed from the per-draw / per-seed values the findings carry
  for (const i of [1, 2, 3]) {
    const [larger, smaller] = r.findings[i]!.seeds!;
    assert.equal(verdicts(r)[i], greater(diff(larger!.values, smaller!.values)), r.findings[i]!.statement);
  }
  const perSeed = nums(r).trainedPerSeed as N[];
  assert.equal(perSeed.length, ctx.seeds.length);
  assert.deepEqual(
    r.findings[3]!.seeds![0]!.values,
    perSeed.map((x) => x.gpt.meanEffectiveRank),
  );
  assert.deepEqual(
    r.findings[3]!.seeds![1]!.values,
    perSeed.map((x) => x.bert.meanEffectiveRank),
  );
});

test('§2 architectures: verdicts follow the losses over seeds', async () => {
  const r = await run('2-architectures');
  const n = nums(r);
  assert.equal(n.runs.length, ctx.seeds.length, 'one set of runs per seed');
  const per = (k: string, field: string): number[] => (n.runs as N[][]).map((rs) => rs.find((x) => x.key === k)[field]);
  for (const x of (n.runs as N[][]).flat())
    assert.ok(Number.isFinite(x.valLoss) && x.valLoss < Math.log(70), `${x.key} learned something`);
  const p = (k: string): number => per(k, 'params')[0]!;
  assert.ok(
    p('encdec-1x') > p('dec-1x') * 0.9 && p('encdec-1x') < p('dec-1x') * 1.3,
    'equal-size models are within 30% in parameters',
  );
  assert.ok(p('encdec-2x') > 1.8 * p('dec-1x'), 'the 2x encoder-decoder has about twice the parameters');
  const h = n.unigramEntropy as number;
  const learned = (k: string): boolean => {
    const gain = per(k, 'bestVal').map((x) => h - x);
    return greater(gain) === 'holds' && Math.min(...gain) > 0.1;
  };
  const tooWeak = !['dec-1x', 'encdec-1x', 'dec-2x', 'encdec-2x'].every(learned);
  const unresolved = (v: Verdict): Verdict => (tooWeak ? 'not resolved at this size' : v);
  const dec1 = per('dec-1x', 'bestVal');
  const margin = n.margin * (dec1.reduce((a, b) => a + b, 0) / dec1.length);
  assert.equal(verdicts(r)[0], unresolved(noBetter(diff(per('encdec-1x', 'bestVal'), dec1), margin)));
  assert.equal(
    verdicts(r)[1],
    unresolved(noBetter(diff(per('encdec-2x', 'bestVal'), per('dec-2x', 'bestVal')), margin)),
  );
  assert.equal(verdicts(r)[2], unresolved(greater(diff(per('encdec-1x', 'gap'), per('dec-1x', 'gap')))));
  assert.equal(verdicts(r)[3], unresolved(greater(diff(per('encdec-2x', 'gap'), per('dec-2x', 'gap')))));
  assert.equal(verdicts(r)[4], greater(diff(per('enc-1x', 'bestVal'), dec1)));
});

test('§3 PPO clip: the objective and its gradient on the grid, a short run', async () => {
  const r = await run('3-ppo-clip');
  const n = nums(r);
  const eps = n.eps as number;
  for (const p of n.grid as N[]) {
    const clip = Math.min(Math.max(p.r, 1 - eps), 1 + eps);
    assert.ok(Math.abs(p.lPos - Math.min(p.r, clip)) < 1e-5, `L(A=+1, r=${p.r})`);
    assert.ok(Math.abs(p.lNeg - Math.min(-p.r, -clip)) < 1e-5, `L(A=-1, r=${p.r})`);
    if (p.r > 1 + eps + 1e-9) {
      assert.ok(Math.abs(p.gPos) < 1e-6, 'flat above 1+eps for A > 0');
      assert.ok(Math.abs(p.gNeg + 1) < 1e-4, 'unclipped for A < 0 above 1+eps');
    }
    if (p.r < 1 - eps - 1e-9) assert.ok(Math.abs(p.gNeg) < 1e-6, 'flat below 1-eps for A < 0');
  }
  assert.deepEqual(verdicts(r).slice(0, 3), ['holds', 'holds', 'holds with a caveat']);
  assert.equal(n.firstEpochClip, 0, 'the first epoch sees ratio 1 exactly');
  assert.equal(verdicts(r)[3], ok(n.laterClip > 0));
  assert.equal(kinds(r)[4], 'sanity', 'ratio 1 in the first epoch holds by construction');
  assert.equal(n.maxRatioDev, Math.max(...(n.run as N[]).flatMap((s) => s.ratioMaxDev)));
  assert.equal(verdicts(r)[5], ok(n.maxRatioDev <= 2 * eps, n.maxKl > 0.05));
  // the reward's rise over seeds; the base seed's rise recomputed from its iterations
  assert.equal(n.rewardRise.length, ctx.seeds.length);
  const k = Math.max(1, Math.floor(n.run.length / 4));
  const last = (n.run as N[]).slice(-k).reduce((a, s) => a + s.reward, 0) / k;
  assert.ok(Math.abs(n.rewardRise[0] - (last - n.run[0].reward)) < 1e-12);
  assert.equal(verdicts(r)[6], greater(n.rewardRise));
});

test('§4 tokenizers: byte fallback never emits unknown tokens; verdicts follow the rates', async () => {
  const r = await run('4-tokenizers');
  const s = nums(r).scores as N[];
  const get = (lang: string, name: string): N => s.find((x) => x.language === lang && x.tokenizer.startsWith(name));
  for (const lang of ['English', 'Chinese']) {
    assert.equal(get(lang, 'SentencePiece Unigram + byte').unkRate, 0);
    assert.equal(get(lang, 'SentencePiece BPE + byte').unkRate, 0);
    assert.equal(get(lang, 'byte-level').unkRate, 0);
    assert.equal(get(lang, 'byte-level').roundTrip, 1, 'byte-level BPE is lossless');
  }
  assert.ok(nums(r).unseenChineseChars > 0, 'the Chinese test text has unseen characters');
  assert.equal(verdicts(r)[0], ok(get('Chinese', 'SentencePiece Unigram').unkRate === 0));
  assert.equal(kinds(r)[1], 'sanity', 'byte fallback has no unknowns by construction');
  assert.equal(verdicts(r)[1], 'holds');
  const wpZh = get('Chinese', 'WordPiece');
  const bpeZh = get('Chinese', 'BPE (whitespace');
  assert.equal(
    verdicts(r)[2],
    ok(
      get('English', 'WordPiece').unkRate < 0.005 && get('English', 'BPE (whitespace').unkRate < 0.005,
      wpZh.unkRate > 0 || bpeZh.unkRate > 0,
    ),
  );
  const sp = get('Chinese', 'SentencePiece Unigram + byte');
  assert.equal(
    verdicts(r)[3],
    ok(
      sp.unkCharShare < Math.min(wpZh.unkCharShare, bpeZh.unkCharShare) &&
        sp.roundTrip >= Math.max(wpZh.roundTrip, bpeZh.roundTrip),
    ),
  );
  const byteZh = get('Chinese', 'byte-level');
  assert.equal(verdicts(r)[4], ok(sp.tokensPerChar < byteZh.tokensPerChar && sp.roundTrip >= byteZh.roundTrip));
  const spEn = get('English', 'SentencePiece Unigram + byte').tokensPerChar;
  const compact = [get('English', 'BPE (whitespace'), get('English', 'WordPiece')].map(
    (x) => x.tokensPerChar <= 1.15 * spEn,
  );
  assert.equal(
    verdicts(r)[5],
    compact.every(Boolean) ? 'holds' : compact.some(Boolean) ? 'holds with a caveat' : 'does not hold',
  );
});

test('§5 a deep linear network is the product of its weights', async () => {
  // independent of the experiment: a random identity-activation MLP equals its collapsed map
  const mlp = new DeepMLP([3, 8, 8, 2], 'none', 11);
  const x = randn([5, 3], { generator: new Generator(3) });
  const y = noGrad(() => mlp.forward(x)).toTypedArray();
  const { w, b } = mlp.collapsed();
  const xs = x.toTypedArray();
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < 2; j++) {
      let v = b[j]!;
      for (let k = 0; k < 3; k++) v += xs[i * 3 + k]! * w[j * 3 + k]!;
      assert.ok(Math.abs(v - y[i * 2 + j]!) < 1e-5);
    }
  }
  const r = await run('5-activations');
  const n = nums(r);
  assert.ok(n.collapseWorst < 1e-4 && n.reluCollapse > 1e-2);
  assert.equal(verdicts(r)[0], 'holds');
  const acc = (task: string, act: string): number => n.results[task].find((x: N) => x.act === act).testAcc;
  const gap = (task: string): number =>
    Math.max(acc(task, 'relu'), acc(task, 'gelu'), acc(task, 'tanh')) - acc(task, 'none');
  const vsSingle = Math.max(...['xor', 'spirals'].map((t) => Math.abs(acc(t, 'none') - acc(t, 'single linear layer'))));
  assert.equal(verdicts(r)[1], ok(gap('xor') > 0.2 && gap('spirals') > 0.2 && vsSingle < 0.05));
  assert.ok(acc('xor', 'none') <= 0.8, 'a linear map cannot solve XOR');
});

test('§6 multi-head vs one head: equal parameters; verdicts follow the numbers', async () => {
  const r = await run('6-multi-head');
  const n = nums(r);
  assert.equal(n.paramsMulti, n.paramsSingle);
  assert.equal(n.lossMulti.length, ctx.seeds.length);
  assert.equal(n.lossMulti[0], n.valLossMulti);
  assert.equal(verdicts(r)[0], greater(diff(n.lossSingle, n.lossMulti)));
  const spread = (n.spreads as N[]).some((s) => s.ratio >= 2) || (n.previousSpread as number[]).some((x) => x >= 0.2);
  assert.equal(verdicts(r)[1], ok(spread));
});

test('§7 data pipeline: seeded defects are caught, tokens are packed exactly', async () => {
  const r = await run('7-data-pipeline');
  const n = nums(r);
  const score = (k: string): N => (n.scores as N[]).find((s) => s.kind === k);
  for (const k of ['foreign-script', 'exact-duplicate', 'near-duplicate', 'lorem-ipsum', 'repetition', 'pii', 'html']) {
    assert.equal(score(k).handled, score(k).total, `${k} handled`);
  }
  assert.equal(n.tokens.train + n.tokens.val, n.expectedTokens);
  assert.equal(verdicts(r)[3], 'holds');
  assert.equal(verdicts(r)[2], ok(n.falsePositive <= 0.1, n.falsePositive > 0.02));
});

test('§8 decoding: beam vs greedy where they differ, repetition over seeds, top-k/top-p mechanics', async () => {
  const r = await run('8-decoding');
  const n = nums(r);
  const seeds = n.seeds as N[];
  assert.equal(seeds.length, ctx.seeds.length);
  const rep = (name: string): number[] => seeds.map((s) => s.strategies.find((x: N) => x.name === name).repChars);
  // beam vs greedy: per seed the mean over the prompts where they differ (ties are left out)
  const gains = seeds
    .filter((s) => s.differing > 0)
    .map((s) => (s.beamMinusGreedy as number[]).reduce((a, b) => a + b, 0) / s.differing);
  assert.equal(verdicts(r)[0], gains.length < 2 ? 'not resolved at this size' : greater(gains));
  assert.equal(verdicts(r)[1], greater(diff(rep('beam 4'), rep('top-p 0.9'))));
  assert.equal(verdicts(r)[2], greater(diff(rep('beam 4'), rep('top-k 10'))));
  // the mechanics, restated: the kept sets of the known distribution by hand
  const kept = Object.fromEntries((n.mechanics as N[]).map((c) => [c.name, c.keptActual.join(',')]));
  // KNOWN = [0.1, 0.4, 0.04, 0.15, 0.25, 0.06]: ids by probability 1, 4, 3, 0, 5, 2
  assert.deepEqual(kept, {
    'top-k 1': '1',
    'top-k 2': '1,4',
    'top-k 3': '1,3,4',
    'top-k 5': '0,1,3,4,5',
    'top-p 0.3': '1',
    'top-p 0.6': '1,4',
    'top-p 0.75': '1,3,4',
    'top-p 0.85': '0,1,3,4',
    'top-p 0.95': '0,1,3,4,5',
  });
  for (const c of n.mechanics as N[]) {
    assert.ok(c.maxProbError < 1e-6 && c.removedDraws === 0 && c.maxZ < 4.5, c.name);
  }
  assert.deepEqual(verdicts(r).slice(3, 5), ['holds', 'holds']);
  assert.deepEqual(kinds(r).slice(5), ['sanity', 'sanity'], 'determinism and seeding hold by construction');
  assert.ok(seeds.every((s) => s.beamDeterministic && s.samplingSeeded));
});

test('§9 sinusoidal encodings: PE(pos+k) is a rotation of PE(pos)', async () => {
  const r = await run('9-sinusoidal');
  const n = nums(r);
  assert.ok(n.worst64 < 1e-9 && n.worstOrth < 1e-12 && n.dotSpread < 1e-9);
  assert.deepEqual(verdicts(r), ['holds', 'holds', 'holds']);
  assert.deepEqual(
    kinds(r),
    ['evidence', 'sanity', 'evidence'],
    'a rotation built from rotation blocks is not evidence',
  );
});

test('§9 adding positions: verdicts follow the cosines and read-out accuracies', async () => {
  const r = await run('9-add-position');
  const rows = nums(r).byDim as N[];
  for (let i = 1; i < rows.length; i++)
    assert.ok(rows[i].meanAbsCos < rows[i - 1].meanAbsCos, '|cos| shrinks with the width');
  const widest = rows[rows.length - 1];
  assert.equal(verdicts(r)[0], ok(widest.meanAbsCos < 1.5 * widest.expectedCos));
  const g = nums(r).gpt;
  assert.equal(
    verdicts(r)[2],
    ok(g.probePosition > 0.9 && g.probeToken > 0.9, g.positionAcc < 0.9 || g.tokenAcc < 0.9),
  );
});

test('§9 RoPE: invariant to 1e-5 under a common shift; the first pairs turn fastest', async () => {
  const r = await run('9-rope');
  const n = nums(r);
  assert.ok(n.worstInvariance < 1e-5);
  assert.ok(n.ropeShiftDiff < 1e-4 && n.learnedShiftDiff > 1e-2);
  const speeds = n.speeds as number[];
  assert.equal(speeds.length, 64);
  speeds.forEach((s, i) =>
    assert.ok(
      Math.abs(s - 10000 ** ((-2 * i) / 128)) <= 1e-5 * 10000 ** ((-2 * i) / 128),
      `pair ${i} turns at theta_i`,
    ),
  );
  assert.ok(speeds[0]! > speeds[63]!, 'pair 0 is the fastest');
  assert.deepEqual(verdicts(r), ['holds', 'holds', 'holds', 'does not hold']);
});

test('§10 padding: padded batches equal each sequence alone (with the mask and per-token norms)', async () => {
  const r = await run('10-padding');
  const g = nums(r).gaps;
  for (const k of ['gptRight', 'gptLeft', 'ropeLeft', 'bertRight', 'batchNormEval'])
    assert.ok(g[k] < 1e-4, `${k} ${g[k]}`);
  assert.ok(g.bertNoMask > 1e-2 && g.gptLeftNoMask > 1e-2);
  assert.deepEqual(verdicts(r).slice(0, 2), ['holds', 'holds']);
  assert.equal(verdicts(r)[2], ok(g.batchNormTrain <= 1e-4));
});

test('§11 normalization: verdicts follow the LayerNorm / BatchNorm losses over seeds', async () => {
  const r = await run('11-normalization');
  const { gaps, margin, runs } = nums(r);
  assert.equal(runs.length, ctx.seeds.length);
  for (const x of (runs as N[][]).flat()) assert.ok(Number.isFinite(x.evalLoss));
  // the gaps recomputed from the losses of each seed
  const gapOf = (rs: N[], regime: string): number =>
    rs.find((x) => x.regime === regime && x.norm === 'batchnorm').evalLoss /
      rs.find((x) => x.regime === regime && x.norm === 'layernorm').evalLoss -
    1;
  assert.deepEqual(
    gaps.batch1,
    (runs as N[][]).map((rs) => gapOf(rs, 'batch 1')),
  );
  // a regime where a model did not learn 0.1 nats below the unigram entropy resolves nothing
  const learned = (regime: string): boolean =>
    (runs as N[][]).every((rs) =>
      rs.filter((x) => x.regime === regime).every((x) => x.evalLoss < nums(r).unigramEntropy - 0.1),
    );
  const unless = (v: Verdict, ...regimes: string[]): Verdict =>
    regimes.every(learned) ? v : 'not resolved at this size';
  assert.equal(verdicts(r)[0], unless(greater(gaps.batch1, margin), 'batch 1'));
  assert.equal(verdicts(r)[1], unless(greater(gaps.mixed, margin), 'mixed lengths'));
  assert.equal(verdicts(r)[2], unless(greater(diff(gaps.batch1, gaps.control)), 'batch 1', 'batch 16 (control)'));
  assert.equal(verdicts(r)[3], unless(greater(diff(gaps.mixed, gaps.control)), 'mixed lengths', 'batch 16 (control)'));
});

test('experiments are deterministic with their seed (same numbers on a second run)', async () => {
  for (const name of ['3-ppo-clip', '5-activations', '9-rope']) {
    const first = results.get(name) ?? (await run(name));
    const e = EXPERIMENTS.find((x) => x.name === name)!;
    const again = await e.run(ctx);
    assert.deepEqual(again.numbers, first.numbers, `${name} repeats exactly`);
  }
});

test('report.html holds every experiment with inline plots; it renders in chromium when installed', (t) => {
  const path = writeReport(out, 'llmts lab run all --quick');
  const html = readFileSync(path, 'utf8');
  for (const name of results.keys()) assert.ok(html.includes(`id="${name}"`), `report section ${name}`);
  assert.ok((html.match(/<svg/g) ?? []).length >= results.size, 'plots are inline SVG');
  assert.ok(!/<script|src="http/.test(html), 'self-contained: no scripts, no remote resources');
  const chromium = systemProgram('chromium'); // fails where LLMTS_REQUIRE_SYSTEM=1 (CI) and it is absent
  if (chromium.skip) {
    t.skip(chromium.skip);
    return;
  }
  const png = join(out, 'report.png');
  const res = spawnSync(
    'sh',
    [join(import.meta.dirname, '..', '..', 'scripts', 'render-lab-report.sh'), path, png, '1000', '2400'],
    { encoding: 'utf8' },
  );
  assert.equal(res.status, 0, res.stderr);
  assert.ok(existsSync(png) && statSync(png).size > 10_000);
  const img = readPng(readFileSync(png));
  assert.equal(img.width, 1000);
  // non-blank: plenty of non-white pixels, and some coloured ones (badges, plot lines)
  let dark = 0;
  let coloured = 0;
  const c = img.channels;
  for (let i = 0; i < img.width * img.height; i++) {
    const rr = img.pixels[i * c]!;
    const gg = img.pixels[i * c + 1]!;
    const bb = img.pixels[i * c + 2]!;
    if (rr + gg + bb < 600) dark++;
    if (Math.max(rr, gg, bb) - Math.min(rr, gg, bb) > 60) coloured++;
  }
  assert.ok(dark / (img.width * img.height) > 0.01, 'text and plots drawn');
  assert.ok(coloured > 500, 'coloured marks (verdict badges, plot lines)');
});

test.after(() => {
  if (process.env['LLMTS_KEEP_LAB'] === undefined) rmSync(out, { recursive: true, force: true });
});
