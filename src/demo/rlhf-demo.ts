/**
 * `llmts demo --rlhf`: the ChatGPT recipe end to end on embedded data, in minutes on a CPU:
 *   1. a byte-level BPE tokenizer (with the chat special tokens) on nlp-corpus sentences and
 *      the synthetic task's text;
 *   2. pretraining a small GPT on that text for a time budget;
 *   3. SFT on the task's demonstrations (chat template, loss on assistant tokens);
 *   4. a reward model on rankings of the SFT model's answers by simulated annotators;
 *   5. PPO with the four models;
 *   and with --compare, DPO and GRPO on the same data and models, and PPO with beta = 0 to
 *   show reward over-optimization. Prints the gold reward, the RM's accuracy and the KL
 *   before and after each stage, and writes report.md and plots into the run directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.ts';
import { Generator } from '../core/random.ts';
import { trainBpeFromIterator } from '../tokenizers/index.ts';
import { prepareDataset } from '../data/prepare.ts';
import { fromTokenizer } from '../data/tokenize/tokenizer-like.ts';
import { defaultPretrainConfig, pretrain } from '../train/pretrain.ts';
import type { GPT } from '../models/gpt.ts';
import { CHATML_FORMAT, ChatTemplate, formatSpecialTokens } from '../data/chat/template.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { lineChartSvg } from '../core/plot.ts';
import { readNlpCorpus } from '../data/corpora/nlp-corpus.ts';
import { reviewsTask } from '../align/tasks/reviews.ts';
import { pipelineTable, runAlignmentPipeline } from '../align/pipeline.ts';
import type { PipelineReport } from '../align/pipeline.ts';
import type { MetricRecord } from '../train/metrics.ts';

export interface RlhfDemoOptions {
  runDir: string;
  /** Pretraining time budget. */
  pretrainMinutes: number;
  seed: number;
  /** Also run DPO, GRPO and PPO with beta = 0. */
  compare: boolean;
  maxSentences?: number;
  log?: (line: string) => void;
}

export interface RlhfDemoResult {
  report: PipelineReport;
  pretrainSteps: number;
  table: string;
}

