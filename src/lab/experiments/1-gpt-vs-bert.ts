/**
 * Section 1: GPT is decoder-only with causal attention and a next-token objective; BERT is
 * encoder-only with bidirectional attention and a masked-LM objective (15% of tokens; 80%
 * [MASK], 10% random, 10% unchanged). Both are real, trained models here (the shared
 * character GPT and BERT); the experiment checks each property on them and on the library's
 * masking function.
 */
import { Generator, noGrad, tensor } from '../../engine/index.ts';
import type { Tensor } from '../../engine/index.ts';
import { maskTokens } from '../../train/objectives/mlm.ts';
import { lineChartSvg } from '../../core/plot.ts';
import { charBert, charGpt } from '../shared-models.ts';
import { unigramEntropy } from '../corpus.ts';
import { curve } from '../train.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';
import { aboveFinding, meanCurve } from '../compare.ts';

/**
 * How much the output at each position moves when the token at position j changes: the max
 * over positions before j and over positions at or after j.
 */
function influence(
  forward: (ids: Tensor) => Tensor,
  ids: Int32Array,
  j: number,
  replacement: number,
): { before: number; after: number } {
  return noGrad(() => {
    const T = ids.length;
    const a = forward(tensor(ids, { shape: [1, T] })).toTypedArray();
    const changed = Int32Array.from(ids);
    changed[j] = replacement;
    const b = forward(tensor(changed, { shape: [1, T] })).toTypedArray();
    const V = a.length / T;
    let before = 0;
    let after = 0;
    for (let t = 0; t < T; t++) {
      let m = 0;
      for (let v = 0; v < V; v++) m = Math.max(m, Math.abs(a[t * V + v]! - b[t * V + v]!));
      if (t < j) before = Math.max(before, m);
      else after = Math.max(after, m);
    }
    return { before, after };
  });
}

