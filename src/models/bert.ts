/**
 * BERT: an encoder-only, bidirectional transformer (notes section 1) with token-type
 * embeddings, post-LN blocks, a masked-LM head tied to the word embeddings, and a pooler
 * with next-sentence and sequence-classification heads.
 *
 * The forward pass matches HF's BertForMaskedLM / BertForPreTraining:
 *   x = LayerNorm(word[ids] + position[pos] + token_type[types]);  blocks (post-LN);
 *   mlm = decoder(LayerNorm(gelu(transform(x)))) + bias;  pooled = tanh(pooler(x[:, 0])).
 *
 * B batch, T sequence length, C hidden size, V vocab size.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { add, tanh } from '../engine/ops/elementwise.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { linear } from '../engine/ops/matmul.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { embedding } from '../engine/ops/indexing.ts';
import { reshape, select } from '../engine/ops/movement.ts';
import { zeros } from '../engine/ops/creation.ts';
import { getDefaultBackend } from '../backends/select.ts';
import { ConfigError, ShapeError } from '../core/errors.ts';
import { Module } from '../nn/module.ts';
import { Buffer, Parameter } from '../nn/parameter.ts';
import { Embedding, Linear, activation } from '../nn/layers.ts';
import type { ActivationName } from '../nn/layers.ts';
import { Block } from '../nn/block.ts';
import { createNorm } from '../nn/norm-layer.ts';
import type { NormLayer, NormName } from '../nn/norm-layer.ts';
import { ropeTables, sinusoidalTable } from '../nn/positional.ts';
import { paddingMask, rangePositions } from '../nn/masks.ts';
import type { InitContext } from '../nn/init.ts';
import { constantTensor } from '../nn/init.ts';
import { validateCommon } from './validate.ts';

export interface BertConfig {
  vocabSize: number;
  /** max_position_embeddings. */
  blockSize: number;
  typeVocabSize: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  intermediateSize: number;
  activation: ActivationName;
  norm: NormName;
  normEps: number;
  normPlacement: 'pre' | 'post';
  position: 'learned' | 'sinusoidal' | 'rope' | 'none';
  dropout: number;
  attnDropout: number;
  initStd: number;
  padTokenId: number;
  /** Labels of the sequence-classification head (0: none). */
  numLabels: number;
}

export function bertPreset(preset: 'bert-base' | 'bert-tiny', overrides: Partial<BertConfig> = {}): BertConfig {
  const base: BertConfig = {
    vocabSize: 30522,
    blockSize: 512,
    typeVocabSize: 2,
    nLayer: 12,
    nHead: 12,
    nKvHead: 12,
    nEmbd: 768,
    intermediateSize: 3072,
    activation: 'gelu',
    norm: 'layernorm',
    normEps: 1e-12,
    normPlacement: 'post',
    position: 'learned',
    dropout: 0.1,
    attnDropout: 0.1,
    initStd: 0.02,
    padTokenId: 0,
    numLabels: 0,
  };
  const tiny: Partial<BertConfig> = { nLayer: 2, nHead: 2, nKvHead: 2, nEmbd: 128, intermediateSize: 512 };
  const config = { ...base, ...(preset === 'bert-tiny' ? tiny : {}), ...overrides };
  if (overrides.nHead !== undefined && overrides.nKvHead === undefined) config.nKvHead = config.nHead;
  if (overrides.nEmbd !== undefined && overrides.intermediateSize === undefined)
    config.intermediateSize = 4 * config.nEmbd;
  return config;
}

export function validateBertConfig(c: BertConfig): void {
  validateCommon(c);
  if (!Number.isInteger(c.typeVocabSize) || c.typeVocabSize < 1)
    throw new ConfigError('type_vocab_size', `must be a positive integer, got ${c.typeVocabSize}`);
  if (!['learned', 'sinusoidal', 'rope', 'none'].includes(c.position))
    throw new ConfigError('position', `unknown positional scheme "${c.position}" for BERT`);
  if (!Number.isInteger(c.numLabels) || c.numLabels < 0)
    throw new ConfigError('num_labels', `must be a non-negative integer, got ${c.numLabels}`);
}

export class BertEmbeddings extends Module {
  readonly word_embeddings: Embedding;
  readonly position_embeddings: Embedding | null;
  readonly token_type_embeddings: Embedding;
  readonly LayerNorm: NormLayer;
  readonly sinusoid: Buffer | null;
  constructor(
    readonly config: BertConfig,
    ctx: InitContext,
  ) {
    super();
    const c = config;
    this.word_embeddings = new Embedding(c.vocabSize, c.nEmbd, ctx, c.initStd);
    this.position_embeddings = c.position === 'learned' ? new Embedding(c.blockSize, c.nEmbd, ctx, c.initStd) : null;
    this.token_type_embeddings = new Embedding(c.typeVocabSize, c.nEmbd, ctx, c.initStd);
    this.LayerNorm = createNorm(c.norm, c.nEmbd, c.normEps, ctx);
    this.sinusoid =
      c.position === 'sinusoidal'
        ? new Buffer(sinusoidalTable(c.blockSize, c.nEmbd, ctx.backend ?? getDefaultBackend(), ctx.dtype), false)
        : null;
  }
}

