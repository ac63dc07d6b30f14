/**
 * Direct preference optimization (Rafailov et al., arXiv:2305.18290, Eq. 7): the policy (a
 * copy of the SFT model) learns from preference pairs directly, no reward model and no
 * sampling, against a frozen reference (the SFT model):
 *
 *   h = (log pi(y_w) - log pi_ref(y_w)) - (log pi(y_l) - log pi_ref(y_l))
 *   sigmoid   -log sigmoid(beta * h)               (label smoothing e: conservative DPO)
 *   ipo       (h' - 1 / (2 beta))^2 with h' from length-averaged log-probs (TRL's IPO)
 *
 * Sequence log-probabilities are sums over the answer tokens (EOS included). Reference
 * log-probabilities are computed once, up front. Ranked groups (K > 2) are expanded into
 * all their ordered pairs, so DPO reads the reward model's dataset.
 */
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { add, mul, neg, square, sub } from '../engine/ops/elementwise.ts';
import { slice } from '../engine/ops/movement.ts';
import { mean, sum } from '../engine/ops/reduce.ts';
import { ArgumentError } from '../core/errors.ts';
import type { GPT } from '../models/gpt.ts';
import { specOf } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import type { ChatFormat } from '../data/chat/template.ts';
import { readPreferenceJsonl } from '../data/chat/dataset.ts';
import type { PreferenceGroup } from '../data/chat/dataset.ts';
import type { JsonValue } from '../core/json.ts';
import type { LoopResult, MicroBatchResult, TrainTask } from '../train/loop.ts';
import type { MetricRecord } from '../train/metrics.ts';
import { buildSequenceBatch } from './shared/batch.ts';
import { batchTensors, policyForward } from './shared/forward.ts';
import { negLogSigmoid } from './shared/ranking-loss.ts';
import { EpochSampler } from './shared/sampler.ts';
import { cloneGpt, prepareForChat, shareFrozenWeights, writeStageRunFiles } from './shared/setup.ts';
import { runStageLoop, stageCheckpointer, stageMaxLength } from './shared/stage-loop.ts';
import { addLora, LORA_DEFAULTS, ReferenceModel, writeAdapterFiles } from './shared/lora.ts';
import type { StageLoopHyper } from './shared/stage-loop.ts';
import { readStageFiles } from './shared/stage-files.ts';
import type { StageFileInputs } from './shared/stage-files.ts';
import { rankedPairs } from './tasks/annotate.ts';
import { tokenizeGroups } from './reward.ts';
import type { TokenizedGroup } from './reward.ts';

export type DpoLossType = 'sigmoid' | 'ipo';

export interface DpoLossResult {
  loss: Tensor;
  /** beta * (log pi - log pi_ref) of chosen and rejected answers: DPO's implicit rewards. */
  rewardsChosen: Float32Array;
  rewardsRejected: Float32Array;
}

/**
 * The DPO loss from per-pair log-probabilities (sums, or length-averaged for IPO). Inputs
 * [B] each; the reference ones are constants.
 */
export function dpoLoss(
  policyChosen: Tensor,
  policyRejected: Tensor,
  refChosen: Tensor,
  refRejected: Tensor,
  beta: number,
  type: DpoLossType,
  labelSmoothing = 0,
): DpoLossResult {
  if (!(beta > 0)) throw new ArgumentError('dpo.beta', `must be > 0, got ${beta}`);
  const chosenRatio = sub(policyChosen, refChosen);
  const rejectedRatio = sub(policyRejected, refRejected);
  const h = sub(chosenRatio, rejectedRatio);
  let loss: Tensor;
  if (type === 'ipo') loss = mean(square(sub(h, 1 / (2 * beta))));
  else {
    const bh = mul(h, beta);
    loss = mean(negLogSigmoid(bh));
    if (labelSmoothing > 0)
      loss = add(mul(loss, 1 - labelSmoothing), mul(mean(negLogSigmoid(neg(bh))), labelSmoothing));
  }
  const rc = noGrad(() => mul(chosenRatio, beta).toTypedArray() as Float32Array);
  const rr = noGrad(() => mul(rejectedRatio, beta).toTypedArray() as Float32Array);
  return { loss, rewardsChosen: rc, rewardsRejected: rr };
}

/** A tokenized pair and its reference log-probabilities (sum and token count per answer). */
interface DpoPair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  refChosen: number;
  refRejected: number;
}