export async function runRlhfDemo(o: RlhfDemoOptions): Promise<RlhfDemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  if (!(o.pretrainMinutes > 0)) throw new ArgumentError('--minutes', `must be > 0, got ${o.pretrainMinutes}`);
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)} s`;
  mkdirSync(o.runDir, { recursive: true });
  const task = reviewsTask;
  const format = CHATML_FORMAT;
  const template = new ChatTemplate(format);

  log(`[1/5] text: nlp-corpus sentences + the "${task.name}" task's chats (the task: ${task.description})`);
  const g = new Generator(o.seed);
  const sentences = readNlpCorpus(o.maxSentences ?? 60_000);
  const prompts = task.prompts('train');
  const taskChats = Array.from({ length: 6000 }, (_, i) => {
    const p = prompts[i % prompts.length]!;
    return template.render([...p, { role: 'assistant', content: task.demonstration(p, g) }]).replace(/\n/g, ' ');
  });
  const text = [...sentences, ...taskChats];
  log(`      ${sentences.length.toLocaleString('en')} sentences + ${taskChats.length.toLocaleString('en')} task chats`);

  log(`[2/5] tokenizer: byte-level BPE, 2048 tokens, with ${formatSpecialTokens(format).join(' ')}`);
  const tokenizer = trainBpeFromIterator(text, {
    vocabSize: 2048,
    specialTokens: ['<|endoftext|>', ...formatSpecialTokens(format)],
    byteLevel: true,
    showProgress: false,
  });
  const tokPath = join(o.runDir, 'tokenizer.json');
  tokenizer.save(tokPath);

  log(`[3/5] pretraining a 2-layer, 64-wide GPT for ${o.pretrainMinutes} min`);
  const dataDir = join(o.runDir, 'pretrain-data');
  mkdirSync(dataDir, { recursive: true });
  const corpusFile = join(dataDir, 'corpus.txt');
  const shuffled = Array.from(g.permutation(text.length), (i) => text[i]!);
  writeFileSync(corpusFile, `${shuffled.join('\n')}\n`);
  await prepareDataset({
    inputs: [corpusFile],
    out: join(dataDir, 'shards'),
    tokenizer: fromTokenizer(tokenizer),
    tokenizerFile: tokPath,
    tokenizerName: 'rlhf-demo-bpe',
    textMode: 'line',
    valFraction: 0.02,
    quiet: true,
  });
  const steps = Math.max(50, Math.round(o.pretrainMinutes * 60 * 20)); // an upper bound; the time budget stops it
  const pre = await pretrain(
    defaultPretrainConfig({
      data: join(dataDir, 'shards'),
      runDir: join(o.runDir, 'pretrain'),
      preset: 'gpt2',
      overrides: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 64, dropout: 0 },
      batchSize: 16,
      steps,
      lr: 3e-3,
      minLr: 3e-4,
      warmupSteps: 50,
      decaySteps: steps,
      weightDecay: 0.1,
      beta2: 0.99,
      evalEvery: 0,
      evalBatches: 10,
      checkpointEvery: 0,
      seed: o.seed,
      timeLimitSeconds: o.pretrainMinutes * 60,
    }),
  );
  log(
    `      ${pre.result.steps} steps, validation loss ${pre.result.lastEval?.['loss']?.toFixed(3) ?? '?'} at ${elapsed()}`,
  );

  log(`[4/5] alignment: SFT -> reward model -> PPO${o.compare ? ' (+ DPO, GRPO, PPO with beta = 0)' : ''}`);
  const curves: Record<string, [number, number][]> = {};
  const report = await runAlignmentPipeline({
    task,
    model: pre.model as GPT,
    tokenizer,
    format,
    runDir: o.runDir,
    seed: o.seed,
    evalSamplesPerPrompt: 8,
    log,
    sftExamples: 4000,
    sft: { steps: 800, batchSize: 32, lr: 3e-3, minLr: 3e-4, evalEvery: 200, checkpointEvery: 0 },
    preferences: { groupsPerPrompt: 60, valGroupsPerPrompt: 10, k: 4, annotatorTemperature: 0.3 },
    rm: { steps: 600, batchSize: 16, lr: 1e-3, minLr: 1e-4, evalEvery: 100, checkpointEvery: 0 },
    ppo: {
      steps: 60,
      batchSize: 64,
      miniBatchSize: 16,
      microBatchSize: 16,
      lr: 3e-4,
      criticLr: 3e-4,
      klCoef: 0.1,
      sampleEvery: 10,
      checkpointEvery: 0,
    },
    ...(o.compare
      ? {
          dpo: { steps: 300, batchSize: 16, lr: 2e-4, minLr: 2e-5, beta: 0.3, evalEvery: 100, checkpointEvery: 0 },
          grpo: {
            steps: 60,
            promptsPerStep: 16,
            groupSize: 4,
            miniBatchSize: 16,
            microBatchSize: 16,
            lr: 3e-4,
            beta: 0.04,
            sampleEvery: 10,
            checkpointEvery: 0,
          },
          overoptimization: { steps: 150 },
          preferenceObjectives: {
            KTO: {
              lossType: 'kto',
              steps: 300,
              batchSize: 16,
              lr: 2e-4,
              minLr: 2e-5,
              beta: 0.3,
              evalEvery: 100,
              checkpointEvery: 0,
            },
            ORPO: {
              lossType: 'orpo',
              steps: 300,
              batchSize: 16,
              lr: 2e-4,
              minLr: 2e-5,
              beta: 0.5,
              evalEvery: 100,
              checkpointEvery: 0,
            },
            SimPO: {
              lossType: 'simpo',
              steps: 300,
              batchSize: 16,
              lr: 2e-4,
              minLr: 2e-5,
              beta: 2,
              simpoGamma: 0.5,
              evalEvery: 100,
              checkpointEvery: 0,
            },
            CPO: {
              lossType: 'cpo',
              steps: 300,
              batchSize: 16,
              lr: 2e-4,
              minLr: 2e-5,
              beta: 0.3,
              evalEvery: 100,
              checkpointEvery: 0,
            },
          },
          rloo: {
            steps: 60,
            promptsPerStep: 16,
            groupSize: 4,
            miniBatchSize: 16,
            microBatchSize: 16,
            lr: 3e-4,
            beta: 0.1,
            sampleEvery: 10,
            checkpointEvery: 0,
          },
          ppoPtx: { steps: 60, ptxCoef: 0.5 },
        }
      : {}),
    onStep: (stage: string, r: MetricRecord) => {
      if (stage !== 'ppo' && stage !== 'ppo-beta0') return;
      for (const k of ['reward', 'gold'] as const)
        (curves[`${stage === 'ppo' ? 'beta 0.1' : 'beta 0'}: ${k === 'reward' ? 'RM score' : 'gold'}`] ??= []).push([
          r['step'] as number,
          r[k] as number,
        ]);
    },
  });

  log(`[5/5] results (held-out prompts, ${8} sampled answers each; gold reward max ${task.maxGold})`);
  const table = pipelineTable(report);
  log(table);
  log(
    `reward model: held-out pairwise accuracy ${(report.rm.heldOutAccuracy * 100).toFixed(1)}% vs the (noisy) annotators, ${(report.rm.goldAccuracy * 100).toFixed(1)}% vs the gold reward`,
  );
  const lines = [
    `# llmts demo --rlhf`,
    '',
    `Task: ${task.description}. Gold reward max ${task.maxGold}.`,
    '',
    table,
    '',
    `Reward model: held-out pairwise accuracy ${(report.rm.heldOutAccuracy * 100).toFixed(1)}% against the annotators' rankings, ${(report.rm.goldAccuracy * 100).toFixed(1)}% against the gold reward (${report.rm.goldPairs} pairs).`,
  ];
  if (report.overoptimization) {
    const oo = report.overoptimization;
    const msg = `PPO with beta = 0: the gold reward of training samples peaked at ${oo.peakGold.toFixed(3)} and ended at ${oo.trajectory[oo.trajectory.length - 1]!.gold.toFixed(3)} while the RM score rose to ${oo.trajectory[oo.trajectory.length - 1]!.reward.toFixed(3)}; held-out: gold ${oo.final.gold.toFixed(3)}, RM score ${oo.final.reward?.toFixed(3)}, KL ${oo.final.kl?.toFixed(2)}.`;
    log(msg);
    lines.push('', msg);
    writeFileAtomic(
      join(o.runDir, 'overoptimization.svg'),
      await lineChartSvg({
        title: 'Learned reward vs gold reward during PPO (train batches)',
        xLabel: 'PPO step',
        yLabel: 'reward',
        series: Object.entries(curves).map(([name, points]) => ({ name, points })),
      }),
    );
    lines.push('', '![reward over-optimization](overoptimization.svg)');
  }
  lines.push(
    '',
    `Stage run directories: sft/, reward/, ppo/${o.compare ? ', dpo/, grpo/, ppo-beta0/' : ''} (metrics.jsonl, plots, samples.md, checkpoints).`,
  );
  writeFileAtomic(join(o.runDir, 'report.md'), `${lines.join('\n')}\n`);
  log(`run directory: ${o.runDir} (report.md); try: llmts chat --model ${join(o.runDir, 'ppo')}`);
  log(`total time ${elapsed()}`);
  return { report, pretrainSteps: pre.result.steps, table };
}
