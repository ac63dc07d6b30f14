/**
 * Section 10: parameters do not depend on length, and a padded batch with its mask gives every
 * sequence exactly the outputs it has alone. Checked on the shared trained GPT (right and left
 * padding), a RoPE GPT (left padding: positions come from the mask), the shared BERT (right
 * padding), and the controls that show what the mask and per-token normalization buy: BERT
 * without its mask, and a GPT with BatchNorm in training mode.
 */
import { noGrad, tensor } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { BERT } from '../../models/bert.ts';
import { GPT, gptPreset } from '../../models/gpt.ts';
import { barChartSvg } from '../../core/plot.ts';
import { charBert, charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, verdictOf } from '../verdict.ts';

type Forward = (ids: Tensor, mask: Tensor | null) => Tensor; // -> [B, T, V]

/**
 * Max |out(batch)[b, t] - out(alone_b)[t]| over the real tokens of every row. Rows are padded
 * with `pad` on the right or the left; `useMask` false feeds the padded rows without a mask.
 */
export function paddingGap(
  forward: Forward,
  rows: readonly Int32Array[],
  pad: number,
  side: 'right' | 'left',
  useMask = true,
): number {
  return noGrad(() => {
    const T = Math.max(...rows.map((r) => r.length));
    const B = rows.length;
    const ids = new Int32Array(B * T).fill(pad);
    const mask = new Int32Array(B * T);
    rows.forEach((r, b) => {
      const start = side === 'right' ? 0 : T - r.length;
      ids.set(r, b * T + start);
      mask.fill(1, b * T + start, b * T + start + r.length);
    });
    const batch = forward(tensor(ids, { shape: [B, T] }), useMask ? tensor(mask, { shape: [B, T] }) : null);
    const V = batch.shape[2]!;
    const bd = batch.toTypedArray();
    let worst = 0;
    rows.forEach((r, b) => {
      const alone = forward(tensor(r, { shape: [1, r.length] }), null).toTypedArray();
      const start = side === 'right' ? 0 : T - r.length;
      for (let t = 0; t < r.length; t++) {
        for (let v = 0; v < V; v++)
          worst = Math.max(worst, Math.abs(bd[(b * T + start + t) * V + v]! - alone[t * V + v]!));
      }
    });
    return worst;
  });
}

const gptForward =
  (m: GPT): Forward =>
  (ids, mask) =>
    m.forward(ids, { attentionMask: mask }).logits!;
const bertForward =
  (m: BERT): Forward =>
  (ids, mask) =>
    m.forward(ids, { attentionMask: mask, mlmLogits: true }).mlmLogits!;