/** Sum of log-probs over each row's answer tokens ([2B] rows: chosen then rejected) and the counts. */
function sequenceLogprobs(
  model: GPT,
  pairs: readonly { prompt: number[]; chosen: number[]; rejected: number[] }[],
  padId: number,
  eosId: number,
): { sums: Tensor; counts: Float32Array } {
  const prompts = [...pairs.map((p) => p.prompt), ...pairs.map((p) => p.prompt)];
  const responses = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
  const batch = buildSequenceBatch(prompts, responses, padId, eosId);
  const { logprobs } = policyForward(model, batch, 1);
  const { responseMask } = batchTensors(batch);
  return { sums: sum(mul(logprobs, responseMask), 1), counts: Float32Array.from(batch.responseLengths) };
}

class DpoTask implements TrainTask {
  private readonly sampler: EpochSampler;
  constructor(
    readonly model: GPT,
    readonly train: readonly DpoPair[],
    readonly val: readonly DpoPair[],
    readonly batchSize: number,
    readonly ids: { padId: number; eosId: number },
    readonly beta: number,
    readonly lossType: DpoLossType,
    readonly labelSmoothing: number,
    seed: number,
    readonly extraEval?: () => Record<string, number>,
  ) {
    this.sampler = new EpochSampler(train.length, seed);
  }

  losses(pairs: readonly DpoPair[]): DpoLossResult {
    const B = pairs.length;
    const { sums, counts } = sequenceLogprobs(this.model, pairs, this.ids.padId, this.ids.eosId);
    const ipo = this.lossType === 'ipo';
    // IPO compares length-averaged log-probabilities (TRL)
    const norm = ipo
      ? tensor(
          counts.map((c) => 1 / c),
          { shape: [2 * B] },
        )
      : null;
    const lp = norm !== null ? mul(sums, norm) : sums;
    const ref = (k: 'refChosen' | 'refRejected', off: number): Tensor =>
      tensor(
        Float32Array.from(pairs, (p, i) => (ipo ? p[k] / counts[off + i]! : p[k])),
        { shape: [B] },
      );
    return dpoLoss(
      slice(lp, 0, 0, B),
      slice(lp, 0, B, 2 * B),
      ref('refChosen', 0),
      ref('refRejected', B),
      this.beta,
      this.lossType,
      this.labelSmoothing,
    );
  }

  microBatch(): MicroBatchResult {
    const pairs = this.sampler.next(this.batchSize).map((i) => this.train[i]!);
    const r = this.losses(pairs);
    const stats = pairStats(r);
    return { loss: r.loss, tokens: pairs.length, metrics: stats };
  }

  evaluate(): Record<string, number> {
    const set = this.val.length > 0 ? this.val : this.train.slice(0, 64);
    let loss = 0;
    let correct = 0;
    let margin = 0;
    for (let i = 0; i < set.length; i += this.batchSize) {
      const part = set.slice(i, i + this.batchSize);
      const r = noGrad(() =>
        tidy(() => {
          const out = this.losses(part);
          return { loss: out.loss.item(), ...pairStats(out) };
        }),
      );
      loss += r.loss * part.length;
      correct += r.accuracy * part.length;
      margin += r.margin * part.length;
    }
    return {
      loss: loss / set.length,
      accuracy: correct / set.length,
      margin: margin / set.length,
      ...(this.extraEval?.() ?? {}),
    };
  }

  state(): JsonValue {
    return { sampler: this.sampler.getState() };
  }

  loadState(s: JsonValue): void {
    this.sampler.setState((s as { sampler: JsonValue }).sampler);
  }
}

function pairStats(r: DpoLossResult): {
  rewards_chosen: number;
  rewards_rejected: number;
  accuracy: number;
  margin: number;
} {
  const n = r.rewardsChosen.length;
  let c = 0;
  let rj = 0;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    c += r.rewardsChosen[i]!;
    rj += r.rewardsRejected[i]!;
    if (r.rewardsChosen[i]! > r.rewardsRejected[i]!) acc++;
  }
  return { rewards_chosen: c / n, rewards_rejected: rj / n, accuracy: acc / n, margin: (c - rj) / n };
}

export interface DpoHyper extends StageLoopHyper {
  beta: number;
  lossType: DpoLossType;
  labelSmoothing: number;
}

export const DPO_DEFAULTS: DpoHyper = {
  batchSize: 16,
  steps: 200,
  lr: 5e-5,
  minLr: 5e-6,
  warmupSteps: 10,
  weightDecay: 0,
  gradClip: 1.0,
  gradAccumSteps: 1,
  beta: 0.1,
  lossType: 'sigmoid',
  labelSmoothing: 0,
  ...LORA_DEFAULTS,
  evalEvery: 50,
  checkpointEvery: 100,
  maxLength: null,
  seed: 1337,
  resume: false,
  timeLimitSeconds: null,
};

