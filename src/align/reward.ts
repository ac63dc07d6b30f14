/**
 * Reward-model training (stage 2 of the notes' section 3): a GPT backbone (the SFT model by
 * default) with a scalar head read at the last real token of `prompt ‖ answer ‖ EOS`,
 * trained on ranked answers with the K-way ranking loss (pairs are K = 2; optional margin
 * and reward centering), held-out pairwise accuracy, and afterwards a gain and bias so the
 * SFT policy's answers score mean 0, std 1 (detail 16). Dropout is off (TRL's default).
 *
 * Run directory: checkpoint-{last,best}.safetensors (backbone under model/, head under
 * head/), reward_model.json (normalization, accuracy), tokenizer files, metrics.jsonl,
 * loss.svg, accuracy.svg.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { Generator } from '../core/random.ts';
import { ArgumentError, FormatError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { checkpointPath } from '../io/checkpoint.ts';
import type { GPT } from '../models/gpt.ts';
import { ScalarHeadModel } from '../models/heads.ts';
import { specOf } from '../models/registry.ts';
import type { ModelSpec } from '../models/registry.ts';
import type { AdamW } from '../optim/adamw.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { encodePrompt, encodeResponse } from '../data/chat/encode.ts';
import type { ChatFormat, ChatTemplate } from '../data/chat/template.ts';
import { readPreferenceJsonl } from '../data/chat/dataset.ts';
import type { PreferenceGroup } from '../data/chat/dataset.ts';
import { resolveChatFormat, runChatFormat } from '../data/chat/format-file.ts';
import { lineChartSvg } from '../core/plot.ts';
import type { JsonValue } from '../core/json.ts';
import type { Checkpointer } from '../io/checkpoint.ts';
import type { LoopResult, MicroBatchResult, TrainTask } from '../train/loop.ts';
import { MetricsLog, seriesOf } from '../train/metrics.ts';
import type { MetricRecord } from '../train/metrics.ts';
import { buildSequenceBatch } from './shared/batch.ts';
import type { SequenceBatch } from './shared/batch.ts';
import { rewardForward } from './shared/forward.ts';
import { rankingLoss } from './shared/ranking-loss.ts';
import type { RankedGroup } from './shared/ranking-loss.ts';
import { EpochSampler } from './shared/sampler.ts';
import { cloneGpt, loadPolicyRun, prepareForChat, writeStageRunFiles } from './shared/setup.ts';
import { runStageLoop, stageMaxLength } from './shared/stage-loop.ts';
import type { StageLoopHyper } from './shared/stage-loop.ts';
import { readStageFiles } from './shared/stage-files.ts';
import type { StageFileInputs } from './shared/stage-files.ts';
import { restoreMultiCheckpoint, saveMultiCheckpoint } from './shared/checkpoint.ts';
import { RewardScorer } from './shared/reward-scorer.ts';
import { addLora, LORA_DEFAULTS } from './shared/lora.ts';
import type { RewardNormalization } from './shared/reward-scorer.ts';

/** A preference group as token ids: the prompt and its answers (each ending in EOS), best first. */
export interface TokenizedGroup {
  prompt: number[];
  responses: number[][];
  margin?: number;
}

export function tokenizeGroups(
  tokenizer: Tokenizer,
  template: ChatTemplate,
  eosId: number,
  groups: readonly PreferenceGroup[],
  maxLength: number,
): { groups: TokenizedGroup[]; dropped: number } {
  const out: TokenizedGroup[] = [];
  let dropped = 0;
  for (const g of groups) {
    const prompt = encodePrompt(tokenizer, template, g.prompt);
    const responses = g.responses.map((r) => encodeResponse(tokenizer, r, eosId));
    // an answer cut by max_length would be scored at the wrong token: drop the group
    if (responses.some((r) => prompt.length + r.length > maxLength)) {
      dropped++;
      continue;
    }
    out.push({ prompt, responses, ...(g.margin !== undefined ? { margin: g.margin } : {}) });
  }
  return { groups: out, dropped };
}

/** All answers of some groups as one batch, and the groups' rows in it. */
export function groupBatch(
  groups: readonly TokenizedGroup[],
  padId: number,
  eosId: number,
): { batch: SequenceBatch; ranked: RankedGroup[] } {
  const prompts: number[][] = [];
  const responses: number[][] = [];
  const ranked: RankedGroup[] = [];
  for (const g of groups) {
    const rows: number[] = [];
    for (const r of g.responses) {
      rows.push(prompts.length);
      prompts.push(g.prompt);
      responses.push(r);
    }
    ranked.push({ rows, ...(g.margin !== undefined ? { margin: g.margin } : {}) });
  }
  return { batch: buildSequenceBatch(prompts, responses, padId, eosId), ranked };
}

