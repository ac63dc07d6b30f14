/**
 * `llmts demo --reasoning`: reinforcement learning with a verifiable reward (the recipe of
 * DeepSeek-R1, TRL's GRPO with reward functions) on a CPU in minutes:
 *   1. a byte-level BPE tokenizer (with the chat tokens) on nlp-corpus sentences and text
 *      with arithmetic in it;
 *   2. pretraining a small GPT on that text for a time budget;
 *   3. SFT on demonstrations of two-digit addition by careless writers (right 3 times in 4);
 *   4. GRPO whose only reward is exact match of the answer (no reward model), groups of G
 *      answers per problem;
 * and the exact-match accuracy on held-out problems before and after, sampled at the rollout
 * temperature and greedy. Writes report.md and the stage run directories.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgumentError } from '../core/errors.ts';
import { Generator } from '../core/random.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { trainBpeFromIterator } from '../tokenizers/index.ts';
import { prepareDataset } from '../data/prepare.ts';
import { fromTokenizer } from '../data/tokenize/tokenizer-like.ts';
import { defaultPretrainConfig, pretrain } from '../train/pretrain.ts';
import type { GPT } from '../models/gpt.ts';
import { CHATML_FORMAT, ChatTemplate, formatSpecialTokens } from '../data/chat/template.ts';
import { chatIds } from '../data/chat/encode.ts';
import { readNlpCorpus } from '../data/corpora/nlp-corpus.ts';
import { trainSft, SFT_DEFAULTS } from '../align/sft.ts';
import type { SftHyper } from '../align/sft.ts';
import { trainGrpo, GRPO_DEFAULTS } from '../align/grpo.ts';
import type { GrpoHyper } from '../align/grpo.ts';
import { evaluatePolicy } from '../align/shared/evaluate.ts';
import { ReferenceModel } from '../align/shared/lora.ts';
import { arithmeticReward, arithmeticTask } from '../align/tasks/arithmetic.ts';
import { taskSftConversations } from '../align/tasks/datasets.ts';
import type { Tokenizer } from '../tokenizers/index.ts';

export interface ReasoningDemoOptions {
  runDir: string;
  pretrainMinutes: number;
  seed: number;
  sft?: Partial<SftHyper>;
  grpo?: Partial<GrpoHyper>;
  /** Stop GRPO after this many seconds (its steps are an upper bound). */
  grpoSeconds?: number;
  maxSentences?: number;
  log?: (line: string) => void;
}

export interface AccuracyReport {
  stage: string;
  /** Exact match of answers sampled at temperature 1 (the gold reward's mean). */
  sampled: number;
  /** Exact match of greedy answers. */
  greedy: number;
  kl: number | null;
  seconds: number;
}

export interface ReasoningDemoResult {
  stages: AccuracyReport[];
  table: string;
  grpoSteps: number;
}

/** Exact-match accuracy on the held-out problems: sampled (T = 1, 4 per problem) and greedy. */
export function measureArithmetic(
  policy: GPT,
  tokenizer: Tokenizer,
  o: { seed: number; reference: ReferenceModel | null; maxNewTokens: number },
): { sampled: number; greedy: number; kl: number | null } {
  const template = new ChatTemplate(CHATML_FORMAT);
  const ids = chatIds(tokenizer, template);
  const prompts = arithmeticTask.prompts('eval');
  const sampled = evaluatePolicy(policy, tokenizer, template, ids, {
    prompts,
    samplesPerPrompt: 4,
    temperature: 1,
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
    task: arithmeticTask,
    reference: o.reference,
  });
  // greedy: temperature -> 0 is argmax sampling
  const greedy = evaluatePolicy(policy, tokenizer, template, ids, {
    prompts,
    samplesPerPrompt: 1,
    temperature: 1e-4,
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
    task: arithmeticTask,
  });
  return { sampled: sampled.gold!, greedy: greedy.gold!, kl: sampled.kl };
}

export function accuracyTable(rows: readonly AccuracyReport[]): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return [
    '| policy | exact match, sampled (T = 1) | exact match, greedy | KL to SFT | train s |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.stage} | ${pct(r.sampled)} | ${pct(r.greedy)} | ${r.kl === null ? '-' : r.kl.toFixed(3)} | ${r.seconds.toFixed(0)} |`,
    ),
  ].join('\n');
}

