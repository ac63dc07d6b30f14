/**
 * Supervised fine-tuning (stage 1 of the notes' section 3): conversations rendered with a
 * chat template, next-token cross-entropy on assistant tokens only (every assistant turn
 * ends in EOS), right padding with a pad token distinct from EOS, optional packing of several
 * conversations per row (block-diagonal attention, positions restarting per conversation).
 * Runs on the shared training loop: warmup + cosine, AdamW, clipping, eval, checkpoints,
 * metrics.jsonl, loss.svg.
 */
import type { Tensor } from '../engine/tensor.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import { ArgumentError, ConfigError } from '../core/errors.ts';
import type { GPT } from '../models/gpt.ts';
import { specOf } from '../models/registry.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { encodeChat } from '../data/chat/encode.ts';
import { ChatTemplate } from '../data/chat/template.ts';
import type { ChatFormat, ChatMessage } from '../data/chat/template.ts';
import { readSftJsonl } from '../data/chat/dataset.ts';
import type { JsonValue } from '../core/json.ts';
import type { LoopResult, MicroBatchResult, TrainTask } from '../train/loop.ts';
import type { MetricRecord } from '../train/metrics.ts';
import { EpochSampler } from './shared/sampler.ts';
import { prepareForChat, writeStageRunFiles } from './shared/setup.ts';
import { runStageLoop, stageCheckpointer, stageMaxLength } from './shared/stage-loop.ts';
import { addLora, LORA_DEFAULTS, writeAdapterFiles } from './shared/lora.ts';
import type { StageLoopHyper } from './shared/stage-loop.ts';
import { readStageFiles } from './shared/stage-files.ts';
import type { StageFileInputs } from './shared/stage-files.ts';

/** One tokenized conversation: inputs and next-token targets (-100 off the assistant spans). */
export interface SftExample {
  input: Int32Array;
  target: Int32Array;
}

export function tokenizeSft(
  tokenizer: Tokenizer,
  format: ChatFormat,
  conversations: readonly (readonly ChatMessage[])[],
  maxLength: number,
  eosId: number,
): { examples: SftExample[]; truncated: number; dropped: number } {
  const template = new ChatTemplate(format);
  const examples: SftExample[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const messages of conversations) {
    const { ids, assistant } = encodeChat(tokenizer, template, messages, eosId);
    let n = ids.length;
    if (n > maxLength + 1) {
      truncated++;
      n = maxLength + 1;
    }
    const input = Int32Array.from(ids.slice(0, n - 1));
    const target = new Int32Array(n - 1);
    let trained = 0;
    for (let t = 0; t < n - 1; t++) {
      target[t] = assistant[t + 1] === 1 ? ids[t + 1]! : -100;
      if (target[t] !== -100) trained++;
    }
    if (trained === 0) {
      dropped++;
      continue;
    }
    examples.push({ input, target });
  }
  return { examples, truncated, dropped };
}

export interface SftBatch {
  ids: Tensor;
  targets: Tensor;
  attentionMask: Tensor | null;
  documentIds: Tensor | null;
  /** Tokens in the loss. */
  tokens: number;
}

/** Right-padded rows (padding gets target -100 and attention 0). */
export function padBatch(examples: readonly SftExample[], padId: number): SftBatch {
  const B = examples.length;
  const T = examples.reduce((m, e) => Math.max(m, e.input.length), 1);
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(-100);
  const mask = new Int32Array(B * T);
  let tokens = 0;
  examples.forEach((e, b) => {
    ids.set(e.input, b * T);
    targets.set(e.target, b * T);
    mask.fill(1, b * T, b * T + e.input.length);
    for (const t of e.target) if (t !== -100) tokens++;
  });
  return {
    ids: tensor(ids, { shape: [B, T], dtype: 'int32' }),
    targets: tensor(targets, { shape: [B, T], dtype: 'int32' }),
    attentionMask: tensor(mask, { shape: [B, T], dtype: 'int32' }),
    documentIds: null,
    tokens,
  };
}

