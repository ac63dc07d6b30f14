/**
 * Encoder-decoder transformer (T5/BART-like, notes section 2): a bidirectional encoder over
 * the source, a causal decoder with cross-attention to the encoder output, shared token
 * embeddings and an LM head tied to them. Built from the same blocks as GPT and BERT so
 * the three architectures can be compared on one task at equal (or double) parameters.
 *
 * B batch, S source length, T target length, C width, V vocab size.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { add } from '../engine/ops/elementwise.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { linear } from '../engine/ops/matmul.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { embedding } from '../engine/ops/indexing.ts';
import { reshape, slice } from '../engine/ops/movement.ts';
import { getDefaultBackend } from '../backends/select.ts';
import { ShapeError, ConfigError } from '../core/errors.ts';
import { Module } from '../nn/module.ts';
import { Buffer } from '../nn/parameter.ts';
import { Embedding } from '../nn/layers.ts';
import type { ActivationName } from '../nn/layers.ts';
import { Block } from '../nn/block.ts';
import type { BlockConfig } from '../nn/block.ts';
import { createNorm } from '../nn/norm-layer.ts';
import type { NormLayer, NormName } from '../nn/norm-layer.ts';
import { KVCache } from '../nn/kv-cache.ts';
import { ropeTables, sinusoidalTable } from '../nn/positional.ts';
import { paddingMask, positionsFromMask, rangePositions } from '../nn/masks.ts';
import type { InitContext } from '../nn/init.ts';
import { validateCommon } from './validate.ts';

export interface EncoderDecoderConfig {
  vocabSize: number;
  blockSize: number;
  nEncoderLayer: number;
  nLayer: number; // decoder layers
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  intermediateSize: number;
  activation: ActivationName;
  mlp: 'standard' | 'gated';
  norm: NormName;
  normEps: number;
  normPlacement: 'pre' | 'post';
  position: 'learned' | 'sinusoidal' | 'rope' | 'none';
  bias: boolean;
  dropout: number;
  attnDropout: number;
  initStd: number;
  /** First decoder input (HF decoder_start_token_id; T5 uses pad, BART eos). */
  decoderStartTokenId: number;
  padTokenId: number;
}

export function encoderDecoderPreset(overrides: Partial<EncoderDecoderConfig> = {}): EncoderDecoderConfig {
  const config: EncoderDecoderConfig = {
    vocabSize: 32128,
    blockSize: 512,
    nEncoderLayer: 6,
    nLayer: 6,
    nHead: 8,
    nKvHead: 8,
    nEmbd: 512,
    intermediateSize: 2048,
    activation: 'gelu',
    mlp: 'standard',
    norm: 'layernorm',
    normEps: 1e-5,
    normPlacement: 'pre',
    position: 'learned',
    bias: true,
    dropout: 0.1,
    attnDropout: 0.1,
    initStd: 0.02,
    decoderStartTokenId: 0,
    padTokenId: 0,
    ...overrides,
  };
  if (overrides.nHead !== undefined && overrides.nKvHead === undefined) config.nKvHead = config.nHead;
  if (overrides.nEmbd !== undefined && overrides.intermediateSize === undefined)
    config.intermediateSize = 4 * config.nEmbd;
  return config;
}

export function validateEncoderDecoderConfig(c: EncoderDecoderConfig): void {
  validateCommon(c);
  if (!Number.isInteger(c.nEncoderLayer) || c.nEncoderLayer <= 0)
    throw new ConfigError('n_encoder_layer', `must be a positive integer, got ${c.nEncoderLayer}`);
  if (!['learned', 'sinusoidal', 'rope', 'none'].includes(c.position))
    throw new ConfigError('position', `unknown positional scheme "${c.position}"`);
  if (!(c.decoderStartTokenId >= 0 && c.decoderStartTokenId < c.vocabSize))
    throw new ConfigError('decoder_start_token_id', `must be a token id < vocab_size, got ${c.decoderStartTokenId}`);
}

export interface Seq2SeqOptions {
  /** [B, S] 1 = real source token. */
  sourceMask?: Tensor | null;
  /** [B, P + T] 1 = real decoder token (covering the cache). */
  targetMask?: Tensor | null;
  /** Decoder positions [B, T] (default from targetMask, or after the cache). */
  targetPositions?: Tensor | null;
  /** A precomputed encoder output [B, S, C] (generation encodes once). */
  memory?: Tensor | null;
  cache?: KVCache | null;
  /** int32 [B, T] labels (-100 = ignore): adds the mean cross-entropy. */
  labels?: Tensor | null;
  logits?: 'all' | 'last';
  captureAttention?: boolean;
}

export interface Seq2SeqOutput {
  logits: Tensor;
  memory: Tensor;
  hidden: Tensor;
  loss: Tensor | null;
}