export class BertMLMHead extends Module {
  readonly transform_dense: Linear;
  readonly transform_LayerNorm: NormLayer;
  /** The output bias [V] (the decoder weight is tied to the word embeddings). */
  readonly bias: Parameter;
  constructor(config: BertConfig, ctx: InitContext) {
    super();
    this.transform_dense = new Linear(config.nEmbd, config.nEmbd, ctx, { std: config.initStd });
    this.transform_LayerNorm = createNorm('layernorm', config.nEmbd, config.normEps, ctx);
    this.bias = new Parameter(constantTensor([config.vocabSize], 0, ctx));
    this.bias.weightDecay = false;
  }
}

export interface BertForwardOptions {
  /** [B, T] 1 = real token, 0 = padding (right padding). */
  attentionMask?: Tensor | null;
  /** [B, T] int32 segment ids (default zeros). */
  tokenTypeIds?: Tensor | null;
  positionIds?: Tensor | null;
  /** int32 [B, T] MLM labels, -100 where not predicted. */
  mlmLabels?: Tensor | null;
  /** int32 [B] next-sentence labels (0 = is next, 1 = random). */
  nspLabels?: Tensor | null;
  /** int32 [B] sequence-classification labels. */
  classLabels?: Tensor | null;
  /** Compute MLM logits [B, T, V] (default: when mlmLabels are given). */
  mlmLogits?: boolean;
  captureAttention?: boolean;
}

export interface BertOutput {
  /** [B, T, C] final hidden states. */
  hidden: Tensor;
  /** [B, C] tanh(pooler(hidden[:, 0])). */
  pooled: Tensor;
  mlmLogits: Tensor | null;
  nspLogits: Tensor | null;
  classLogits: Tensor | null;
  loss: Tensor | null;
}

/** BERT: a bidirectional encoder with masked-LM, next-sentence and classification heads (HF BertModel layout). */
export class BERT extends Module {
  readonly embeddings: BertEmbeddings;
  readonly layer: Block[];
  /** Pre-LN variants need a final norm; post-LN (BERT's own) ends normalized. */
  readonly ln_f: NormLayer;
  readonly pooler: Linear;
  readonly mlm: BertMLMHead;
  readonly seq_relationship: Linear;
  readonly classifier: Linear | null;
  readonly config: BertConfig;
  /** The stream behind initialization and dropout (checkpoints save its state for exact resume). */
  readonly generator: Generator;
  private readonly gelu: (x: Tensor) => Tensor;

  constructor(config: BertConfig, options: { seed?: number; backend?: Backend; dtype?: FloatDType } = {}) {
    super();
    validateBertConfig(config);
    this.config = config;
    this.generator = new Generator(options.seed ?? 0);
    const ctx: InitContext = {
      generator: this.generator,
      dtype: options.dtype ?? 'float32',
      backend: options.backend ?? getDefaultBackend(),
    };
    const c = config;
    this.embeddings = new BertEmbeddings(c, ctx);
    this.layer = Array.from(
      { length: c.nLayer },
      () =>
        new Block(
          {
            attention: {
              nEmbd: c.nEmbd,
              nHead: c.nHead,
              nKvHead: c.nKvHead,
              bias: true,
              attnDropout: c.attnDropout,
              residDropout: c.dropout,
              initStd: c.initStd,
              projInitStd: c.initStd,
            },
            mlp: {
              nEmbd: c.nEmbd,
              hidden: c.intermediateSize,
              activation: c.activation,
              bias: true,
              dropout: c.dropout,
              initStd: c.initStd,
              projInitStd: c.initStd,
            },
            gatedMlp: false,
            norm: c.norm,
            normEps: c.normEps,
            normBias: true,
            placement: c.normPlacement,
          },
          ctx,
          this.generator,
        ),
    );
    this.ln_f = createNorm(c.normPlacement === 'pre' ? c.norm : 'none', c.nEmbd, c.normEps, ctx);
    this.pooler = new Linear(c.nEmbd, c.nEmbd, ctx, { std: c.initStd });
    this.mlm = new BertMLMHead(c, ctx);
    this.seq_relationship = new Linear(c.nEmbd, 2, ctx, { std: c.initStd });
    this.classifier = c.numLabels > 0 ? new Linear(c.nEmbd, c.numLabels, ctx, { std: c.initStd }) : null;
    this.gelu = activation(c.activation);
  }