export const gptVsBert: Experiment = {
  name: '1-gpt-vs-bert',
  section: 1,
  title: 'GPT (causal, next token) vs BERT (bidirectional, masked LM)',
  claims: [
    {
      section: 1,
      quote: 'GPT和BERT的区别',
      english:
        'The difference between GPT and BERT (the notes give only the heading; CLAIMS.md: GPT is decoder-only with causal self-attention and a next-token objective; BERT is encoder-only with bidirectional self-attention and a masked-LM objective, 15% of tokens, 80% [MASK] / 10% random / 10% unchanged; both must be real, trainable models).',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const gpt = await charGpt(ctx, 4);
    const bert = await charBert(ctx);
    const v = gpt.corpus.vocab;
    const T = gpt.model.config.blockSize;
    const ids = v.encode(gpt.corpus.valText.slice(0, T));
    const bertIds = Int32Array.from([v.special('[CLS]'), ...ids.subarray(0, T - 2), v.special('[SEP]')]);
    const positions = [Math.floor(T / 4), Math.floor(T / 2), T - 5];
    const replacement = v.encode('Z')[0]!;
    const gptInf = positions.map((j) => influence((x) => gpt.model.forward(x).logits!, ids, j, replacement));
    const bertInf = positions.map((j) =>
      influence((x) => bert.model.forward(x, { mlmLogits: true }).mlmLogits!, bertIds, j, replacement),
    );
    const gptCausal = gptInf.every((r) => r.before === 0 && r.after > 1e-3);
    const bertBidirectional = bertInf.every((r) => r.before > 1e-3 && r.after > 1e-3);

    // the library's MLM masking on a large sample of real tokens
    const sample = gpt.corpus.train;
    const n = Math.min(sample.numTokens, ctx.quick ? 200_000 : 1_000_000);
    const tokens = sample.read(0, n, new Int32Array(n));
    const mask = v.special('[MASK]');
    const { inputs, labels } = maskTokens(tokens, new Generator(ctx.seed), {
      maskTokenId: mask,
      vocabSize: v.size,
      specialIds: [v.special('[PAD]'), v.special('[CLS]'), v.special('[SEP]'), mask],
    });
    let selected = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] === -100) continue;
      selected++;
      if (inputs[i] === mask) masked++;
      else if (inputs[i] === tokens[i]) kept++;
      else random++;
    }
    const pSel = selected / n;
    const fMask = masked / selected;
    const fRandom = random / selected;
    const fKept = kept / selected;
    // a random replacement can draw the original token: expected unchanged 0.1 + 0.1/V, random 0.1 - 0.1/V
    const sd = (p: number, m: number): number => Math.sqrt((p * (1 - p)) / m);
    const within = (x: number, p: number, m: number): boolean => Math.abs(x - p) <= 4 * sd(p, m);
    const V = v.size;
    const maskingOk =
      within(pSel, 0.15, n) &&
      within(fMask, 0.8, selected) &&
      within(fRandom, 0.1 - 0.1 / V, selected) &&
      within(fKept, 0.1 + 0.1 / V, selected);

    const h = unigramEntropy(gpt.corpus.trainText);
    // every seed's GPT and BERT: how far below the context-free baseline each gets
    const gpts = [gpt];
    const berts = [bert];
    for (const seed of ctx.seeds.slice(1)) {
      gpts.push(await charGpt(ctx, 4, seed));
      berts.push(await charBert(ctx, seed));
    }
    const gptLosses = gpts.map((m) => m.lastEval['loss'] ?? NaN);
    const bertLosses = berts.map((m) => m.lastEval['loss'] ?? NaN);
    const steps = gpt.records.filter((r) => r['kind'] === 'train').length;
    const findings: Finding[] = [
      {
        statement: "GPT's attention is causal: changing token j never changes the outputs at positions before j",
        kind: 'sanity',
        verdict: verdictOf(gptCausal),
        evidence: gptInf
          .map((r, i) => `j=${positions[i]}: max |Δlogits| before j ${fmt(r.before)}, at/after j ${fmt(r.after)}`)
          .join('; '),
      },
      {
        statement: "BERT's attention is bidirectional: changing token j changes the outputs on both sides",
        kind: 'sanity',
        verdict: verdictOf(bertBidirectional),
        evidence: bertInf
          .map((r, i) => `j=${positions[i]}: before ${fmt(r.before)}, at/after ${fmt(r.after)}`)
          .join('; '),
      },
      {
        statement: "BERT's masked-LM inputs: 15% of tokens selected; of those 80% [MASK], 10% random, 10% unchanged",
        verdict: verdictOf(maskingOk),
        evidence: `maskTokens on ${n.toLocaleString('en')} tokens: selected ${pct(pSel, 2)}; [MASK] ${pct(fMask, 2)}, random ${pct(fRandom, 2)}, unchanged ${pct(fKept, 2)} (expected 10% ± 1/V for the last two; all within 4 standard deviations: ${maskingOk ? 'yes' : 'no'})`,
      },
      aboveFinding({
        statement: 'GPT is a real, trainable model: its next-character loss falls below the context-free baseline',
        arm: { name: 'unigram entropy − GPT validation loss (nats)', values: gptLosses.map((l) => h - l) },
        threshold: 0,
        thresholdName: 'no gain',
        note: `after ${steps} steps; GPT validation loss ${gptLosses.map((l) => fmt(l)).join(', ')} nats vs the unigram entropy ${fmt(h)} (the loss of a model that ignores context)`,
      }),
      aboveFinding({
        statement: 'BERT is a real, trainable model: its masked-character loss falls below the context-free baseline',
        arm: { name: 'unigram entropy − BERT validation loss (nats)', values: bertLosses.map((l) => h - l) },
        threshold: 0,
        thresholdName: 'no gain',
        note: `BERT masked-character validation loss ${bertLosses.map((l) => fmt(l)).join(', ')} nats`,
      }),
    ];
    const plots = [
      {
        name: 'training',
        caption: `Validation loss of the shared GPT (next character) and BERT (masked characters) during training, mean over ${ctx.seeds.length} seeds with ± one standard error, against the unigram entropy (the loss of a model that ignores context).`,
        svg: await lineChartSvg({
          title: 'GPT and BERT validation loss',
          xLabel: 'step',
          yLabel: 'loss (nats)',
          points: true,
          series: [
            meanCurve(
              'GPT (next character)',
              gpts.map((m) => curve(m.records, 'loss', 'eval')),
            ),
            meanCurve(
              'BERT (masked characters)',
              berts.map((m) => curve(m.records, 'loss', 'eval')),
            ),
            {
              name: 'unigram entropy (no context)',
              points: [
                [0, h],
                [steps, h],
              ],
            },
          ],
        }),
      },
    ];
    return {
      findings,
      measured: [
        `shared character GPT and BERT (${gpt.model.config.nLayer} layers, width ${gpt.model.config.nEmbd}, same pre-LN blocks), trained with CausalLMTask and MaskedLMTask on ${gpt.corpus.name}`,
        `influence test: a validation window of ${T} characters, token j replaced by 'Z', logits compared position by position`,
      ],
      numbers: {
        gptInfluence: gptInf,
        bertInfluence: bertInf,
        positions,
        masking: { tokens: n, vocabSize: V, selected: pSel, mask: fMask, random: fRandom, unchanged: fKept },
        gptValLoss: gptLosses,
        bertValLoss: bertLosses,
        unigramEntropy: h,
      },
      plots,
    };
  },
};
