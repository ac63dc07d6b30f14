/**
 * Pretraining tasks for the three model families, over token-shard splits:
 * - causal LM (GPT/LLaMA): random windows, next-token cross-entropy (nanoGPT);
 * - masked LM (BERT): packed rows, 15% of tokens masked 80/10/10 (HF's collator);
 * - denoising seq2seq (encoder-decoder): text infilling, reconstruct the row.
 * Evaluation uses a freshly seeded sampler each time, so every evaluation sees the same
 * batches (comparable numbers, no state to checkpoint).
 */
import type { TokenSplit } from '../data/shards/index.ts';
import { Generator } from '../core/random.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { tidy } from '../engine/memory.ts';
import { tensor } from '../engine/ops/creation.ts';
import type { Tensor } from '../engine/tensor.ts';
import type { GPT } from '../models/gpt.ts';
import type { BERT } from '../models/bert.ts';
import type { EncoderDecoder } from '../models/encoder-decoder.ts';
import type { JsonValue } from '../core/json.ts';
import { isJsonObject } from '../core/json.ts';
import { parseGeneratorState } from '../io/checkpoint-meta.ts';
import type { MicroBatchResult, TrainTask } from './loop.ts';
import { WindowSampler } from './objectives/clm.ts';
import { maskTokens } from './objectives/mlm.ts';
import { packRows } from './objectives/packing.ts';
import type { RowSpecials } from './objectives/packing.ts';
import { corruptSpans } from './objectives/denoising.ts';

export interface EvalOptions {
  /** Batches per split per evaluation (nanoGPT's eval_iters). */
  batches: number;
  seed?: number;
  /** UTF-8 bytes per token of the validation text, to report bits per byte. */
  bytesPerToken?: number;
}

function ids2d(data: Int32Array, B: number, T: number): Tensor {
  return tensor(data, { shape: [B, T], dtype: 'int32' });
}

function evalMetrics(valLoss: number, trainLoss: number | null, bytesPerToken?: number): Record<string, number> {
  const m: Record<string, number> = { loss: valLoss, perplexity: Math.exp(valLoss) };
  if (trainLoss !== null) m['train_loss'] = trainLoss;
  if (bytesPerToken !== undefined && bytesPerToken > 0) m['bits_per_byte'] = valLoss / Math.LN2 / bytesPerToken;
  return m;
}

export class CausalLMTask implements TrainTask {
  private readonly sampler: WindowSampler;
  constructor(
    readonly model: GPT,
    readonly train: TokenSplit,
    readonly val: TokenSplit | null,
    readonly batchSize: number,
    readonly blockSize: number,
    seed: number,
    readonly evalOptions: EvalOptions,
  ) {
    this.sampler = new WindowSampler(train, batchSize, blockSize, seed);
  }

  /** ln V: the loss of predicting every token of the vocabulary equally. */
  get uniformLoss(): number {
    return Math.log(this.model.config.vocabSize);
  }

  microBatch(): MicroBatchResult {
    const b = this.sampler.next();
    const out = this.model.forward(ids2d(b.x, b.batchSize, b.blockSize), {
      targets: ids2d(b.y, b.batchSize, b.blockSize),
    });
    return { loss: out.loss!, tokens: b.batchSize * b.blockSize };
  }

  /** Mean loss over `batches` fixed random windows of a split. */
  lossOn(split: TokenSplit, batches: number, seed: number): number {
    const sampler = new WindowSampler(split, this.batchSize, this.blockSize, seed);
    let total = 0;
    for (let i = 0; i < batches; i++) {
      const b = sampler.next();
      total += noGrad(() =>
        tidy(() =>
          this.model
            .forward(ids2d(b.x, b.batchSize, b.blockSize), { targets: ids2d(b.y, b.batchSize, b.blockSize) })
            .loss!.item(),
        ),
      );
    }
    return total / batches;
  }

  evaluate(): Record<string, number> {
    const seed = this.evalOptions.seed ?? 1234;
    const train = this.lossOn(this.train, this.evalOptions.batches, seed);
    const val = this.val !== null ? this.lossOn(this.val, this.evalOptions.batches, seed + 1) : train;
    return evalMetrics(val, this.val !== null ? train : null, this.evalOptions.bytesPerToken);
  }

  state(): JsonValue {
    return { sampler: this.sampler.getState() as unknown as JsonValue };
  }

  loadState(s: JsonValue, source = 'checkpoint'): void {
    const sampler = isJsonObject(s) ? s['sampler'] : undefined;
    this.sampler.setState(parseGeneratorState(sampler, source, 'extra.task.sampler'));
  }
}