/** A sequence-to-sequence transformer (encoder, decoder with cross-attention, shared embedding). */
export class EncoderDecoder extends Module {
  readonly shared: Embedding;
  readonly wpe_enc: Embedding | null;
  readonly wpe_dec: Embedding | null;
  readonly encoder: Block[];
  readonly ln_enc: NormLayer;
  readonly decoder: Block[];
  readonly ln_dec: NormLayer;
  readonly sinusoid: Buffer | null;
  readonly config: EncoderDecoderConfig;
  /** The stream behind initialization and dropout (checkpoints save its state for exact resume). */
  readonly generator: Generator;

  constructor(config: EncoderDecoderConfig, options: { seed?: number; backend?: Backend; dtype?: FloatDType } = {}) {
    super();
    validateEncoderDecoderConfig(config);
    this.config = config;
    this.generator = new Generator(options.seed ?? 0);
    const ctx: InitContext = {
      generator: this.generator,
      dtype: options.dtype ?? 'float32',
      backend: options.backend ?? getDefaultBackend(),
    };
    const c = config;
    this.shared = new Embedding(c.vocabSize, c.nEmbd, ctx, c.initStd);
    this.wpe_enc = c.position === 'learned' ? new Embedding(c.blockSize, c.nEmbd, ctx, c.initStd) : null;
    this.wpe_dec = c.position === 'learned' ? new Embedding(c.blockSize, c.nEmbd, ctx, c.initStd) : null;
    this.sinusoid =
      c.position === 'sinusoidal'
        ? new Buffer(sinusoidalTable(c.blockSize, c.nEmbd, ctx.backend ?? getDefaultBackend(), ctx.dtype), false)
        : null;
    const blockConfig = (layers: number, cross: boolean): BlockConfig => ({
      attention: {
        nEmbd: c.nEmbd,
        nHead: c.nHead,
        nKvHead: c.nKvHead,
        bias: c.bias,
        attnDropout: c.attnDropout,
        residDropout: c.dropout,
        initStd: c.initStd,
        projInitStd: c.initStd / Math.sqrt(2 * layers),
      },
      mlp: {
        nEmbd: c.nEmbd,
        hidden: c.intermediateSize,
        activation: c.activation,
        bias: c.bias,
        dropout: c.dropout,
        initStd: c.initStd,
        projInitStd: c.initStd / Math.sqrt(2 * layers),
      },
      gatedMlp: c.mlp === 'gated',
      norm: c.norm,
      normEps: c.normEps,
      normBias: c.bias,
      placement: c.normPlacement,
      crossAttention: cross,
    });
    this.encoder = Array.from(
      { length: c.nEncoderLayer },
      () => new Block(blockConfig(c.nEncoderLayer, false), ctx, this.generator),
    );
    this.ln_enc = createNorm(c.normPlacement === 'pre' ? c.norm : 'none', c.nEmbd, c.normEps, ctx, { bias: c.bias });
    this.decoder = Array.from({ length: c.nLayer }, () => new Block(blockConfig(c.nLayer, true), ctx, this.generator));
    this.ln_dec = createNorm(c.normPlacement === 'pre' ? c.norm : 'none', c.nEmbd, c.normEps, ctx, { bias: c.bias });
  }

  /**
   * Training FLOPs (forward + backward) of one example with S source and T target tokens, by
   * the PaLM counting (6 per parameter per token it multiplies, plus 12·C per query-key pair
   * per layer for the attention scores and the weighted sum):
   *   source tokens: the encoder layers and ln_enc, and every decoder layer's cross-attention
   *     key/value projection (it reads the encoder output), plus 12·L_enc·C·S attention;
   *   target tokens: the decoder layers without those projections, ln_dec and the tied LM
   *     head (the shared embedding), plus 12·L·C·(T + S) for self- and cross-attention.
   * Position tables are lookups and cost nothing.
   */
  flopsPerExample(S = this.config.blockSize, T = this.config.blockSize): number {
    const c = this.config;
    const count = (modules: readonly { numParameters(): number }[]): number =>
      modules.reduce((n, m) => n + m.numParameters(), 0);
    const crossKv = count(this.decoder.map((b) => b.cross_attn!.kv_proj));
    const perSource = count(this.encoder) + this.ln_enc.numParameters() + crossKv;
    const perTarget = count(this.decoder) - crossKv + this.ln_dec.numParameters() + this.shared.weight.size;
    return (
      S * (6 * perSource + 12 * c.nEncoderLayer * c.nEmbd * S) + T * (6 * perTarget + 12 * c.nLayer * c.nEmbd * (T + S))
    );
  }

