/**
 * Section 2, the low-rank argument: a causal attention matrix is lower-triangular with a
 * positive diagonal, so it is full rank; a bidirectional one is said to tend to low rank.
 * Spectra of (a) random softmax(QKᵀ/√d) matrices built with the engine, causal and not, and
 * (b) the attention the shared trained GPT and BERT put on the same validation text.
 */
import { getDefaultBackend } from '../../backends/select.ts';
import { add, Generator, matmul, noGrad, randn, softmax, tensor } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { triangularMask } from '../../nn/masks.ts';
import { barChartSvg, lineChartSvg } from '../../core/plot.ts';
import { matrices, spectrum } from '../attention-stats.ts';
import type { Spectrum } from '../attention-stats.ts';
import { charBert, charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, verdictOf } from '../verdict.ts';
import { greaterFinding, seedBar } from '../compare.ts';

interface Group {
  name: string;
  causal: boolean;
  n: number;
  spectra: Spectrum[];
  /** Structure checks (causal groups): largest entry above the diagonal, smallest diagonal entry. */
  maxUpper: number;
  minDiag: number;
}

function summarize(name: string, causal: boolean, n: number, mats: Float64Array[], eps: number): Group {
  let maxUpper = 0;
  let minDiag = Infinity;
  for (const m of mats) {
    for (let i = 0; i < n; i++) {
      minDiag = Math.min(minDiag, m[i * n + i]!);
      for (let j = i + 1; j < n; j++) maxUpper = Math.max(maxUpper, m[i * n + j]!);
    }
  }
  return { name, causal, n, spectra: mats.map((m) => spectrum(m, n, eps)), maxUpper, minDiag };
}

/**
 * softmax(QKᵀ/√d · sharpness) for count random (Q, K) ~ N(0, 1) [T, d], float64, with and without
 * the causal mask on the same scores: the two kinds are paired draw by draw.
 */
function randomAttention(
  g: Generator,
  count: number,
  T: number,
  d: number,
  sharpness: number,
): { causal: Float64Array[]; bidirectional: Float64Array[] } {
  return noGrad(() => {
    const q = randn([count, 1, T, d], { generator: g, dtype: 'float64' });
    const k = randn([count, 1, T, d], { generator: g, dtype: 'float64' });
    const scores = matmul(q, k.transpose(-2, -1)).mul(sharpness / Math.sqrt(d));
    const masked = add(scores, triangularMask(T, T, 'float64', getDefaultBackend()));
    return {
      causal: matrices(softmax(masked, -1)).map((m) => m.data),
      bidirectional: matrices(softmax(scores, -1)).map((m) => m.data),
    };
  });
}