export const padding: Experiment = {
  name: '10-padding',
  section: 10,
  title: 'Variable lengths: a padded batch with its mask equals each sequence alone',
  claims: [
    {
      section: 10,
      quote: '模型的静态参数和序列长度无关。实现手段为：padding和mask。',
      english:
        "The model's parameters do not depend on the sequence length; variable lengths are handled by padding and masks.",
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const gpt = await charGpt(ctx, 4);
    const bert = await charBert(ctx);
    const T = gpt.model.config.blockSize;
    const text = gpt.corpus.valText;
    const lengths = [T, Math.floor((3 * T) / 4), Math.floor(T / 3), 5, 1];
    const rows = lengths.map((n, i) => gpt.corpus.vocab.encode(text.slice(1000 * i, 1000 * i + n)));
    const pad = gpt.corpus.vocab.special('[PAD]');
    const v = bert.corpus.vocab;
    const bertRows = rows.map((r) =>
      Int32Array.from([
        v.special('[CLS]'),
        ...r.subarray(0, Math.max(1, Math.min(r.length, T - 2))),
        v.special('[SEP]'),
      ]),
    );

    const ropeGpt = new GPT(
      gptPreset('shakespeare-char', {
        vocabSize: v.size,
        blockSize: T,
        nLayer: 2,
        nHead: 4,
        nEmbd: 64,
        position: 'rope',
      }),
      { seed: ctx.seed },
    );
    ropeGpt.eval();
    const bnGpt = new GPT(
      gptPreset('shakespeare-char', {
        vocabSize: v.size,
        blockSize: T,
        nLayer: 2,
        nHead: 4,
        nEmbd: 64,
        norm: 'batchnorm',
      }),
      { seed: ctx.seed },
    );

    const gaps = {
      gptRight: paddingGap(gptForward(gpt.model), rows, pad, 'right'),
      gptLeft: paddingGap(gptForward(gpt.model), rows, pad, 'left'),
      ropeLeft: paddingGap(gptForward(ropeGpt), rows, pad, 'left'),
      bertRight: paddingGap(bertForward(bert.model), bertRows, pad, 'right'),
      bertNoMask: paddingGap(bertForward(bert.model), bertRows, pad, 'right', false),
      gptLeftNoMask: paddingGap(gptForward(gpt.model), rows, pad, 'left', false),
      batchNormTrain: 0,
      batchNormEval: 0,
    };
    bnGpt.train();
    gaps.batchNormTrain = paddingGap(gptForward(bnGpt), rows, pad, 'right');
    bnGpt.eval();
    gaps.batchNormEval = paddingGap(gptForward(bnGpt), rows, pad, 'right');
    const tol = 1e-4;
    const masked = Math.max(gaps.gptRight, gaps.gptLeft, gaps.ropeLeft, gaps.bertRight, gaps.batchNormEval);
    const findings: Finding[] = [
      {
        statement: `the same parameters run every length (${lengths.join(', ')} tokens), and a padded batch with its mask gives each sequence its outputs alone`,
        verdict: verdictOf(masked < tol),
        evidence: `max |Δlogits| on real tokens: GPT right-padded ${fmt(gaps.gptRight)}, GPT left-padded ${fmt(gaps.gptLeft)}, RoPE GPT left-padded ${fmt(gaps.ropeLeft)}, BERT right-padded ${fmt(gaps.bertRight)}, BatchNorm GPT in eval mode ${fmt(gaps.batchNormEval)} (tolerance ${tol}); ${gpt.model.numParameters().toLocaleString('en')} GPT parameters whatever the length`,
      },
      {
        statement: 'the mask is what makes it work: without it, padding leaks into the real tokens',
        verdict: verdictOf(gaps.bertNoMask > 1e-2 && gaps.gptLeftNoMask > 1e-2),
        evidence: `without the mask: BERT right-padded ${fmt(gaps.bertNoMask)} (bidirectional: real tokens attend to pads), GPT left-padded ${fmt(gaps.gptLeftNoMask)} (pads come first and shift positions); right padding needs no mask in a causal model only because pads come after every real token`,
      },
      {
        statement: 'the same holds with BatchNorm in training mode',
        verdict: verdictOf(gaps.batchNormTrain <= tol),
        evidence: `GPT with norm = batchnorm (MaskedBatchNorm, pads excluded from the statistics), training mode: max |Δlogits| ${fmt(gaps.batchNormTrain)}; eval mode (running statistics): ${fmt(gaps.batchNormEval)}${gaps.batchNormTrain > tol ? '. The pads are excluded from the statistics, so the difference comes from the other sequences of the batch: padding + mask needs per-token normalization (LayerNorm/RMSNorm) or frozen BatchNorm statistics' : ''}`,
      },
    ];
    const bars = Object.entries(gaps).map(([k, val]) => ({ label: k, value: Math.log10(Math.max(val, 1e-12)) }));
    const plots = [
      {
        name: 'padding-gap',
        caption:
          'log10 of the largest logit difference between a padded batch and each sequence alone, per model and padding (−12 stands for exactly 0; float32 rounding is about −6).',
        svg: await barChartSvg({
          title: 'padded batch vs each sequence alone',
          xLabel: 'model / padding',
          yLabel: 'log10 max |Δlogits|',
          bars,
          horizontal: true,
        }),
      },
    ];
    return {
      findings,
      measured: [
        `${rows.length} validation snippets of ${lengths.join(', ')} characters, batched with [PAD] on the right or the left, compared with each run alone (shared GPT and BERT in eval mode)`,
        'controls: the same batches without the attention mask; a GPT with BatchNorm (train and eval mode) and a RoPE GPT, both freshly initialized',
      ],
      numbers: { lengths, gaps, tolerance: tol },
      plots,
    };
  },
};