/** Pairwise accuracy and loss of a reward model on groups (no gradient). */
export function rankingMetrics(
  rm: ScalarHeadModel,
  groups: readonly TokenizedGroup[],
  padId: number,
  eosId: number,
  chunk = 32,
): { accuracy: number; loss: number; pairs: number } {
  let correct = 0;
  let pairs = 0;
  let loss = 0;
  for (let i = 0; i < groups.length; i += chunk) {
    const part = groups.slice(i, i + chunk);
    const { batch, ranked } = groupBatch(part, padId, eosId);
    const r = noGrad(() =>
      tidy(() => {
        const out = rankingLoss(rewardForward(rm, batch), ranked);
        return { loss: out.loss.item(), accuracy: out.accuracy, pairs: out.pairs };
      }),
    );
    correct += r.accuracy * r.pairs;
    pairs += r.pairs;
    loss += r.loss * part.length;
  }
  return { accuracy: pairs > 0 ? correct / pairs : NaN, loss: groups.length > 0 ? loss / groups.length : NaN, pairs };
}

class RewardTask implements TrainTask {
  private readonly sampler: EpochSampler;
  constructor(
    readonly rm: ScalarHeadModel,
    readonly train: readonly TokenizedGroup[],
    readonly val: readonly TokenizedGroup[],
    readonly batchSize: number,
    readonly ids: { padId: number; eosId: number },
    readonly centerCoef: number,
    seed: number,
    readonly extraEval?: () => Record<string, number>,
  ) {
    this.sampler = new EpochSampler(train.length, seed);
  }

  microBatch(): MicroBatchResult {
    const groups = this.sampler.next(this.batchSize).map((i) => this.train[i]!);
    const { batch, ranked } = groupBatch(groups, this.ids.padId, this.ids.eosId);
    const scores: Tensor = rewardForward(this.rm, batch);
    const out = rankingLoss(scores, ranked, this.centerCoef);
    const s = scores.toTypedArray();
    let mean = 0;
    for (const v of s) mean += v / s.length;
    return {
      loss: out.loss,
      tokens: batch.B,
      metrics: { accuracy: out.accuracy, margin: out.meanMargin, reward_mean: mean },
    };
  }

  evaluate(): Record<string, number> {
    const set = this.val.length > 0 ? this.val : this.train.slice(0, 64);
    const m = rankingMetrics(this.rm, set, this.ids.padId, this.ids.eosId);
    return { loss: m.loss, accuracy: m.accuracy, ...(this.extraEval?.() ?? {}) };
  }

  state(): JsonValue {
    return { sampler: this.sampler.getState() };
  }

  loadState(s: JsonValue): void {
    this.sampler.setState((s as { sampler: JsonValue }).sampler);
  }
}

/** The loop's Checkpointer for a reward model: backbone under model/, head under head/. */
class RewardCheckpointer implements Checkpointer {
  constructor(
    readonly runDir: string,
    readonly rm: ScalarHeadModel,
    readonly spec: ModelSpec,
    readonly optimizer: AdamW,
    readonly train: JsonValue,
  ) {}
  save(kind: 'last' | 'best', step: number, extra: JsonValue): void {
    saveMultiCheckpoint(checkpointPath(this.runDir, kind), {
      spec: this.spec,
      modules: [
        { prefix: 'model', module: this.rm.backbone },
        { prefix: 'head', module: this.rm.head },
      ],
      optimizers: [{ prefix: 'optim', optimizer: this.optimizer }],
      rng: this.rm.backbone.generator.getState(),
      step,
      extra,
      train: this.train,
    });
  }
  restore(): { step: number; extra: JsonValue } | null {
    const path = checkpointPath(this.runDir, 'last');
    if (!existsSync(path)) return null;
    const r = restoreMultiCheckpoint(
      path,
      [
        { prefix: 'model', module: this.rm.backbone },
        { prefix: 'head', module: this.rm.head },
      ],
      [{ prefix: 'optim', optimizer: this.optimizer }],
    );
    return { step: r.step, extra: r.extra };
  }
}

