/**
 * Section 9, why adding position to the word vector works: in high dimensions a token vector
 * and a position vector are nearly orthogonal, so a linear read-out aligned with one of them
 * recovers it from the sum. Measured with random token vectors plus the library's sinusoidal
 * table at growing width, and on the shared trained GPT's own wte and wpe.
 */
import { getDefaultBackend } from '../../backends/select.ts';
import { Generator, matmul, noGrad, randn, tensor } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { sinusoidalTable } from '../../nn/positional.ts';
import { lineChartSvg } from '../../core/plot.ts';
import { charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';
import { solveSpd } from '../linalg.ts';

interface AddStats {
  meanAbsCos: number;
  positionAcc: number;
  tokenAcc: number;
}

function rows(t: Tensor): Float64Array[] {
  const [n, d] = t.shape as [number, number];
  const a = t.toTypedArray();
  return Array.from({ length: n }, (_, i) => Float64Array.from(a.subarray(i * d, (i + 1) * d) as ArrayLike<number>));
}

function normalizeRows(t: Tensor): Tensor {
  return noGrad(() => t.div(t.square().sum(-1, true).sqrt()));
}

/**
 * tokens [V, d], positions [P, d]: mean |cos| over all (token, position) pairs, and how often
 * argmax_j <W_j, tok_v + pos_p> names the right position (W = positions) and token (W = tokens).
 */
export function additionStats(tokens: Tensor, positions: Tensor): AddStats {
  return noGrad(() => {
    const V = tokens.shape[0]!;
    const P = positions.shape[0]!;
    const cos = matmul(normalizeRows(tokens), normalizeRows(positions).T).toTypedArray(); // [V, P]
    let abs = 0;
    for (let i = 0; i < cos.length; i++) abs += Math.abs(cos[i]!);
    // every sum tok_v + pos_p, read out by the two linear maps
    const tok = rows(tokens);
    const pos = rows(positions);
    const d = tokens.shape[1]!;
    const sums = new Float32Array(V * P * d);
    for (let v = 0; v < V; v++)
      for (let p = 0; p < P; p++) for (let j = 0; j < d; j++) sums[(v * P + p) * d + j] = tok[v]![j]! + pos[p]![j]!;
    const x = tensor(sums, { shape: [V * P, d] });
    const byPos = matmul(x, positions.to('float32').T).argmax(-1).toTypedArray();
    const byTok = matmul(x, tokens.to('float32').T).argmax(-1).toTypedArray();
    let posOk = 0;
    let tokOk = 0;
    for (let v = 0; v < V; v++) {
      for (let p = 0; p < P; p++) {
        if (byPos[v * P + p] === p) posOk++;
        if (byTok[v * P + p] === v) tokOk++;
      }
    }
    return { meanAbsCos: abs / cos.length, positionAcc: posOk / (V * P), tokenAcc: tokOk / (V * P) };
  });
}

/**
 * The best linear read-out instead of the aligned one: least squares (ridge 1e-3) from the sums
 * tok_v + pos_p to one-hot positions and one-hot tokens, scored by argmax. Fitted and scored on
 * the same sums: it asks whether a linear map CAN separate them.
 */
export function probeAccuracy(tokens: Tensor, positions: Tensor): { position: number; token: number } {
  return noGrad(() => {
    const [V, d] = tokens.shape as [number, number];
    const P = positions.shape[0]!;
    const tok = rows(tokens);
    const pos = rows(positions);
    const sums = new Float64Array(V * P * d);
    for (let v = 0; v < V; v++)
      for (let p = 0; p < P; p++) for (let j = 0; j < d; j++) sums[(v * P + p) * d + j] = tok[v]![j]! + pos[p]![j]!;
    const x = tensor(sums, { shape: [V * P, d], dtype: 'float64' });
    const xtx = matmul(x.T, x).toTypedArray();
    const acc = (classes: number, label: (v: number, p: number) => number): number => {
      const y = new Float64Array(V * P * classes);
      for (let v = 0; v < V; v++) for (let p = 0; p < P; p++) y[(v * P + p) * classes + label(v, p)] = 1;
      const xty = matmul(x.T, tensor(y, { shape: [V * P, classes], dtype: 'float64' })).toTypedArray();
      const w = solveSpd(xtx, xty, d, classes, 1e-3);
      const pred = matmul(x, tensor(w, { shape: [d, classes], dtype: 'float64' }))
        .argmax(-1)
        .toTypedArray();
      let ok = 0;
      for (let v = 0; v < V; v++) for (let p = 0; p < P; p++) if (pred[v * P + p] === label(v, p)) ok++;
      return ok / (V * P);
    };
    return { position: acc(P, (_v, p) => p), token: acc(V, (v) => v) };
  });
}

export const addPosition: Experiment = {
  name: '9-add-position',
  section: 9,
  title: 'Adding position to the word vector: near-orthogonal in high dimensions, linearly separable again',
  claims: [
    {
      section: 9,
      quote:
        '融合方式为什么是相加：线性变换可以将相加的信息重新解耦（W(A+B) = WA + WB），A和B在高维空间往往是接近正交的，让W和A/B其中一个方向一致就能提取信息',
      english:
        'Adding works because a linear map can separate the sum again: in high dimensions A and B are nearly orthogonal, so a W aligned with one of them extracts it.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const g = new Generator(ctx.seed);
    const dims = ctx.quick ? [4, 16, 64, 256] : [4, 8, 16, 32, 64, 128, 256, 512, 1024];
    const V = ctx.quick ? 64 : 128;
    const P = 64;
    const backend = getDefaultBackend();
    const byDim = dims.map((d) => {
      const tokens = randn([V, d], { generator: g, dtype: 'float64' });
      // sinusoidal rows have norm sqrt(d/2); scale to the tokens' norm sqrt(d)
      const positions = sinusoidalTable(P, d, backend, 'float64').mul(Math.SQRT2);
      return { d, ...additionStats(tokens, positions), expectedCos: Math.sqrt(2 / (Math.PI * d)) };
    });
    const trained = await charGpt(ctx, 4);
    const wte = trained.model.transformer.wte.weight;
    const wpe = trained.model.transformer.wpe!.weight;
    const nChars = trained.corpus.vocab.chars.length;
    const gptStats = additionStats(wte.slice(0, 0, nChars).to('float64'), wpe.to('float64'));
    const gptProbe = probeAccuracy(wte.slice(0, 0, nChars).to('float64'), wpe.to('float64'));
    const C = wte.shape[1]!;
    const small = byDim.filter((r) => r.d <= 8);
    const widest = byDim[byDim.length - 1]!;
    const bigOk = widest.positionAcc > 0.9 && widest.tokenAcc > 0.9;
    const smallWorse = small.some((r) => r.positionAcc < 0.9 || r.tokenAcc < 0.9);
    let shrinking = true;
    for (let i = 1; i < byDim.length; i++) if (byDim[i]!.meanAbsCos >= byDim[i - 1]!.meanAbsCos) shrinking = false;
    const findings: Finding[] = [
      {
        statement:
          'random token vectors and sinusoidal positions become nearly orthogonal as the width grows (|cos| ~ 1/√d)',
        verdict: verdictOf(shrinking && widest.meanAbsCos < 1.5 * widest.expectedCos),
        evidence: byDim
          .map((r) => `d=${r.d}: mean |cos| ${fmt(r.meanAbsCos)} (random pair ${fmt(r.expectedCos)})`)
          .join('; '),
      },
      {
        statement:
          'a linear read-out aligned with one of them recovers it from the sum (W = position table finds the position, W = token table the token)',
        verdict: verdictOf(bigOk, smallWorse),
        evidence: `${byDim.map((r) => `d=${r.d}: position ${pct(r.positionAcc)}, token ${pct(r.tokenAcc)}`).join('; ')}${smallWorse ? ' (in low dimensions the sum is ambiguous: the claim needs high d)' : ''}`,
      },
      {
        statement: `in the trained GPT (d = ${C}) a linear map recovers both the character and the position from wte + wpe`,
        verdict: verdictOf(
          gptProbe.position > 0.9 && gptProbe.token > 0.9,
          gptStats.positionAcc < 0.9 || gptStats.tokenAcc < 0.9,
        ),
        evidence: `mean |cos(wte, wpe)| ${fmt(gptStats.meanAbsCos)} (random pair in d=${C}: ${fmt(Math.sqrt(2 / (Math.PI * C)))}); aligned read-out (W = wpe / wte): position ${pct(gptStats.positionAcc)}, token ${pct(gptStats.tokenAcc)}; best linear read-out (least squares): position ${pct(gptProbe.position)}, token ${pct(gptProbe.token)} over ${nChars}x${wpe.shape[0]} sums`,
      },
    ];
    const plots = [
      {
        name: 'orthogonality',
        caption:
          'Mean |cos| between random token vectors and sinusoidal position vectors, and the accuracy of reading each back from their sum with the aligned table, against the width d.',
        svg: await lineChartSvg({
          title: 'token vs position vectors by width d',
          xLabel: 'width d',
          yLabel: 'value',
          points: true,
          series: [
            { name: 'mean |cos(token, position)|', points: byDim.map((r) => [r.d, r.meanAbsCos] as [number, number]) },
            { name: 'position read-out accuracy', points: byDim.map((r) => [r.d, r.positionAcc] as [number, number]) },
            { name: 'token read-out accuracy', points: byDim.map((r) => [r.d, r.tokenAcc] as [number, number]) },
          ],
        }),
      },
    ];
    return {
      findings,
      measured: [
        `${V} random token vectors N(0, 1) and ${P} sinusoidal positions (sinusoidalTable, scaled to the same norm) at widths ${dims.join(', ')}; every sum read out by argmax of a dot product with each table`,
        `the shared character GPT (${trained.model.config.nLayer} layers, d=${C}, learned positions): its ${nChars} character rows of wte and ${wpe.shape[0]} rows of wpe`,
      ],
      numbers: { byDim, gpt: { d: C, ...gptStats, probePosition: gptProbe.position, probeToken: gptProbe.token } },
      plots,
    };
  },
};
