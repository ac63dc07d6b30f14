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
import { mul, sub } from '../engine/ops/elementwise.ts';
import { slice } from '../engine/ops/movement.ts';
import { sum } from '../engine/ops/reduce.ts';
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
import { cpoLoss, dpoLoss, ktoLoss, orpoLoss, simpoLoss } from './shared/preference-losses.ts';
import type { PreferenceLossResult } from './shared/preference-losses.ts';
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

/**
 * The objective: DPO (sigmoid), IPO and KTO against the frozen reference; ORPO, SimPO and
 * CPO without one (formulas in shared/preference-losses.ts).
 */
export type DpoLossType = 'sigmoid' | 'ipo' | 'kto' | 'orpo' | 'simpo' | 'cpo';

export const PREFERENCE_LOSSES: readonly DpoLossType[] = ['sigmoid', 'ipo', 'kto', 'orpo', 'simpo', 'cpo'];

/** Whether an objective compares with a reference model. */
export function usesReference(t: DpoLossType): boolean {
  return t === 'sigmoid' || t === 'ipo' || t === 'kto';
}

export type DpoLossResult = PreferenceLossResult;
export { dpoLoss };

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
    readonly h: DpoHyper,
    /** The frozen reference (KTO's reference point needs it during training), or null. */
    readonly reference: ReferenceModel | null,
    seed: number,
    readonly extraEval?: () => Record<string, number>,
  ) {
    this.sampler = new EpochSampler(train.length, seed);
  }

  losses(pairs: readonly DpoPair[]): DpoLossResult {
    const B = pairs.length;
    const { sums, counts } = sequenceLogprobs(this.model, pairs, this.ids.padId, this.ids.eosId);
    const chosen = slice(sums, 0, 0, B);
    const rejected = slice(sums, 0, B, 2 * B);
    const perToken = (t: Tensor, off: number): Tensor =>
      mul(
        t,
        tensor(
          Float32Array.from({ length: B }, (_, i) => 1 / counts[off + i]!),
          { shape: [B] },
        ),
      );
    const h = this.h;
    // the SFT term of ORPO and CPO: token-mean NLL of the chosen answers
    const nllChosen = (): Tensor => mul(sum(chosen), -1 / counts.slice(0, B).reduce((a, c) => a + c, 0));
    switch (h.lossType) {
      case 'orpo':
        return orpoLoss(perToken(chosen, 0), perToken(rejected, B), nllChosen(), h.beta);
      case 'simpo':
        return simpoLoss(perToken(chosen, 0), perToken(rejected, B), h.beta, h.simpoGamma, h.labelSmoothing);
      case 'cpo':
        return cpoLoss(chosen, rejected, nllChosen(), h.beta, h.cpoAlpha);
      case 'kto': {
        const ref = (k: 'refChosen' | 'refRejected'): Tensor =>
          tensor(
            Float32Array.from(pairs, (p) => p[k]),
            { shape: [B] },
          );
        // the reference point: each prompt with the next pair's chosen answer (TRL's mismatched KL pairs)
        const mismatched = pairs.map((p, i) => ({ ...p, chosen: pairs[(i + 1) % B]!.chosen }));
        const kl = noGrad(() => {
          const pol = sequenceLogprobs(this.model, mismatched, this.ids.padId, this.ids.eosId).sums;
          const ref = this.reference!.run((m) => sequenceLogprobs(m, mismatched, this.ids.padId, this.ids.eosId).sums);
          return tensor(
            Float32Array.from(sub(slice(pol, 0, 0, B), slice(ref, 0, 0, B)).toTypedArray() as Float32Array),
            {
              shape: [B],
            },
          );
        });
        return ktoLoss(
          sub(chosen, ref('refChosen')),
          sub(rejected, ref('refRejected')),
          kl,
          h.beta,
          h.desirableWeight,
          h.undesirableWeight,
        );
      }
      default: {
        const ipo = h.lossType === 'ipo';
        // IPO compares length-averaged log-probabilities (TRL)
        const ref = (k: 'refChosen' | 'refRejected', off: number): Tensor =>
          tensor(
            Float32Array.from(pairs, (p, i) => (ipo ? p[k] / counts[off + i]! : p[k])),
            { shape: [B] },
          );
        return dpoLoss(
          ipo ? perToken(chosen, 0) : chosen,
          ipo ? perToken(rejected, B) : rejected,
          ref('refChosen', 0),
          ref('refRejected', B),
          h.beta,
          h.lossType === 'ipo' ? 'ipo' : 'sigmoid',
          h.labelSmoothing,
        );
      }
    }
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
  /** SimPO's target margin gamma (TRL simpo_gamma). */
  simpoGamma: number;
  /** CPO's weight of the NLL term (TRL cpo_alpha). */
  cpoAlpha: number;
  /** KTO's weights of desirable and undesirable answers. */
  desirableWeight: number;
  undesirableWeight: number;
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
  simpoGamma: 0.5,
  cpoAlpha: 1,
  desirableWeight: 1,
  undesirableWeight: 1,
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
  ref: ReferenceModel | null,
  pairs: readonly { prompt: number[]; chosen: number[]; rejected: number[] }[],
  padId: number,
  eosId: number,
): DpoPair[] {
  const out: DpoPair[] = [];
  if (ref === null) return pairs.map((p) => ({ ...p, refChosen: 0, refRejected: 0 }));
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
  // reference-free objectives (ORPO, SimPO, CPO) skip the reference forwards
  const ref = usesReference(o.lossType) ? reference : null;
  const train = withReference(ref, toPairs(tr.groups), padId, eosId);
  const val = withReference(ref, toPairs(va.groups), padId, eosId);
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
    o,
    o.lossType === 'kto' ? reference : null,
    o.seed,
    extra ? () => extra(policy, reference) : undefined,
  );
  const result = await runStageLoop(o, {
    model: policy,
    task,
    betas: [0.9, 0.999],
    progressLabel: o.lossType === 'sigmoid' ? 'dpo' : o.lossType,
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