export interface RewardHyper extends StageLoopHyper {
  /** TRL's center_rewards_coefficient (0: off; 0.01 recommended). */
  centerCoef: number;
}

export const REWARD_DEFAULTS: RewardHyper = {
  batchSize: 16,
  steps: 300,
  lr: 1e-4,
  minLr: 1e-5,
  warmupSteps: 10,
  weightDecay: 0,
  gradClip: 1.0,
  gradAccumSteps: 1,
  centerCoef: 0,
  ...LORA_DEFAULTS,
  evalEvery: 50,
  checkpointEvery: 100,
  maxLength: null,
  seed: 1337,
  resume: false,
  timeLimitSeconds: null,
};

export interface RewardOptions extends RewardHyper {
  /** The backbone (copied; the SFT model by default). */
  backbone: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  train: readonly PreferenceGroup[];
  val: readonly PreferenceGroup[];
  /** Answers of the policy the RM will judge (prompt + answer), for the mean-0/std-1 normalization; default: the training answers. */
  normalizationSet?: readonly { prompt: PreferenceGroup['prompt']; response: string }[];
  runDir: string;
  extraEval?: (rm: ScalarHeadModel) => Record<string, number>;
  onStep?: (r: MetricRecord) => void;
  inputs?: Record<string, string>;
}

export interface RewardResult {
  rm: ScalarHeadModel;
  scorer: RewardScorer;
  normalization: RewardNormalization;
  heldOut: { accuracy: number; loss: number; pairs: number };
  result: LoopResult;
  stats: { trainGroups: number; valGroups: number; dropped: number };
}

export interface RewardModelInfo {
  normalization: RewardNormalization;
  heldOutAccuracy: number;
}

export const REWARD_INFO_FILE = 'reward_model.json';

