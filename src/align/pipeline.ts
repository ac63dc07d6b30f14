/**
 * The alignment pipeline on a synthetic task, end to end, with the measurements that show
 * each stage working: SFT on demonstrations -> preferences from simulated annotators ->
 * reward model -> PPO (and, to compare, DPO, GRPO, and PPO with beta = 0 to expose reward
 * over-optimization). Every policy is measured the same way: answers sampled at the rollout
 * temperature for the held-out prompts, their mean gold reward, learned reward (RM score),
 * KL to the SFT reference, EOS rate and length. `llmts demo --rlhf` and the end-to-end test
 * run this.
 */
import { join } from 'node:path';
import type { GPT } from '../models/gpt.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { ChatTemplate } from '../data/chat/template.ts';
import type { ChatFormat } from '../data/chat/template.ts';
import { chatIds } from '../data/chat/encode.ts';
import { trainSft, SFT_DEFAULTS } from './sft.ts';
import type { SftHyper } from './sft.ts';
import { rankingMetrics, tokenizeGroups, trainRewardModel, REWARD_DEFAULTS } from './reward.ts';
import type { RewardHyper } from './reward.ts';
import { trainPpo, PPO_DEFAULTS } from './ppo.ts';
import type { PpoHyper } from './ppo.ts';
import { trainDpo, DPO_DEFAULTS } from './dpo.ts';
import type { DpoHyper } from './dpo.ts';
import { trainGrpo, trainRloo, GRPO_DEFAULTS, RLOO_DEFAULTS } from './grpo.ts';
import { Generator } from '../core/random.ts';
import type { GrpoHyper } from './grpo.ts';
import type { MetricRecord } from '../train/metrics.ts';
import { evaluatePolicy } from './shared/evaluate.ts';
import type { RewardScorer } from './shared/reward-scorer.ts';
import { ReferenceModel } from './shared/lora.ts';
import { goldPairs } from './tasks/annotate.ts';
import {
  taskPreferences,
  taskSftConversations,
  writePreferenceJsonl,
  TASK_PREFERENCE_DEFAULTS,
} from './tasks/datasets.ts';
import type { TaskPreferenceOptions } from './tasks/datasets.ts';
import type { GoldTask } from './shared/gold-task.ts';

export interface PolicyReport {
  stage: string;
  gold: number;
  /** Mean normalized RM score (null before the RM exists). */
  reward: number | null;
  /** KL to the SFT reference (null before SFT). */
  kl: number | null;
  eosRate: number;
  length: number;
  seconds: number;
}

export interface PipelineOptions {
  task: GoldTask;
  /** The starting model (pretrained or fresh) and its tokenizer. */
  model: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  runDir: string;
  seed: number;
  sftExamples: number;
  sft: Partial<SftHyper>;
  preferences: Partial<TaskPreferenceOptions>;
  rm: Partial<RewardHyper>;
  ppo: Partial<PpoHyper>;
  /** Also run DPO / GRPO / PPO with beta = 0 on the same data and models. */
  dpo?: Partial<DpoHyper> | null;
  grpo?: Partial<GrpoHyper> | null;
  overoptimization?: Partial<PpoHyper> | null;
  /** More offline objectives on the same preference data (KTO, ORPO, SimPO, CPO, IPO), by name. */
  preferenceObjectives?: Record<string, Partial<DpoHyper>>;
  /** RLOO on the same reward model. */
  rloo?: Partial<GrpoHyper> | null;
  /** PPO-ptx: PPO plus gamma x NLL of the task's plain text (its `corpus`). */
  ppoPtx?: Partial<PpoHyper> | null;
  /** How policies are measured. */
  evalSamplesPerPrompt: number;
  log?: (line: string) => void;
  onStep?: (stage: string, r: MetricRecord) => void;
}