/** Packs examples greedily, in order, into rows of `length` tokens; each example is its own document. */
export function packBatch(
  examples: readonly SftExample[],
  rows: number,
  length: number,
  padId: number,
): { batch: SftBatch; used: number } {
  const ids = new Int32Array(rows * length).fill(padId);
  const targets = new Int32Array(rows * length).fill(-100);
  const docs = new Int32Array(rows * length);
  let used = 0;
  let tokens = 0;
  for (let r = 0; r < rows && used < examples.length; r++) {
    let pos = 0;
    let doc = 0;
    while (used < examples.length) {
      const e = examples[used]!;
      if (pos + e.input.length > length && pos > 0) break;
      const n = Math.min(e.input.length, length - pos);
      ids.set(e.input.subarray(0, n), r * length + pos);
      targets.set(e.target.subarray(0, n), r * length + pos);
      docs.fill(doc++, r * length + pos, r * length + pos + n);
      for (let t = 0; t < n; t++) if (e.target[t] !== -100) tokens++;
      pos += n;
      used++;
    }
    docs.fill(doc, r * length + pos, (r + 1) * length); // the tail of padding is one more document
  }
  return {
    batch: {
      ids: tensor(ids, { shape: [rows, length], dtype: 'int32' }),
      targets: tensor(targets, { shape: [rows, length], dtype: 'int32' }),
      attentionMask: null,
      documentIds: tensor(docs, { shape: [rows, length], dtype: 'int32' }),
      tokens,
    },
    used,
  };
}

export class SftTask implements TrainTask {
  private readonly sampler: EpochSampler;
  /** Packing: examples drawn but not yet placed in a row. */
  private pending: number[] = [];

  constructor(
    readonly model: GPT,
    readonly train: readonly SftExample[],
    readonly val: readonly SftExample[],
    readonly batchSize: number,
    readonly padId: number,
    readonly packing: { enabled: boolean; length: number },
    seed: number,
    readonly extraEval?: () => Record<string, number>,
  ) {
    if (train.length === 0) throw new ArgumentError('sft', 'no training examples');
    this.sampler = new EpochSampler(train.length, seed);
  }

  private forward(b: SftBatch): Tensor {
    return this.model.forward(b.ids, { targets: b.targets, attentionMask: b.attentionMask, documentIds: b.documentIds })
      .loss!;
  }

  microBatch(): MicroBatchResult {
    if (this.packing.enabled) {
      // pull examples until they could fill every row; what does not fit waits for the next batch
      const capacity = this.batchSize * this.packing.length;
      const picked: number[] = [];
      let tokens = 0;
      while (tokens < capacity && picked.length < this.train.length) {
        const i = this.pending.shift() ?? this.sampler.next(1)[0]!;
        picked.push(i);
        tokens += this.train[i]!.input.length;
      }
      const { batch, used } = packBatch(
        picked.map((i) => this.train[i]!),
        this.batchSize,
        this.packing.length,
        this.padId,
      );
      this.pending.unshift(...picked.slice(used));
      return { loss: this.forward(batch), tokens: batch.tokens };
    }
    const batch = padBatch(
      this.sampler.next(this.batchSize).map((i) => this.train[i]!),
      this.padId,
    );
    return { loss: this.forward(batch), tokens: batch.tokens };
  }

  /** Token-weighted mean loss over a set of examples. */
  lossOn(examples: readonly SftExample[]): number {
    let total = 0;
    let tokens = 0;
    for (let i = 0; i < examples.length; i += this.batchSize) {
      const b = padBatch(examples.slice(i, i + this.batchSize), this.padId);
      total += noGrad(() => tidy(() => this.forward(b).item())) * b.tokens;
      tokens += b.tokens;
    }
    return tokens > 0 ? total / tokens : NaN;
  }

  evaluate(): Record<string, number> {
    const set = this.val.length > 0 ? this.val : this.train.slice(0, 256);
    const loss = this.lossOn(set);
    return { loss, perplexity: Math.exp(loss), ...(this.extraEval?.() ?? {}) };
  }

  state(): JsonValue {
    return { sampler: this.sampler.getState(), pending: this.pending };
  }

  loadState(s: JsonValue): void {
    const st = s as { sampler: JsonValue; pending?: number[] };
    this.sampler.setState(st.sampler);
    this.pending = [...(st.pending ?? [])];
  }
}

