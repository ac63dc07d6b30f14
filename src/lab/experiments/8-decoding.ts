/**
 * Section 8: beam search vs top-k vs top-p (and greedy) on the shared trained character GPT,
 * with the library's generate(): beam search's determinism and total probability, and the
 * repetition of each strategy's output (distinct-n and seq-rep-n from src/generate/metrics.ts).
 */
import { generate } from '../../generate/generate.ts';
import type { GenerateOptions } from '../../generate/generate.ts';
import { distinctN, meanRepetitionRate } from '../../generate/metrics.ts';
import { gptForGeneration } from '../../models/generative.ts';
import { barChartSvg } from '../../core/plot.ts';
import { charGpt } from '../shared-models.ts';
import type { Experiment, ExperimentOutput, Finding } from '../types.ts';
import { fmt, pct, verdictOf } from '../verdict.ts';

interface StrategyResult {
  name: string;
  texts: string[];
  ids: number[][];
  /** Sum of the model's log-probabilities of each continuation. */
  logprob: number[];
  distinct1: number;
  distinct2: number;
  /** Mean seq-rep over character 6-grams and word 2-grams. */
  repChars: number;
  repWords: number;
}

const words = (s: string): string[] => s.split(/\s+/).filter((w) => w.length > 0);

export const decoding: Experiment = {
  name: '8-decoding',
  section: 8,
  title: 'Beam search vs top-k vs top-p: determinism, probability, repetition',
  claims: [
    {
      section: 8,
      quote:
        'Beam Search：找到一个整体累积概率最高的词语序列（句子）。……对于同样的输入和同样的 beam_width，输出结果几乎总是相同的，且容易陷入重复循环（例如，"I think I think I think..."），缺乏惊喜和创造力。',
      english:
        'Beam search looks for the sequence with the highest total probability; for the same input and beam width the output is (almost) always the same, and it easily falls into repetition loops.',
    },
    {
      section: 8,
      quote: 'Top-k：这是一种随机抽样方法。……Top-p：……从高到低累加词的概率，直到总和超过P为止。',
      english:
        'Top-k and top-p are random sampling methods: keep the K most likely tokens, or the smallest set whose mass exceeds P, renormalise, sample.',
    },
  ],
  async run(ctx): Promise<ExperimentOutput> {
    const { model, corpus } = await charGpt(ctx, 4);
    const v = corpus.vocab;
    const T = model.config.blockSize;
    const nPrompts = ctx.quick ? 4 : 12;
    const promptLen = ctx.quick ? 16 : 32;
    const maxNewTokens = T - promptLen;
    // prompts: line starts spread through the validation text
    const text = corpus.valText;
    const prompts: number[][] = [];
    for (let i = 0; prompts.length < nPrompts; i++) {
      const at = text.indexOf('\n', Math.floor(((i + 0.5) / (nPrompts + 4)) * text.length)) + 1;
      const p = text.slice(at, at + promptLen);
      if (p.length === promptLen) prompts.push(Array.from(v.encode(p)));
    }
    const gm = gptForGeneration(model);
    const codec = { decode: (ids: readonly number[]) => v.decode(ids) };
    const strategies: { name: string; options: GenerateOptions }[] = [
      { name: 'greedy', options: { doSample: false } },
      { name: 'beam 4', options: { doSample: false, numBeams: 4 } },
      { name: 'top-k 10', options: { doSample: true, topK: 10, temperature: 1 } },
      { name: 'top-p 0.9', options: { doSample: true, topP: 0.9, topK: 0, temperature: 1 } },
    ];
    const run = (o: GenerateOptions, seed: number): { ids: number[][]; texts: string[]; logprob: number[] } => {
      const out = generate(gm, codec, prompts, { ...o, maxNewTokens, minNewTokens: maxNewTokens, seed });
      return {
        ids: out.sequences.map((s) => s.ids),
        texts: out.sequences.map((s) => s.text ?? ''),
        logprob: out.sequences.map((s) => s.modelLogprobs.reduce((a, b) => a + b, 0)),
      };
    };
    const results: StrategyResult[] = strategies.map((s) => {
      const r = run(s.options, ctx.seed);
      const w = r.texts.map(words);
      const c = r.texts.map((t) => [...t]);
      return {
        name: s.name,
        ...r,
        distinct1: distinctN(w, 1),
        distinct2: distinctN(w, 2),
        repChars: meanRepetitionRate(c, 6),
        repWords: meanRepetitionRate(w, 2),
      };
    });
    const get = (name: string): StrategyResult => results.find((r) => r.name === name)!;
    const same = (a: number[][], b: number[][]): boolean =>
      a.length === b.length && a.every((x, i) => x.join(',') === b[i]!.join(','));
    const beamAgain = run(strategies[1]!.options, ctx.seed + 1000);
    const beamDeterministic = same(beamAgain.ids, get('beam 4').ids);
    const topkAgain = run(strategies[2]!.options, ctx.seed + 1000);
    const toppAgain = run(strategies[3]!.options, ctx.seed + 1000);
    const toppSameSeed = run(strategies[3]!.options, ctx.seed);
    const samplingRandom =
      !same(topkAgain.ids, get('top-k 10').ids) &&
      !same(toppAgain.ids, get('top-p 0.9').ids) &&
      same(toppSameSeed.ids, get('top-p 0.9').ids);
    const beam = get('beam 4');
    const greedy = get('greedy');
    const beamBetter = beam.logprob.filter((lp, i) => lp >= greedy.logprob[i]! - 1e-6).length / beam.logprob.length;
    const topP = get('top-p 0.9');
    const topK = get('top-k 10');
    const beamRepeats =
      beam.repChars > topP.repChars && beam.repChars > topK.repChars && beam.distinct2 < topP.distinct2;
    const meanLp = (r: StrategyResult): number =>
      r.logprob.reduce((a, b) => a + b, 0) / r.logprob.length / maxNewTokens;
    const findings: Finding[] = [
      {
        statement: 'beam search is deterministic: the same input and beam width give the same output',
        verdict: verdictOf(beamDeterministic),
        evidence: `two beam-4 runs with different seeds: ${beamDeterministic ? 'identical' : 'different'} continuations for all ${prompts.length} prompts`,
      },
      {
        statement: 'beam search finds continuations of higher total probability than greedy decoding',
        verdict: verdictOf(beamBetter >= 0.75, beamBetter < 1),
        evidence: `beam 4 ≥ greedy in total log-probability for ${pct(beamBetter, 0)} of prompts; mean log-prob per token: beam ${fmt(meanLp(beam))}, greedy ${fmt(meanLp(greedy))}, top-k ${fmt(meanLp(topK))}, top-p ${fmt(meanLp(topP))}`,
      },
      {
        statement: 'beam search falls into repetition loops; top-k / top-p sampling much less',
        verdict: verdictOf(beamRepeats),
        evidence: results
          .map(
            (r) =>
              `${r.name}: repeated char 6-grams ${pct(r.repChars)}, repeated word bigrams ${pct(r.repWords)}, distinct-2 ${fmt(r.distinct2)}`,
          )
          .join('; '),
      },
      {
        statement: 'top-k and top-p are random: other seeds give other text (the same seed the same text)',
        verdict: verdictOf(samplingRandom),
        evidence: `seed ${ctx.seed} vs ${ctx.seed + 1000}: top-k ${same(topkAgain.ids, topK.ids) ? 'identical' : 'different'}, top-p ${same(toppAgain.ids, topP.ids) ? 'identical' : 'different'}; top-p with the same seed twice: ${same(toppSameSeed.ids, topP.ids) ? 'identical' : 'different'}`,
      },
    ];
    const plots = [
      {
        name: 'repetition',
        caption:
          'Share of repeated character 6-grams within each continuation (higher = loops) and distinct word bigrams across continuations (higher = more varied), per decoding strategy.',
        svg: await barChartSvg({
          title: 'repetition and diversity by decoding strategy',
          xLabel: 'strategy',
          yLabel: 'fraction',
          bars: results.flatMap((r) => [
            { label: r.name, value: r.repChars, group: 'repeated char 6-grams' },
            { label: r.name, value: r.distinct2, group: 'distinct word bigrams' },
          ]),
        }),
      },
    ];
    const show = (s: string): string => JSON.stringify(s.replace(/\n/g, ' / '));
    return {
      findings,
      measured: [
        `shared character GPT (${model.config.nLayer} layers, block ${T}); ${prompts.length} validation prompts of ${promptLen} characters, ${maxNewTokens} new characters each, generate() from src/generate`,
        `prompt: ${show(v.decode(prompts[0]!))}`,
        ...results.map((r) => `${r.name}: ${show(r.texts[0]!)}`),
      ],
      numbers: {
        prompts: prompts.length,
        promptLen,
        maxNewTokens,
        beamDeterministic,
        samplingRandom,
        beamAtLeastGreedy: beamBetter,
        strategies: results.map((r) => ({
          name: r.name,
          distinct1: r.distinct1,
          distinct2: r.distinct2,
          repChars: r.repChars,
          repWords: r.repWords,
          meanLogprobPerToken: meanLp(r),
          sample: r.texts[0]!,
        })),
      },
      plots,
    };
  },
};