export interface PipelineReport {
  policies: PolicyReport[];
  rm: {
    heldOutAccuracy: number;
    goldAccuracy: number;
    pairs: number;
    goldPairs: number;
    trainGroups: number;
    seconds: number;
  };
  /** PPO with beta = 0: the learned reward and the gold reward over training (train-batch means). */
  overoptimization: {
    trajectory: { step: number; reward: number; gold: number; kl: number }[];
    peakGold: number;
    final: PolicyReport;
  } | null;
  sft: GPT;
  ppo: GPT;
  scorer: RewardScorer;
}

export async function runAlignmentPipeline(o: PipelineOptions): Promise<PipelineReport> {
  const log = o.log ?? ((l: string) => console.log(l));
  const template = new ChatTemplate(o.format);
  const temperature = o.ppo.temperature ?? PPO_DEFAULTS.temperature;
  const maxNewTokens = o.ppo.maxNewTokens ?? PPO_DEFAULTS.maxNewTokens;
  const evalPrompts = o.task.prompts('eval');
  const policies: PolicyReport[] = [];
  let scorer: RewardScorer | null = null;
  let reference: ReferenceModel | null = null;
  const measure = (stage: string, policy: GPT, seconds: number): PolicyReport => {
    const ids = chatIds(o.tokenizer, template);
    const e = evaluatePolicy(policy, o.tokenizer, template, ids, {
      prompts: evalPrompts,
      samplesPerPrompt: o.evalSamplesPerPrompt,
      temperature,
      maxNewTokens,
      seed: o.seed + 4242,
      task: o.task,
      rewardModel: scorer,
      reference,
    });
    const r: PolicyReport = {
      stage,
      gold: e.gold!,
      reward: e.reward,
      kl: e.kl,
      eosRate: e.eosRate,
      length: e.length,
      seconds,
    };
    policies.push(r);
    log(
      `      ${stage}: gold ${r.gold.toFixed(3)}${r.reward !== null ? `, RM score ${r.reward.toFixed(3)}` : ''}${r.kl !== null ? `, KL ${r.kl.toFixed(3)}` : ''}, EOS ${(r.eosRate * 100).toFixed(0)}%, ${r.length.toFixed(1)} tokens`,
    );
    return r;
  };
  const clock = (): (() => number) => {
    const t0 = performance.now();
    return () => (performance.now() - t0) / 1000;
  };

  // the starting model, if it can already read the chat format (a pretrained model can: it just does not follow it)
  const known = [o.format.eosToken, o.format.padToken].every((tok) => o.tokenizer.tokenToId(tok) !== undefined);
  if (known && o.model.config.vocabSize >= o.tokenizer.vocabSize) {
    log(`[base] the starting model, prompted with the chat template`);
    measure('base model', o.model, 0);
  }

  // SFT
  log(`[sft] ${o.sftExamples} demonstrations of "${o.task.name}": ${o.task.description}`);
  let t = clock();
  const sftRun = await trainSft({
    ...SFT_DEFAULTS,
    ...o.sft,
    model: o.model,
    tokenizer: o.tokenizer,
    format: o.format,
    seed: o.seed,
    train: taskSftConversations(o.task, o.sftExamples, o.seed),
    val: taskSftConversations(o.task, 200, o.seed + 1, 'eval'),
    runDir: join(o.runDir, 'sft'),
    ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('sft', r) } : {}),
  });
  const sft = sftRun.model;
  const sftSeconds = t();
  log(
    `      ${sftRun.result.steps} steps in ${sftSeconds.toFixed(0)} s, held-out loss on assistant tokens ${sftRun.result.lastEval?.['loss']?.toFixed(3)}`,
  );
  reference = ReferenceModel.fixed(sft);

  // preferences and reward model
  const prefOpts: TaskPreferenceOptions = {
    ...TASK_PREFERENCE_DEFAULTS,
    temperature,
    maxNewTokens,
    seed: o.seed + 7,
    ...o.preferences,
  };
  log(
    `[reward model] ${prefOpts.k} answers of the SFT model per prompt, ranked by simulated annotators (noise ${prefOpts.annotatorTemperature})`,
  );
  t = clock();
  const prefs = taskPreferences(sft, o.tokenizer, o.format, o.task, prefOpts);
  writePreferenceJsonl(join(o.runDir, 'data', 'preferences.jsonl'), prefs.train);
  writePreferenceJsonl(join(o.runDir, 'data', 'preferences-val.jsonl'), prefs.val);
  const rmRun = await trainRewardModel({
    ...REWARD_DEFAULTS,
    ...o.rm,
    backbone: sft,
    tokenizer: o.tokenizer,
    format: o.format,
    train: prefs.train,
    val: prefs.val,
    seed: o.seed,
    runDir: join(o.runDir, 'reward'),
    ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('reward', r) } : {}),
  });
  scorer = rmRun.scorer;
  const ids = chatIds(o.tokenizer, template);
  const gp = tokenizeGroups(
    o.tokenizer,
    template,
    ids.eosId,
    goldPairs(prefs.val),
    rmRun.rm.backbone.config.blockSize,
  ).groups;
  const goldAcc = rankingMetrics(rmRun.rm, gp, ids.padId, ids.eosId);
  const rmSeconds = t();
  log(
    `      ${prefs.train.length} groups (${(prefs.train.length * prefOpts.k * (prefOpts.k - 1)) / 2} pairs); held-out pairwise accuracy ${(rmRun.heldOut.accuracy * 100).toFixed(1)}% vs the annotators, ${(goldAcc.accuracy * 100).toFixed(1)}% vs the gold reward (${goldAcc.pairs} pairs) in ${rmSeconds.toFixed(0)} s`,
  );
  measure('SFT', sft, sftSeconds);

  // PPO
  log(`[ppo] actor + critic (from the RM) + frozen reference + frozen RM; beta ${o.ppo.klCoef ?? PPO_DEFAULTS.klCoef}`);
  t = clock();
  const ppoRun = await trainPpo({
    ...PPO_DEFAULTS,
    evalEvery: 0,
    ...o.ppo,
    policy: sft,
    tokenizer: o.tokenizer,
    format: o.format,
    scorer,
    seed: o.seed,
    prompts: o.task.prompts('train'),
    evalPrompts,
    task: o.task,
    runDir: join(o.runDir, 'ppo'),
    ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('ppo', r) } : {}),
  });
  measure('PPO', ppoRun.actor, t());

  if (o.dpo) {
    log(`[dpo] the same preference data, against the same SFT reference`);
    t = clock();
    const dpoRun = await trainDpo({
      ...DPO_DEFAULTS,
      ...o.dpo,
      policy: sft,
      tokenizer: o.tokenizer,
      format: o.format,
      train: prefs.train,
      val: prefs.val,
      seed: o.seed,
      runDir: join(o.runDir, 'dpo'),
      ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('dpo', r) } : {}),
    });
    measure('DPO', dpoRun.policy, t());
  }
  if (o.grpo) {
    log(`[grpo] the same reward model, groups of ${o.grpo.groupSize ?? GRPO_DEFAULTS.groupSize} answers, no critic`);
    t = clock();
    const grpoRun = await trainGrpo({
      ...GRPO_DEFAULTS,
      evalEvery: 0,
      ...o.grpo,
      policy: sft,
      tokenizer: o.tokenizer,
      format: o.format,
      scorer,
      seed: o.seed,
      prompts: o.task.prompts('train'),
      evalPrompts,
      task: o.task,
      runDir: join(o.runDir, 'grpo'),
      ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('grpo', r) } : {}),
    });
    measure('GRPO', grpoRun.policy, t());
  }
  for (const [name, hyper] of Object.entries(o.preferenceObjectives ?? {})) {
    log(`[${name}] ${hyper.lossType ?? 'dpo'} on the same preference data`);
    t = clock();
    const run = await trainDpo({
      ...DPO_DEFAULTS,
      ...hyper,
      policy: sft,
      tokenizer: o.tokenizer,
      format: o.format,
      train: prefs.train,
      val: prefs.val,
      seed: o.seed,
      runDir: join(o.runDir, name.toLowerCase().replace(/[^a-z0-9]+/g, '-')),
      ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!(name, r) } : {}),
    });
    measure(name, run.policy, t());
  }
  const online = {
    policy: sft,
    tokenizer: o.tokenizer,
    format: o.format,
    scorer,
    seed: o.seed,
    evalPrompts,
    task: o.task,
  };
  if (o.rloo) {
    log(`[rloo] the same reward model, leave-one-out baseline, KL in the reward`);
    t = clock();
    const run = await trainRloo({
      ...RLOO_DEFAULTS,
      evalEvery: 0,
      ...o.rloo,
      ...online,
      prompts: o.task.prompts('train'),
      runDir: join(o.runDir, 'rloo'),
      ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('rloo', r) } : {}),
    });
    measure('RLOO', run.policy, t());
  }
  if (o.ppoPtx) {
    log(`[ppo-ptx] PPO plus a pretraining term on the task's plain sentences`);
    t = clock();
    const run = await trainPpo({
      ...PPO_DEFAULTS,
      evalEvery: 0,
      ...o.ppo,
      ...o.ppoPtx,
      ...online,
      prompts: o.task.prompts('train'),
      ptxTexts: o.task.corpus(new Generator(o.seed + 11), 4000),
      runDir: join(o.runDir, 'ppo-ptx'),
      ...(o.onStep ? { onStep: (r: MetricRecord) => o.onStep!('ppo-ptx', r) } : {}),
    });
    measure('PPO-ptx', run.actor, t());
  }
  let overoptimization: PipelineReport['overoptimization'] = null;
  if (o.overoptimization) {
    log(
      `[ppo, beta = 0] the same PPO without the KL penalty: the learned reward is optimized with nothing holding the policy near the SFT model`,
    );
    t = clock();
    const trajectory: { step: number; reward: number; gold: number; kl: number }[] = [];
    const run = await trainPpo({
      ...PPO_DEFAULTS,
      evalEvery: 0,
      ...o.ppo,
      ...o.overoptimization,
      klCoef: 0,
      klTarget: null,
      policy: sft,
      tokenizer: o.tokenizer,
      format: o.format,
      scorer,
      seed: o.seed,
      prompts: o.task.prompts('train'),
      evalPrompts,
      task: o.task,
      runDir: join(o.runDir, 'ppo-beta0'),
      onStep: (r) => {
        trajectory.push({
          step: r['step'] as number,
          reward: r['reward'] as number,
          gold: r['gold'] as number,
          kl: r['kl'] as number,
        });
        o.onStep?.('ppo-beta0', r);
      },
    });
    const final = measure('PPO beta=0', run.actor, t());
    overoptimization = { trajectory, peakGold: Math.max(...trajectory.map((x) => x.gold)), final };
  }
  return {
    policies,
    rm: {
      heldOutAccuracy: rmRun.heldOut.accuracy,
      goldAccuracy: goldAcc.accuracy,
      pairs: rmRun.heldOut.pairs,
      goldPairs: goldAcc.pairs,
      trainGroups: prefs.train.length,
      seconds: rmSeconds,
    },
    overoptimization,
    sft,
    ppo: ppoRun.actor,
    scorer,
  };
}

/** The report as a Markdown table. */
export function pipelineTable(r: PipelineReport): string {
  const f = (v: number | null, d = 3): string => (v === null ? '-' : v.toFixed(d));
  const rows = r.policies.map(
    (p) =>
      `| ${p.stage} | ${f(p.gold)} | ${f(p.reward)} | ${f(p.kl)} | ${(p.eosRate * 100).toFixed(0)}% | ${p.length.toFixed(1)} | ${p.seconds.toFixed(0)} |`,
  );
  return [
    '| policy | gold reward | RM score | KL to SFT | EOS | length | train s |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