function captured(layers: readonly { attn: { lastAttention: Tensor | null } }[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const l of layers) {
    if (l.attn.lastAttention === null) throw new Error('attention was not captured');
    for (const m of matrices(l.attn.lastAttention)) out.push(m.data);
  }
  return out;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

type S = ReturnType<typeof statsOf>;

/** Legend-sized names (plot legends truncate long labels). */
const short = (name: string): string =>
  name
    .replace('random bidirectional', 'rand. bidir.')
    .replace('random causal', 'rand. causal')
    .replace('trained GPT (causal)', 'GPT (causal)')
    .replace('trained BERT (bidirectional)', 'BERT (bidir.)')
    .replace(' (×1)', '');

function statsOf(gr: Group) {
  const T = gr.n;
  return {
    name: gr.name,
    causal: gr.causal,
    matrices: gr.spectra.length,
    fullRankFraction: gr.spectra.filter((s) => s.numericalRank === T).length / gr.spectra.length,
    meanNumericalRank: mean(gr.spectra.map((s) => s.numericalRank)),
    minNumericalRank: Math.min(...gr.spectra.map((s) => s.numericalRank)),
    meanEffectiveRank: mean(gr.spectra.map((s) => s.effectiveRank)),
    meanInverseCondition: mean(gr.spectra.map((s) => s.inverseCondition)),
    maxUpper: gr.maxUpper,
    minDiag: gr.minDiag,
  };
}

export const attentionRank: Experiment = {
  name: '2-attention-rank',
  section: 2,
  title: 'Attention rank: causal (full rank) vs bidirectional (low rank?)',
  claims: [
    {
      section: 2,
      quote: 'Encoder的双向注意力会存在低秩问题',
      english:
        'The bidirectional attention of an encoder suffers from a low-rank problem (a causal attention matrix is lower-triangular with a positive diagonal, hence full rank).',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const gpt = await charGpt(ctx, 4);
    const T = gpt.model.config.blockSize;
    const g = new Generator(ctx.seed);
    const count = ctx.quick ? 8 : 32;
    const d = 16;
    const groups: Group[] = [];
    for (const sharp of [1, 4]) {
      const m = randomAttention(g, count, T, d, sharp);
      groups.push(summarize(`random causal (×${sharp})`, true, T, m.causal, 2 ** -52));
      groups.push(summarize(`random bidirectional (×${sharp})`, false, T, m.bidirectional, 2 ** -52));
    }
    // the trained models on the same validation text: GPT reads T characters, BERT [CLS] + T-2 + [SEP]
    const windows = ctx.quick ? 2 : 4;
    const text = gpt.corpus.valText;
    const v = gpt.corpus.vocab;
    const gptIds = new Int32Array(windows * T);
    const bertIds = new Int32Array(windows * T);
    for (let w = 0; w < windows; w++) {
      const chunk = v.encode(text.slice(5000 * w, 5000 * w + T));
      gptIds.set(chunk, w * T);
      bertIds.set([v.special('[CLS]'), ...chunk.subarray(0, T - 2), v.special('[SEP]')], w * T);
    }
    const trainedGroups = async (seed: number): Promise<[Group, Group]> => {
      const gm = (await charGpt(ctx, 4, seed)).model;
      const bm = (await charBert(ctx, seed)).model;
      noGrad(() => gm.forward(tensor(gptIds, { shape: [windows, T] }), { captureAttention: true, logits: 'none' }));
      noGrad(() => bm.forward(tensor(bertIds, { shape: [windows, T] }), { captureAttention: true }));
      return [
        summarize('trained GPT (causal)', true, T, captured(gm.transformer.h), 2 ** -23),
        summarize('trained BERT (bidirectional)', false, T, captured(bm.layer), 2 ** -23),
      ];
    };
    const perSeed: [Group, Group][] = [];
    for (const seed of ctx.seeds) perSeed.push(await trainedGroups(seed));
    groups.push(...perSeed[0]!);
    const seedRanks = perSeed.map(([gg, bg]) => ({ gpt: statsOf(gg), bert: statsOf(bg) }));

    const stats = groups.map(statsOf);
    const causal = stats.filter((s) => s.causal);
    const structureOk = groups.filter((gr) => gr.causal).every((gr) => gr.maxUpper === 0 && gr.minDiag > 0);
    const causalFull = causal.every((s) => s.fullRankFraction === 1);
    const [rc1, rb1, rc4, rb4] = stats as [S, S, S, S];
    const rankLine = (x: S): string =>
      `${x.name}: effective rank ${fmt(x.meanEffectiveRank, 1)}, numerical rank ${fmt(x.meanNumericalRank, 1)}/${T}`;
    const eff = (gr: Group): number[] => gr.spectra.map((sp) => sp.effectiveRank);
    const randomGroup = (name: string): Group => groups.find((gr) => gr.name === name)!;
    const findings: Finding[] = [
      {
        statement: 'a causal attention matrix is lower-triangular with a positive diagonal, hence full rank',
        kind: 'sanity',
        verdict: verdictOf(structureOk, !causalFull),
        evidence: `${causal.map((c) => `${c.name}: ${c.matrices} matrices, above-diagonal max ${fmt(c.maxUpper)}, smallest diagonal entry ${fmt(c.minDiag)} (so det = product of the diagonal > 0), numerical rank mean ${fmt(c.meanNumericalRank, 1)}, min ${c.minNumericalRank} of ${T} (full in ${(100 * c.fullRankFraction).toFixed(0)}%), σ_min/σ_max ${fmt(c.meanInverseCondition)}`).join('; ')}${causalFull ? '' : '. Caveat: exactly full rank (the mask and the softmax guarantee it), but so ill-conditioned that at floating-point precision some are rank-deficient'}`,
      },
      ...[1, 4].map((sharp) =>
        greaterFinding({
          statement: `random softmax(QKᵀ/√d) matrices (score scale ×${sharp}): the bidirectional ones have lower effective rank than the causal ones`,
          larger: { name: `causal effective rank (×${sharp})`, values: eff(randomGroup(`random causal (×${sharp})`)) },
          smaller: {
            name: `bidirectional effective rank (×${sharp})`,
            values: eff(randomGroup(`random bidirectional (×${sharp})`)),
          },
          format: (x) => fmt(x, 2),
          units: 'random draws',
          note: `the replication unit here is the random draw (${count} score matrices, each with and without the causal mask), not the training seed; ${rankLine(sharp === 1 ? rb1 : rb4)}; ${rankLine(sharp === 1 ? rc1 : rc4)}`,
        }),
      ),
      greaterFinding({
        statement:
          "trained models: BERT's bidirectional attention has lower effective rank than GPT's causal attention on the same text",
        larger: { name: 'GPT effective rank', values: seedRanks.map((r) => r.gpt.meanEffectiveRank) },
        smaller: { name: 'BERT effective rank', values: seedRanks.map((r) => r.bert.meanEffectiveRank) },
        format: (x) => fmt(x, 2),
        note: `mean over every layer and head of each seed's models; numerical rank GPT ${seedRanks.map((r) => fmt(r.gpt.meanNumericalRank, 1)).join(', ')} vs BERT ${seedRanks.map((r) => fmt(r.bert.meanNumericalRank, 1)).join(', ')} of ${T}`,
      }),
    ];
    const spectrumSeries = groups
      .filter((gr) => !gr.name.includes('×4'))
      .map((gr) => {
        const n = gr.n;
        const avg = new Float64Array(n);
        for (const s of gr.spectra) for (let i = 0; i < n; i++) avg[i]! += s.sv[i]! / s.sv[0]! / gr.spectra.length;
        return {
          name: short(gr.name),
          points: Array.from(avg, (y, i) => [i + 1, Math.max(y, 1e-12)] as [number, number]),
        };
      });
    const plots = [
      {
        name: 'spectra',
        caption: `Mean singular values σ_i/σ_1 (log scale) of the ${T}×${T} attention matrices of each kind (score scale ×1 for the random ones); a curve that plunges at the end means near-singular matrices.`,
        svg: await lineChartSvg({
          title: 'attention singular-value spectra',
          xLabel: 'index i',
          yLabel: 'σ_i / σ_1 (log)',
          logY: true,
          series: spectrumSeries,
        }),
      },
      {
        name: 'effective-rank',
        caption: `Mean effective rank (exp of the entropy of the normalized singular values) per kind of attention matrix, with ± one standard error; dots are the individual random matrices, or for the trained models each seed's mean (${ctx.seeds.length} seeds).`,
        svg: await barChartSvg({
          title: `effective rank of ${T}×${T} attention matrices`,
          xLabel: 'matrices',
          yLabel: 'effective rank',
          horizontal: true,
          bars: [
            ...groups
              .filter((gr) => gr.name.startsWith('random'))
              .map((gr) => seedBar(short(gr.name), eff(gr), gr.causal ? 'causal' : 'bidirectional')),
            seedBar(
              'GPT (causal)',
              seedRanks.map((r) => r.gpt.meanEffectiveRank),
              'causal',
            ),
            seedBar(
              'BERT (bidir.)',
              seedRanks.map((r) => r.bert.meanEffectiveRank),
              'bidirectional',
            ),
          ],
        }),
      },
    ];
    return {
      findings,
      measured: [
        `random: softmax(QKᵀ/√d) with Q, K ~ N(0, 1) of shape [${T}, ${d}] (float64, engine ops + triangularMask), ${count} matrices per kind, score scale ×1 and ×4 (sharper)`,
        `trained: every layer and head of the shared character GPT and BERT (${gpt.model.config.nLayer} layers × 4 heads, same width) on ${windows} validation windows of ${T} tokens (captureAttention)`,
        'numerical rank: singular values above max(m, n)·σ_max·eps (eps 2^-52 for float64, 2^-23 for the float32 models); effective rank: Roy & Vetterli',
        ...stats.map(
          (s) =>
            `${s.name}: effective rank ${fmt(s.meanEffectiveRank, 1)}, numerical rank ${fmt(s.meanNumericalRank, 1)} (min ${s.minNumericalRank}), σ_min/σ_max ${fmt(s.meanInverseCondition)}`,
        ),
      ],
      numbers: { T, headDim: d, stats, trainedPerSeed: seedRanks },
      plots,
    };
  },
};