export interface SftHyper extends StageLoopHyper {
  packing: boolean;
}

export const SFT_DEFAULTS: SftHyper = {
  batchSize: 16,
  steps: 500,
  lr: 3e-4,
  minLr: 3e-5,
  warmupSteps: 20,
  weightDecay: 0.0,
  gradClip: 1.0,
  gradAccumSteps: 1,
  evalEvery: 100,
  checkpointEvery: 250,
  maxLength: null,
  packing: false,
  ...LORA_DEFAULTS,
  seed: 1337,
  resume: false,
  timeLimitSeconds: null,
};

export interface SftOptions extends SftHyper {
  model: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  train: readonly (readonly ChatMessage[])[];
  val: readonly (readonly ChatMessage[])[];
  runDir: string;
  /** Extra evaluation metrics (e.g. a task's gold reward of samples), logged with each eval. */
  extraEval?: (model: GPT) => Record<string, number>;
  onStep?: (r: MetricRecord) => void;
  /** Where the inputs came from, for config.json. */
  inputs?: Record<string, string>;
}

export interface SftResult {
  model: GPT;
  tokenizer: Tokenizer;
  format: ChatFormat;
  result: LoopResult;
  stats: { trainExamples: number; valExamples: number; truncated: number; dropped: number; addedTokens: number };
}

export async function trainSft(o: SftOptions): Promise<SftResult> {
  const prepared = prepareForChat(o.model, o.tokenizer, o.format, o.seed);
  const model = prepared.model;
  const maxLength = stageMaxLength(o.maxLength, model.config.blockSize);
  const tr = tokenizeSft(o.tokenizer, o.format, o.train, maxLength, prepared.ids.eosId);
  const va = tokenizeSft(o.tokenizer, o.format, o.val, maxLength, prepared.ids.eosId);
  if (tr.examples.length === 0)
    throw new ConfigError('data', 'no training conversation has an assistant token within max_length');
  const lora = addLora(model, model, o, o.seed);
  // new special tokens start untrained: with LoRA their embedding rows (and an untied LM head) train too
  if (lora !== null && prepared.added > 0) {
    model.transformer.wte.weight.requiresGrad = true;
    model.lm_head.weight.requiresGrad = true;
  }
  const spec = specOf(model);
  const record = writeStageRunFiles('sft', o, spec, [
    'model',
    'tokenizer',
    'format',
    'train',
    'val',
    'extraEval',
    'onStep',
    'inputs',
  ]);

  model.train();
  const extra = o.extraEval;
  const task = new SftTask(
    model,
    tr.examples,
    va.examples,
    o.batchSize,
    prepared.ids.padId,
    { enabled: o.packing, length: maxLength },
    o.seed,
    extra ? () => extra(model) : undefined,
  );
  const result = await runStageLoop(o, {
    model,
    task,
    betas: [0.9, 0.95],
    progressLabel: 'sft',
    checkpointer: (optimizer) => stageCheckpointer(o.runDir, model, spec, optimizer, record),
  });
  if (lora !== null) writeAdapterFiles(o.runDir, model, lora, o.inputs?.['model'] ?? null);
  model.eval();
  return {
    model,
    tokenizer: o.tokenizer,
    format: o.format,
    result,
    stats: {
      trainExamples: tr.examples.length,
      valExamples: va.examples.length,
      truncated: tr.truncated + va.truncated,
      dropped: tr.dropped + va.dropped,
      addedTokens: prepared.added,
    },
  };
}

/** `model` is the pretrained (or earlier SFT) run directory. */
export interface SftFileConfig extends SftHyper, StageFileInputs {}

/** `llmts sft`: files in, run directory out. */
export async function sftFromFiles(c: SftFileConfig): Promise<SftResult> {
  const { policy, format, train, val, hyper } = readStageFiles(c, readSftJsonl);
  return trainSft({
    ...hyper,
    model: policy.model,
    tokenizer: policy.tokenizer,
    format,
    train,
    val,
    runDir: c.runDir,
    inputs: { model: c.model, data: c.data, ...(c.valData !== null ? { valData: c.valData } : {}) },
  });
}