  /**
   * Masked-LM training FLOPs per token (forward + backward) at sequence length T: 6N + 12·L·C·T
   * as for GPT (PaLM appendix B), where N counts the parameters every token multiplies through:
   * the layers, the MLM head and the word embeddings (its tied decoder); not the position and
   * token-type tables (lookups) nor the pooler / NSP / classifier heads (once per sequence).
   * Like HF's BertForMaskedLM, the MLM logits are computed at every position.
   */
  flopsPerToken(T = this.config.blockSize): number {
    const c = this.config;
    const e = this.embeddings;
    const perSequence = [this.pooler, this.seq_relationship, this.classifier].reduce(
      (n, m) => n + (m?.numParameters() ?? 0),
      0,
    );
    const lookups = (e.position_embeddings?.weight.size ?? 0) + e.token_type_embeddings.weight.size;
    return 6 * (this.numParameters() - perSequence - lookups) + 12 * c.nLayer * c.nEmbd * T;
  }

  get dtype(): FloatDType {
    return this.embeddings.word_embeddings.weight.dtype as FloatDType;
  }

  /** ids [B, T] -> hidden states and the heads' logits (and their losses when labels are given). */
  forward(ids: Tensor, options: BertForwardOptions = {}): BertOutput {
    const c = this.config;
    if (ids.dtype !== 'int32' || ids.ndim !== 2)
      throw new ShapeError('BERT.forward', 'ids must be int32 [B, T]', [ids.shape]);
    const [B, T] = ids.shape as [number, number];
    if (T > c.blockSize && c.position !== 'rope' && c.position !== 'none') {
      throw new ShapeError('BERT.forward', `sequence length ${T} exceeds max_position_embeddings ${c.blockSize}`, [
        ids.shape,
      ]);
    }
    const mask = options.attentionMask ?? null;
    if (mask !== null && (mask.shape[0] !== B || mask.shape[1] !== T))
      throw new ShapeError('BERT.forward', 'attentionMask must be [B, T]', [mask.shape, ids.shape]);
    const positions = options.positionIds ?? rangePositions(B, T, ids.backend);
    const types = options.tokenTypeIds ?? zeros([B, T], { dtype: 'int32', backend: ids.backend });

    // embeddings: LayerNorm(word + position + token type), then dropout: [B, T, C]
    const e = this.embeddings;
    let x = add(e.word_embeddings.forward(ids), e.token_type_embeddings.forward(types));
    if (e.position_embeddings !== null) x = add(x, e.position_embeddings.forward(positions));
    if (e.sinusoid !== null) x = add(x, embedding(e.sinusoid, positions));
    x = dropout(e.LayerNorm.forward(x, mask), c.dropout, this.generator, this.training);

    const rope = c.position === 'rope' ? ropeTables(positions, { headDim: c.nEmbd / c.nHead }, this.dtype) : null;
    const additive = mask !== null ? paddingMask(mask, this.dtype) : null;
    for (const block of this.layer) {
      x = block.forward(
        x,
        { causal: false, mask: additive, rope, cache: null, capture: options.captureAttention ?? false },
        mask,
      );
    }
    const hidden = this.ln_f.forward(x, mask);
    const pooled = tanh(this.pooler.forward(select(hidden, 1, 0))); // [B, C]

    const wantMlm = options.mlmLogits ?? options.mlmLabels != null;
    let mlmLogits: Tensor | null = null;
    if (wantMlm) {
      const h = this.mlm.transform_LayerNorm.forward(this.gelu(this.mlm.transform_dense.forward(hidden)));
      mlmLogits = linear(h, e.word_embeddings.weight, this.mlm.bias); // [B, T, V], tied decoder
    }
    const nspLogits = options.nspLabels != null ? this.seq_relationship.forward(pooled) : null;
    const classLogits = this.classifier !== null ? this.classifier.forward(pooled) : null;
    let loss: Tensor | null = null;
    if (options.mlmLabels && mlmLogits)
      loss = crossEntropy(reshape(mlmLogits, [-1, c.vocabSize]), reshape(options.mlmLabels, [-1]));
    if (options.nspLabels && nspLogits) {
      const l = crossEntropy(nspLogits, options.nspLabels);
      loss = loss === null ? l : add(loss, l);
    }
    if (options.classLabels) {
      if (classLogits === null)
        throw new ConfigError('num_labels', 'classLabels need a classifier head (num_labels > 0)');
      const l = crossEntropy(classLogits, options.classLabels);
      loss = loss === null ? l : add(loss, l);
    }
    return { hidden, pooled, mlmLogits, nspLogits, classLogits, loss };
  }
}