export async function runReasoningDemo(o: ReasoningDemoOptions): Promise<ReasoningDemoResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  if (!(o.pretrainMinutes > 0)) throw new ArgumentError('--pretrain-minutes', `must be > 0, got ${o.pretrainMinutes}`);
  const t0 = performance.now();
  const clock = (): (() => number) => {
    const s = performance.now();
    return () => (performance.now() - s) / 1000;
  };
  mkdirSync(o.runDir, { recursive: true });
  const task = arithmeticTask;
  const format = CHATML_FORMAT;
  const template = new ChatTemplate(format);
  const g = new Generator(o.seed);

  log(`[1/4] text: nlp-corpus sentences + text with sums in it; tokenizer: byte-level BPE, 1024 tokens`);
  const sentences = readNlpCorpus(o.maxSentences ?? 20_000);
  const arithmetic = task.corpus(g, 20_000);
  const chats = taskSftConversations(task, 2000, o.seed + 3).map((c) => template.render(c).replace(/\n/g, ' '));
  const text = [...sentences, ...arithmetic, ...chats];
  const tokenizer = trainBpeFromIterator(text, {
    vocabSize: 1024,
    specialTokens: ['<|endoftext|>', ...formatSpecialTokens(format)],
    byteLevel: true,
    showProgress: false,
  });
  const tokPath = join(o.runDir, 'tokenizer.json');
  tokenizer.save(tokPath);

  log(`[2/4] pretraining a 2-layer, 64-wide GPT for ${o.pretrainMinutes} min`);
  const dataDir = join(o.runDir, 'pretrain-data');
  mkdirSync(dataDir, { recursive: true });
  const corpusFile = join(dataDir, 'corpus.txt');
  writeFileSync(corpusFile, `${Array.from(g.permutation(text.length), (i) => text[i]!).join('\n')}\n`);
  await prepareDataset({
    inputs: [corpusFile],
    out: join(dataDir, 'shards'),
    tokenizer: fromTokenizer(tokenizer),
    tokenizerFile: tokPath,
    tokenizerName: 'reasoning-demo-bpe',
    textMode: 'line',
    valFraction: 0.02,
    quiet: true,
  });
  const steps = Math.max(50, Math.round(o.pretrainMinutes * 60 * 20));
  const pre = await pretrain(
    defaultPretrainConfig({
      data: join(dataDir, 'shards'),
      runDir: join(o.runDir, 'pretrain'),
      preset: 'gpt2',
      overrides: { nLayer: 2, nHead: 2, nEmbd: 64, blockSize: 48, dropout: 0 },
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
  log(`      ${pre.result.steps} steps, validation loss ${pre.result.lastEval?.['loss']?.toFixed(3) ?? '?'}`);

  const stages: AccuracyReport[] = [];
  const maxNewTokens = 16;
  const report = (stage: string, policy: GPT, reference: ReferenceModel | null, seconds: number): void => {
    const m = measureArithmetic(policy, tokenizer, { seed: o.seed + 4242, reference, maxNewTokens });
    stages.push({ stage, ...m, seconds });
    log(
      `      ${stage}: exact match ${(m.sampled * 100).toFixed(1)}% sampled, ${(m.greedy * 100).toFixed(1)}% greedy${m.kl !== null ? `, KL ${m.kl.toFixed(3)}` : ''}`,
    );
  };

  log(`[3/4] SFT on ${task.name} demonstrations (right 3 times in 4)`);
  let t = clock();
  const sft = await trainSft({
    ...SFT_DEFAULTS,
    steps: 800,
    batchSize: 32,
    lr: 3e-3,
    minLr: 3e-4,
    evalEvery: 0,
    checkpointEvery: 0,
    ...o.sft,
    model: pre.model as GPT,
    tokenizer,
    format,
    seed: o.seed,
    train: taskSftConversations(task, 6000, o.seed),
    val: taskSftConversations(task, 200, o.seed + 1, 'eval'),
    runDir: join(o.runDir, 'sft'),
  });
  report('SFT', sft.model, null, t());

  log(`[4/4] GRPO, reward = exact match of the answer (a verifier, no reward model)`);
  t = clock();
  const grpo = await trainGrpo({
    ...GRPO_DEFAULTS,
    steps: 200,
    promptsPerStep: 8,
    groupSize: 8,
    miniBatchSize: 64,
    microBatchSize: 32,
    lr: 1e-4,
    beta: 0.04,
    maxNewTokens,
    evalEvery: 0,
    sampleEvery: 10,
    checkpointEvery: 0,
    timeLimitSeconds: o.grpoSeconds ?? 150,
    ...o.grpo,
    policy: sft.model,
    tokenizer,
    format,
    scorer: null,
    rewardFunctions: [{ name: 'exact_match', weight: 1, fn: arithmeticReward }],
    prompts: task.prompts('train'),
    evalPrompts: task.prompts('eval').slice(0, 16),
    task,
    seed: o.seed,
    runDir: join(o.runDir, 'grpo'),
  });
  report('GRPO (exact-match reward)', grpo.policy, ReferenceModel.fixed(sft.model), t());

  const table = accuracyTable(stages);
  log(table);
  writeFileAtomic(
    join(o.runDir, 'report.md'),
    `# llmts demo --reasoning\n\nTask: ${task.description}. ${task.prompts('eval').length} held-out problems; sampled: 4 answers each at temperature 1.\n\n${table}\n\nGRPO: ${grpo.loop.steps} steps.\n`,
  );
  log(`run directory: ${o.runDir}; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return { stages, table, grpoSteps: grpo.loop.steps };
}