  /** flopsPerExample(S, T) per token of source and target together (S + T tokens). */
  flopsPerToken(S = this.config.blockSize, T = this.config.blockSize): number {
    return this.flopsPerExample(S, T) / (S + T);
  }

  get dtype(): FloatDType {
    return this.shared.weight.dtype as FloatDType;
  }

  /** An empty key/value cache for the decoder's self-attention (incremental decoding). */
  createCache(): KVCache {
    return new KVCache(this.config.nLayer);
  }

  private embed(ids: Tensor, positions: Tensor, table: Embedding | null): Tensor {
    let x = this.shared.forward(ids);
    if (table !== null) x = add(x, table.forward(positions));
    if (this.sinusoid !== null) x = add(x, embedding(this.sinusoid, positions));
    return dropout(x, this.config.dropout, this.generator, this.training);
  }

  /** The encoder: source ids [B, S] -> memory [B, S, C]. */
  encode(source: Tensor, sourceMask: Tensor | null = null, captureAttention = false): Tensor {
    if (source.dtype !== 'int32' || source.ndim !== 2)
      throw new ShapeError('EncoderDecoder.encode', 'source must be int32 [B, S]', [source.shape]);
    const [B, S] = source.shape as [number, number];
    if (S > this.config.blockSize && this.config.position !== 'rope' && this.config.position !== 'none') {
      throw new ShapeError('EncoderDecoder.encode', `source length ${S} exceeds block_size ${this.config.blockSize}`, [
        source.shape,
      ]);
    }
    const positions = rangePositions(B, S, source.backend);
    let x = this.embed(source, positions, this.wpe_enc);
    const rope =
      this.config.position === 'rope'
        ? ropeTables(positions, { headDim: this.config.nEmbd / this.config.nHead }, this.dtype)
        : null;
    const mask = sourceMask !== null ? paddingMask(sourceMask, this.dtype) : null;
    for (const block of this.encoder)
      x = block.forward(x, { causal: false, mask, rope, cache: null, capture: captureAttention }, sourceMask);
    return this.ln_enc.forward(x, sourceMask);
  }

  /** Source [B, S] and decoder input [B, T] (shifted right, starting with decoderStartTokenId) -> logits [B, T, V]. */
  forward(source: Tensor, decoderInput: Tensor, options: Seq2SeqOptions = {}): Seq2SeqOutput {
    const c = this.config;
    if (decoderInput.dtype !== 'int32' || decoderInput.ndim !== 2)
      throw new ShapeError('EncoderDecoder.forward', 'decoder input must be int32 [B, T]', [decoderInput.shape]);
    const [B, T] = decoderInput.shape as [number, number];
    const sourceMask = options.sourceMask ?? null;
    const memory = options.memory ?? this.encode(source, sourceMask, options.captureAttention ?? false);
    const cache = options.cache ?? null;
    const past = cache?.length ?? 0;
    const targetMask = options.targetMask ?? null;
    let positions = options.targetPositions ?? null;
    if (positions === null)
      positions =
        targetMask !== null
          ? slice(positionsFromMask(targetMask), 1, past, past + T)
          : rangePositions(B, T, decoderInput.backend, past);
    if (past + T > c.blockSize && c.position !== 'rope' && c.position !== 'none') {
      throw new ShapeError('EncoderDecoder.forward', `target length ${past + T} exceeds block_size ${c.blockSize}`, [
        decoderInput.shape,
      ]);
    }
    let x = this.embed(decoderInput, positions, this.wpe_dec);
    const rope = c.position === 'rope' ? ropeTables(positions, { headDim: c.nEmbd / c.nHead }, this.dtype) : null;
    const selfMask = targetMask !== null ? paddingMask(targetMask, this.dtype) : null;
    const memoryMask = sourceMask !== null ? paddingMask(sourceMask, this.dtype) : null;
    const tokenMask = targetMask !== null ? slice(targetMask, 1, past, past + T) : null;
    this.decoder.forEach((block, i) => {
      x = block.forward(
        x,
        {
          causal: true,
          mask: selfMask,
          rope,
          cache: cache?.layers[i] ?? null,
          capture: options.captureAttention ?? false,
        },
        tokenMask,
        memory,
        memoryMask,
      );
    });
    const hidden = this.ln_dec.forward(x, tokenMask);
    const h = options.logits === 'last' ? slice(hidden, 1, T - 1, T) : hidden;
    const logits = linear(h, this.shared.weight); // tied LM head: [B, T, V]
    let loss: Tensor | null = null;
    if (options.labels) {
      if (options.logits === 'last')
        throw new ShapeError('EncoderDecoder.forward', 'labels need logits for all positions');
      loss = crossEntropy(reshape(logits, [-1, c.vocabSize]), reshape(options.labels, [-1]));
    }
    return { logits, memory, hidden, loss };
  }
}