export interface DpoOptions extends DpoHyper {
  /** The SFT model: copied into the policy and the frozen reference. */
  policy: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  /** Pairs or ranked groups (expanded into pairs). */
  train: readonly PreferenceGroup[];
  val: readonly PreferenceGroup[];
  runDir: string;
  extraEval?: (policy: GPT, reference: ReferenceModel) => Record<string, number>;
  onStep?: (r: MetricRecord) => void;
  inputs?: Record<string, string>;
}

export interface DpoResult {
  policy: GPT;
  reference: ReferenceModel;
  result: LoopResult;
  stats: { trainPairs: number; valPairs: number; dropped: number };
}

function toPairs(groups: readonly TokenizedGroup[]): { prompt: number[]; chosen: number[]; rejected: number[] }[] {
  return groups.map((g) => ({ prompt: g.prompt, chosen: g.responses[0]!, rejected: g.responses[1]! }));
}

function withReference(
  ref: ReferenceModel,
  pairs: readonly { prompt: number[]; chosen: number[]; rejected: number[] }[],
  padId: number,
  eosId: number,
): DpoPair[] {
  const out: DpoPair[] = [];
  for (let i = 0; i < pairs.length; i += 32) {
    const part = pairs.slice(i, i + 32);
    const sums = noGrad(() => tidy(() => ref.run((m) => sequenceLogprobs(m, part, padId, eosId).sums.toTypedArray())));
    part.forEach((p, j) => out.push({ ...p, refChosen: sums[j]!, refRejected: sums[part.length + j]! }));
  }
  return out;
}

export async function trainDpo(o: DpoOptions): Promise<DpoResult> {
  const prepared = prepareForChat(o.policy, o.tokenizer, o.format, o.seed);
  const policy = cloneGpt(prepared.model, o.seed);
  if (o.loraR > 0) {
    if (prepared.added > 0)
      throw new ArgumentError('dpo', "LoRA needs a policy that knows the chat format's special tokens: run SFT first");
    shareFrozenWeights(policy, prepared.model);
  }
  const lora = addLora(policy, policy, o, o.seed);
  policy.eval(); // dropout off: the log-probabilities of policy and reference must be comparable
  const reference = ReferenceModel.forPolicy(policy, prepared.model, o.seed);
  const { padId, eosId } = prepared.ids;
  const maxLength = stageMaxLength(o.maxLength, policy.config.blockSize);
  const tr = tokenizeGroups(o.tokenizer, prepared.template, eosId, rankedPairs(o.train), maxLength);
  const va = tokenizeGroups(o.tokenizer, prepared.template, eosId, rankedPairs(o.val), maxLength);
  if (tr.groups.length === 0)
    throw new ArgumentError('dpo', 'no preference pair with two different answers fits in max_length');
  const train = withReference(reference, toPairs(tr.groups), padId, eosId);
  const val = withReference(reference, toPairs(va.groups), padId, eosId);
  const spec = specOf(policy);
  const record = writeStageRunFiles('dpo', o, spec, [
    'policy',
    'tokenizer',
    'format',
    'train',
    'val',
    'extraEval',
    'onStep',
    'inputs',
  ]);
  const extra = o.extraEval;
  const task = new DpoTask(
    policy,
    train,
    val,
    o.batchSize,
    { padId, eosId },
    o.beta,
    o.lossType,
    o.labelSmoothing,
    o.seed,
    extra ? () => extra(policy, reference) : undefined,
  );
  const result = await runStageLoop(o, {
    model: policy,
    task,
    betas: [0.9, 0.999],
    progressLabel: `dpo (${o.lossType})`,
    checkpointer: (optimizer) => stageCheckpointer(o.runDir, policy, spec, optimizer, record),
  });
  if (lora !== null) writeAdapterFiles(o.runDir, policy, lora, o.inputs?.['model'] ?? null);
  return {
    policy,
    reference,
    result,
    stats: { trainPairs: train.length, valPairs: val.length, dropped: tr.dropped + va.dropped },
  };
}

/** `model` is the SFT run directory (policy and reference start from it). */
export interface DpoFileConfig extends DpoHyper, StageFileInputs {}

/** `llmts dpo`: files in, run directory out. */
export async function dpoFromFiles(c: DpoFileConfig): Promise<DpoResult> {
  const { policy, format, train, val, hyper } = readStageFiles(c, readPreferenceJsonl);
  return trainDpo({
    ...hyper,
    policy: policy.model,
    tokenizer: policy.tokenizer,
    format,
    train,
    val,
    runDir: c.runDir,
    inputs: { model: c.model, data: c.data },
  });
}