export interface MlmSpecials extends RowSpecials {
  mask: number;
  /** Ids never masked (CLS, SEP, PAD, ...). */
  special: number[];
}

/**
 * A task over packed rows of documents with its own Generator (MLM, denoising): subclasses
 * say how one batch's loss is computed from a split and a generator.
 */
abstract class RowTask implements TrainTask {
  protected readonly generator: Generator;
  constructor(
    readonly train: TokenSplit,
    readonly val: TokenSplit | null,
    seed: number,
    readonly evalOptions: EvalOptions,
  ) {
    this.generator = new Generator(seed);
  }

  protected abstract loss(split: TokenSplit, g: Generator): { loss: Tensor; tokens: number };

  microBatch(): MicroBatchResult {
    return this.loss(this.train, this.generator);
  }

  evaluate(): Record<string, number> {
    const split = this.val ?? this.train;
    const g = new Generator(this.evalOptions.seed ?? 1234);
    let total = 0;
    for (let i = 0; i < this.evalOptions.batches; i++)
      total += noGrad(() => tidy(() => this.loss(split, g).loss.item()));
    return evalMetrics(total / this.evalOptions.batches, null);
  }

  state(): JsonValue {
    return { generator: this.generator.getState() as unknown as JsonValue };
  }

  loadState(s: JsonValue, source = 'checkpoint'): void {
    const generator = isJsonObject(s) ? s['generator'] : undefined;
    this.generator.setState(parseGeneratorState(generator, source, 'extra.task.generator'));
  }
}

/** Counts the real tokens of a row mask. */
function countTokens(mask: Int32Array): number {
  let tokens = 0;
  for (const m of mask) tokens += m;
  return tokens;
}

export class MaskedLMTask extends RowTask {
  constructor(
    readonly model: BERT,
    train: TokenSplit,
    val: TokenSplit | null,
    readonly batchSize: number,
    readonly blockSize: number,
    readonly specials: MlmSpecials,
    seed: number,
    evalOptions: EvalOptions,
    readonly probability = 0.15,
  ) {
    super(train, val, seed, evalOptions);
  }

  /** ln V: the loss of predicting every token of the vocabulary equally. */
  get uniformLoss(): number {
    return Math.log(this.model.config.vocabSize);
  }

  protected loss(split: TokenSplit, g: Generator): { loss: Tensor; tokens: number } {
    const { ids, mask } = packRows(split, g, this.batchSize, this.blockSize, this.specials);
    const { inputs, labels } = maskTokens(ids, g, {
      maskTokenId: this.specials.mask,
      vocabSize: this.model.config.vocabSize,
      specialIds: this.specials.special,
      probability: this.probability,
      attentionMask: mask,
    });
    const B = this.batchSize;
    const T = this.blockSize;
    const out = this.model.forward(ids2d(inputs, B, T), {
      attentionMask: ids2d(mask, B, T),
      mlmLabels: ids2d(labels, B, T),
    });
    return { loss: out.loss!, tokens: countTokens(mask) };
  }
}

export class DenoisingTask extends RowTask {
  constructor(
    readonly model: EncoderDecoder,
    train: TokenSplit,
    val: TokenSplit | null,
    readonly batchSize: number,
    readonly blockSize: number,
    readonly specials: RowSpecials & { mask: number },
    seed: number,
    evalOptions: EvalOptions,
  ) {
    super(train, val, seed, evalOptions);
  }

  /** ln V: the loss of predicting every token of the vocabulary equally. */
  get uniformLoss(): number {
    return Math.log(this.model.config.vocabSize);
  }

  protected loss(split: TokenSplit, g: Generator): { loss: Tensor; tokens: number } {
    const B = this.batchSize;
    const T = this.blockSize;
    const { ids, mask } = packRows(split, g, B, T, this.specials);
    const c = corruptSpans(ids, mask, B, T, g, {
      maskTokenId: this.specials.mask,
      padTokenId: this.specials.pad,
      decoderStartTokenId: this.model.config.decoderStartTokenId,
    });
    const out = this.model.forward(ids2d(c.source, B, T), ids2d(c.decoderInput, B, T), {
      sourceMask: ids2d(c.sourceMask, B, T),
      targetMask: ids2d(mask, B, T),
      labels: ids2d(c.labels, B, T),
    });
    return { loss: out.loss!, tokens: countTokens(mask) };
  }
}
