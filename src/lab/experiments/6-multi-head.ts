/**
 * Section 6: several small heads vs one large head. The shared character GPT with 4 heads of
 * width d/4 and the same GPT with 1 head of width d have exactly the same parameters (the
 * fused q|k|v projection is d -> 3d either way); trained alike, compared on validation loss and
 * on what their heads attend to (per-head entropy, distance, previous-token mass, heatmaps).
 */
import { noGrad, tensor } from '../../engine/index.ts';
import type { GPT } from '../../models/gpt.ts';
import { evaluateCausalLM } from '../../train/evaluate.ts';
import { barChartSvg } from '../../core/plot.ts';
import { headStats } from '../attention-stats.ts';
import type { HeadStats } from '../attention-stats.ts';
import { heatmapGridSvg } from '../heatmap.ts';
import type { HeatmapPanel } from '../heatmap.ts';
import { charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';
import { greaterFinding } from '../compare.ts';

/** Per layer, per head statistics of the model's attention on `windows` validation windows. */
function attentionByLayer(model: GPT, ids: Int32Array, windows: number): HeadStats[][] {
  const T = model.config.blockSize;
  noGrad(() => model.forward(tensor(ids, { shape: [windows, T] }), { captureAttention: true, logits: 'none' }));
  return model.transformer.h.map((b) => headStats(b.attn.lastAttention!, 8));
}

function panels(model: GPT, label: string, n: number): HeatmapPanel[] {
  const out: HeatmapPanel[] = [];
  model.transformer.h.forEach((b, layer) => {
    const p = b.attn.lastAttention!;
    const [, H, T, S] = p.shape as [number, number, number, number];
    const d = p.toTypedArray();
    for (let h = 0; h < H; h++) {
      const m = new Float64Array(n * n);
      for (let t = 0; t < n; t++) for (let s = 0; s < n; s++) m[t * n + s] = d[(h * T + t) * S + s]!; // first window
      out.push({ title: `${label} layer ${layer} head ${h}`, data: m, n });
    }
  });
  return out;
}

export const multiHead: Experiment = {
  name: '6-multi-head',
  section: 6,
  title: 'Multi-head attention vs one large head at equal parameters',
  claims: [
    {
      section: 6,
      quote:
        '多头注意力机制：每个头可以专注于一种特定类型的关系（如语法、位置、语义等）…… 大单头矩阵：试图找到一个“面面俱到”但可能“平庸”的单一关注模式。',
      english:
        'With multi-head attention each head can specialise in one kind of relation (syntax, position, semantics); one large head seeks a single compromise pattern and gives a poorer representation.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const multi = await charGpt(ctx, 4);
    const single = await charGpt(ctx, 1);
    const v = multi.corpus.vocab;
    const maxTokens = ctx.quick ? 8192 : 65536;
    const decode = (ids: readonly number[]): string => v.decode(ids);
    const evalMulti = evaluateCausalLM(multi.model, multi.corpus.val, { maxTokens, decode });
    const evalSingle = evaluateCausalLM(single.model, single.corpus.val, { maxTokens, decode });
    const paramsEqual = multi.model.numParameters() === single.model.numParameters();
    const rel = evalSingle.loss / evalMulti.loss - 1; // > 0: multi-head better
    // the same comparison once per seed (initialization and batch order), on the same validation text
    const lossMulti = [evalMulti.loss];
    const lossSingle = [evalSingle.loss];
    for (const seed of ctx.seeds.slice(1)) {
      const m = await charGpt(ctx, 4, seed);
      const s1 = await charGpt(ctx, 1, seed);
      lossMulti.push(evaluateCausalLM(m.model, m.corpus.val, { maxTokens, decode }).loss);
      lossSingle.push(evaluateCausalLM(s1.model, s1.corpus.val, { maxTokens, decode }).loss);
    }

    const T = multi.model.config.blockSize;
    const windows = ctx.quick ? 4 : 16;
    const ids = new Int32Array(windows * T);
    for (let w = 0; w < windows; w++) ids.set(v.encode(multi.corpus.valText.slice(3000 * w, 3000 * w + T)), w * T);
    const multiStats = attentionByLayer(multi.model, ids, windows);
    const singleStats = attentionByLayer(single.model, ids, windows);
    const n = Math.min(T, 32);
    const heat = heatmapGridSvg(
      `attention on "${v.decode(ids.subarray(0, n)).replace(/\n/g, '⏎')}"`,
      [...panels(multi.model, '4 heads:', n), ...panels(single.model, '1 head:', n)],
      4,
      170,
    );

    // specialization: within a layer, heads differ in how far back they look
    const spreads = multiStats.map((layer) => {
      const d = layer.map((s) => s.distance);
      return { min: Math.min(...d), max: Math.max(...d), ratio: Math.max(...d) / Math.max(Math.min(...d), 1e-9) };
    });
    const prevSpread = multiStats.map(
      (layer) => Math.max(...layer.map((s) => s.previous)) - Math.min(...layer.map((s) => s.previous)),
    );
    const specialised = spreads.some((s) => s.ratio >= 2) || prevSpread.some((x) => x >= 0.2);
    const findings: Finding[] = [
      greaterFinding({
        statement: 'at equal parameters, several small heads give a better model than one large head',
        larger: { name: '1 head validation loss', values: lossSingle },
        smaller: { name: '4 heads validation loss', values: lossMulti },
        unit: ' nats/char',
        format: (x) => fmt(x, 4),
        note: `over ${evalMulti.tokens.toLocaleString('en')} validation characters; ${multi.model.numParameters().toLocaleString('en')} vs ${single.model.numParameters().toLocaleString('en')} parameters`,
        unresolvedBecause: paramsEqual ? null : 'the two models do not have the same parameter count',
      }),
      {
        statement: 'the heads specialise: within a layer they attend in different ways',
        verdict: verdictOf(specialised),
        evidence:
          multiStats
            .map(
              (layer, i) =>
                `layer ${i}: mean distance per head ${layer.map((s) => fmt(s.distance, 1)).join(' / ')}, previous-token mass ${layer.map((s) => pct(s.previous, 0)).join(' / ')}, entropy ${layer.map((s) => fmt(s.entropy, 2)).join(' / ')} nats (single head: distance ${fmt(singleStats[i]![0]!.distance, 1)}, previous ${pct(singleStats[i]![0]!.previous, 0)}, entropy ${fmt(singleStats[i]![0]!.entropy, 2)})`,
            )
            .join('; ') +
          '. Criterion: in some layer one head looks at least 2x as far back as another, or their previous-token mass differs by 20 points or more',
      },
    ];
    const bars = [
      ...multiStats.flatMap((layer, i) =>
        layer.map((s, h) => ({ label: `L${i} h${h}`, value: s.distance, group: '4 heads' })),
      ),
      ...singleStats.map((layer, i) => ({ label: `L${i} h0`, value: layer[0]!.distance, group: '1 head' })),
    ];
    const plots = [
      {
        name: 'head-distance',
        caption:
          'Mean distance (in characters) each head looks back, per layer and head, for the 4-head model and the 1-head model.',
        svg: await barChartSvg({
          title: 'mean attention distance per head',
          xLabel: 'layer / head',
          yLabel: 'mean |query − key| (chars)',
          bars,
        }),
      },
      {
        name: 'heatmaps',
        caption:
          'Attention of every head on the first 32 characters of a validation window (rows: query, columns: key).',
        svg: heat,
      },
    ];
    return {
      findings,
      measured: [
        `shared character GPT, ${multi.model.config.nLayer} layers × ${multi.model.config.nEmbd} wide, trained identically with 4 heads (head width ${multi.model.config.nEmbd / 4}) and 1 head (width ${multi.model.config.nEmbd})`,
        `validation loss by evaluateCausalLM over ${evalMulti.tokens} characters, seeds ${ctx.seeds.join(', ')}; attention statistics (seed ${ctx.seed}) over ${windows} validation windows, rows t >= 8`,
      ],
      numbers: {
        valLossMulti: evalMulti.loss,
        valLossSingle: evalSingle.loss,
        relative: rel,
        lossMulti,
        lossSingle,
        paramsMulti: multi.model.numParameters(),
        paramsSingle: single.model.numParameters(),
        multiHeads: multiStats.map((l) => l.map((s) => ({ ...s }))),
        singleHead: singleStats.map((l) => ({ ...l[0]! })),
        spreads,
        previousSpread: prevSpread,
      },
      plots,
    };
  },
};