export async function trainRewardModel(o: RewardOptions): Promise<RewardResult> {
  const prepared = prepareForChat(cloneGpt(o.backbone, o.seed), o.tokenizer, o.format, o.seed);
  const rm = new ScalarHeadModel(prepared.model, 'reward', o.seed);
  // LoRA: adapters on the backbone; the score head trains fully (PEFT's SEQ_CLS modules_to_save)
  if (addLora(rm, rm.backbone, o, o.seed, 'backbone.') !== null) rm.head.requiresGrad_(true);
  const { padId, eosId } = prepared.ids;
  const maxLength = stageMaxLength(o.maxLength, rm.backbone.config.blockSize);
  const tr = tokenizeGroups(o.tokenizer, prepared.template, eosId, o.train, maxLength);
  const va = tokenizeGroups(o.tokenizer, prepared.template, eosId, o.val, maxLength);
  if (tr.groups.length === 0) throw new ArgumentError('reward', 'no preference group fits in max_length');
  const spec = specOf(rm.backbone);
  const record = writeStageRunFiles('reward', o, spec, [
    'backbone',
    'tokenizer',
    'format',
    'train',
    'val',
    'normalizationSet',
    'extraEval',
    'onStep',
    'inputs',
  ]);

  rm.eval(); // dropout off in the reward model (TRL disable_dropout)
  const extra = o.extraEval;
  const task = new RewardTask(
    rm,
    tr.groups,
    va.groups,
    o.batchSize,
    { padId, eosId },
    o.centerCoef,
    o.seed,
    extra ? () => extra(rm) : undefined,
  );
  const result = await runStageLoop(o, {
    model: rm,
    task,
    betas: [0.9, 0.95],
    progressLabel: 'reward model',
    checkpointer: (optimizer) => new RewardCheckpointer(o.runDir, rm, spec, optimizer, record),
  });
  rm.eval();
  // the run's model is its best checkpoint (as loadModelFromRun): use exactly those weights
  const best = checkpointPath(o.runDir, 'best');
  if (existsSync(best))
    restoreMultiCheckpoint(
      best,
      [
        { prefix: 'model', module: rm.backbone },
        { prefix: 'head', module: rm.head },
      ],
      [],
    );

  const normSet =
    o.normalizationSet ?? o.train.flatMap((g) => g.responses.map((response) => ({ prompt: g.prompt, response })));
  const normalization = fitNormalization(
    rm,
    normSet.map((x) => ({
      prompt: encodePrompt(o.tokenizer, prepared.template, x.prompt),
      response: encodeResponse(o.tokenizer, x.response, eosId),
    })),
    padId,
    eosId,
  );
  const heldOut = rankingMetrics(rm, va.groups.length > 0 ? va.groups : tr.groups, padId, eosId);
  const info: RewardModelInfo = { normalization, heldOutAccuracy: heldOut.accuracy };
  writeFileAtomic(join(o.runDir, REWARD_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  await writeRewardPlots(o.runDir);
  return {
    rm,
    scorer: new RewardScorer(rm, normalization, padId, eosId),
    normalization,
    heldOut,
    result,
    stats: { trainGroups: tr.groups.length, valGroups: va.groups.length, dropped: tr.dropped + va.dropped },
  };
}

/** Gain and bias so these answers score mean 0, std 1 (capped to 4096 answers). */
export function fitNormalization(
  rm: ScalarHeadModel,
  items: readonly { prompt: number[]; response: number[] }[],
  padId: number,
  eosId: number,
): RewardNormalization {
  const pool =
    items.length > 4096
      ? Array.from(new Generator(0).permutation(items.length).subarray(0, 4096), (i) => items[i]!)
      : items;
  const scorer = new RewardScorer(rm, { mean: 0, std: 1 }, padId, eosId);
  const raw: number[] = [];
  for (let i = 0; i < pool.length; i += 128) {
    const part = pool.slice(i, i + 128);
    raw.push(
      ...scorer.score(
        buildSequenceBatch(
          part.map((x) => x.prompt),
          part.map((x) => x.response),
          padId,
          eosId,
        ),
      ).raw,
    );
  }
  if (raw.length < 2) return { mean: raw[0] ?? 0, std: 1 };
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  const std = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / (raw.length - 1));
  return { mean, std: std > 1e-6 ? std : 1 };
}

async function writeRewardPlots(runDir: string): Promise<void> {
  const records = new MetricsLog(join(runDir, 'metrics.jsonl')).read();
  const svg = await lineChartSvg({
    title: 'Reward model pairwise accuracy',
    xLabel: 'step',
    yLabel: 'accuracy',
    series: [
      { name: 'train (batch)', points: seriesOf(records, 'accuracy', 'train') },
      { name: 'held out', points: seriesOf(records, 'accuracy', 'eval') },
    ],
  });
  writeFileAtomic(join(runDir, 'accuracy.svg'), svg);
}

/** A trained reward model from its run directory (best checkpoint, else last), frozen, with its normalization. */
export function loadRewardModel(runDir: string): {
  rm: ScalarHeadModel;
  info: RewardModelInfo;
  tokenizer: Tokenizer;
  format: ChatFormat;
  spec: ModelSpec;
} {
  const best = checkpointPath(runDir, 'best');
  const path = existsSync(best) ? best : checkpointPath(runDir, 'last');
  const infoPath = join(runDir, REWARD_INFO_FILE);
  if (!existsSync(path) || !existsSync(infoPath))
    throw new FormatError(runDir, `not a finished reward-model run (needs a checkpoint and ${REWARD_INFO_FILE})`);
  const policy = loadPolicyRun(runDir);
  const rm = new ScalarHeadModel(cloneGpt(policy.model), 'reward');
  restoreMultiCheckpoint(
    path,
    [
      { prefix: 'model', module: rm.backbone },
      { prefix: 'head', module: rm.head },
    ],
    [],
  );
  let info: RewardModelInfo;
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8')) as RewardModelInfo;
  } catch (err) {
    throw new FormatError(infoPath, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof info.normalization?.mean !== 'number' || typeof info.normalization?.std !== 'number')
    throw new FormatError(infoPath, 'missing normalization {mean, std}', 'normalization');
  const format = runChatFormat(runDir) ?? resolveChatFormat('chatml');
  rm.eval();
  rm.requiresGrad_(false);
  return { rm, info, tokenizer: policy.tokenizer, format, spec: specOf(rm.backbone) };
}

/** `model` is the SFT run directory (the backbone and the tokenizer). */
export interface RewardFileConfig extends RewardHyper, StageFileInputs {}

/** `llmts rm`: files in, run directory out. */
export async function rewardFromFiles(c: RewardFileConfig): Promise<RewardResult> {
  const { policy, format, train, val, hyper } = readStageFiles(c, readPreferenceJsonl);
  return trainRewardModel({
    ...hyper,
    backbone: policy.model,
    tokenizer: policy.tokenizer,
    format,
    train,
    val,
    runDir: c.runDir,
    inputs: { model: c.model, data: c.data },
  });
}
