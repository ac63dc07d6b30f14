/**
 * GPT: a decoder-only transformer with a causal language-modelling head (notes sections 1,
 * 2). One readable class covers GPT-2 (learned positions, pre-LN LayerNorm, GELU-tanh MLP,
 * tied embeddings) and LLaMA (RoPE, RMSNorm, SwiGLU, grouped-query attention, untied, no
 * biases) through its config; every variant the notes discuss is a config field.
 *
 * Parameter names follow nanoGPT/HF GPT-2 (transformer.wte, transformer.h.0.attn.c_attn,
 * lm_head); src/io/hf maps them to and from HF GPT-2 and LLaMA checkpoints.
 *
 * B batch, T sequence length, C n_embd, V vocab size, H heads, D head size.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { Generator } from '../core/random.ts';
import type { Tensor } from '../engine/tensor.ts';
import { add } from '../engine/ops/elementwise.ts';
import { crossEntropy } from '../engine/ops/loss.ts';
import { linear } from '../engine/ops/matmul.ts';
import { dropout } from '../engine/ops/dropout.ts';
import { embedding, indexSelect } from '../engine/ops/indexing.ts';
import { slice, reshape } from '../engine/ops/movement.ts';
import { getDefaultBackend } from '../backends/select.ts';
import { ConfigError, ShapeError } from '../core/errors.ts';
import { Module } from '../nn/module.ts';
import { Buffer } from '../nn/parameter.ts';
import { Embedding, Linear } from '../nn/layers.ts';
import type { ActivationName } from '../nn/layers.ts';
import { Block } from '../nn/block.ts';
import type { AttentionInputs } from '../nn/attention.ts';
import { createNorm } from '../nn/norm-layer.ts';
import type { NormLayer, NormName } from '../nn/norm-layer.ts';
import { KVCache } from '../nn/kv-cache.ts';
import type { PagedKVCache, PagedStep } from '../nn/paged-kv-cache.ts';
import { alibiBias, alibiSlopes, ropeTables, sinusoidalTable } from '../nn/positional.ts';
import type { RopeScaling, RopeStyle } from '../nn/positional.ts';
import { packedDocuments, paddingMask, positionsFromMask, rangePositions } from '../nn/masks.ts';
import type { InitContext } from '../nn/init.ts';
import { validateCommon } from './validate.ts';

export type PositionKind = 'learned' | 'sinusoidal' | 'rope' | 'alibi' | 'none';

/** The shape and variant of a decoder-only transformer (GPT-2, LLaMA and in between): sizes, position encoding, norm, activation, attention heads. */
export interface GPTConfig {
  vocabSize: number;
  /** Longest sequence (learned/sinusoidal position tables have this many rows). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads for MQA/GQA; default nHead. */
  nKvHead: number;
  nEmbd: number;
  /** MLP hidden size; default 4·nEmbd (standard) or LLaMA's multiple_of rounding of 8/3·nEmbd (gated). */
  intermediateSize: number;
  activation: ActivationName;
  /** 'gated' gives SwiGLU with silu (LLaMA), GeGLU with gelu. */
  mlp: 'standard' | 'gated';
  norm: NormName;
  normEps: number;
  normPlacement: 'pre' | 'post';
  position: PositionKind;
  ropeTheta: number;
  ropeStyle: RopeStyle;
  ropeScaling: RopeScaling | null;
  /** Biases in the linear layers (and LayerNorm). */
  bias: boolean;
  tieEmbeddings: boolean;
  /** Dropout on embeddings and residual branches. */
  dropout: number;
  attnDropout: number;
  initStd: number;
}

export type GPTPreset = 'gpt2' | 'llama' | 'shakespeare-char';

/** Defaults of each preset (override any field). gpt2 is the 124M model; llama a small LLaMA-architecture model. */
export function gptPreset(preset: GPTPreset, overrides: Partial<GPTConfig> = {}): GPTConfig {
  const base: Record<GPTPreset, GPTConfig> = {
    gpt2: {
      vocabSize: 50257,
      blockSize: 1024,
      nLayer: 12,
      nHead: 12,
      nKvHead: 12,
      nEmbd: 768,
      intermediateSize: 3072,
      activation: 'gelu_tanh',
      mlp: 'standard',
      norm: 'layernorm',
      normEps: 1e-5,
      normPlacement: 'pre',
      position: 'learned',
      ropeTheta: 10000,
      ropeStyle: 'half',
      ropeScaling: null,
      bias: true,
      tieEmbeddings: true,
      dropout: 0.1,
      attnDropout: 0.1,
      initStd: 0.02,
    },
    llama: {
      vocabSize: 32000,
      blockSize: 2048,
      nLayer: 8,
      nHead: 8,
      nKvHead: 4,
      nEmbd: 512,
      intermediateSize: 1376,
      activation: 'silu',
      mlp: 'gated',
      norm: 'rmsnorm',
      normEps: 1e-5,
      normPlacement: 'pre',
      position: 'rope',
      ropeTheta: 10000,
      ropeStyle: 'half',
      ropeScaling: null,
      bias: false,
      tieEmbeddings: false,
      dropout: 0,
      attnDropout: 0,
      initStd: 0.02,
    },
    // nanoGPT's config/train_shakespeare_char.py with its README's CPU overrides
    'shakespeare-char': {
      vocabSize: 65,
      blockSize: 64,
      nLayer: 4,
      nHead: 4,
      nKvHead: 4,
      nEmbd: 128,
      intermediateSize: 512,
      activation: 'gelu',
      mlp: 'standard',
      norm: 'layernorm',
      normEps: 1e-5,
      normPlacement: 'pre',
      position: 'learned',
      ropeTheta: 10000,
      ropeStyle: 'half',
      ropeScaling: null,
      bias: false,
      tieEmbeddings: true,
      dropout: 0,
      attnDropout: 0,
      initStd: 0.02,
    },
  };
  const config = { ...base[preset], ...overrides };
  // keep derived sizes consistent when only the width or heads were overridden
  if (overrides.nHead !== undefined && overrides.nKvHead === undefined)
    config.nKvHead = preset === 'llama' ? Math.max(1, config.nHead / 2) : config.nHead;
  if (overrides.nEmbd !== undefined && overrides.intermediateSize === undefined)
    config.intermediateSize = defaultIntermediate(config);
  return config;
}

/** 4·C for a standard MLP; LLaMA's 256-multiple rounding of 8/3·C for a gated one (so parameters match). */
export function defaultIntermediate(c: Pick<GPTConfig, 'mlp' | 'nEmbd'>): number {
  if (c.mlp === 'standard') return 4 * c.nEmbd;
  const multipleOf = c.nEmbd >= 1024 ? 256 : 32;
  return multipleOf * Math.ceil(Math.floor((8 * c.nEmbd) / 3) / multipleOf);
}

export function validateGPTConfig(c: GPTConfig): void {
  validateCommon(c);
  if (c.position === 'rope' && (c.nEmbd / c.nHead) % 2 !== 0)
    throw new ConfigError('n_embd', `RoPE needs an even head size, got ${c.nEmbd / c.nHead}`);
  if (c.position === 'sinusoidal' && c.nEmbd % 2 !== 0)
    throw new ConfigError('n_embd', 'sinusoidal positions need an even n_embd');
  if (!['learned', 'sinusoidal', 'rope', 'alibi', 'none'].includes(c.position))
    throw new ConfigError('position', `unknown positional scheme "${c.position}"`);
  if (c.mlp !== 'standard' && c.mlp !== 'gated')
    throw new ConfigError('mlp', `must be "standard" or "gated", got "${String(c.mlp)}"`);
}

export interface ForwardOptions {
  /** [B, T] 1 for real tokens, 0 for padding (right padding for training, left for generation). */
  attentionMask?: Tensor | null;
  /** [B, T] int32 positions; default from the attention mask (cumsum - 1) or 0..T-1 after the cache. */
  positionIds?: Tensor | null;
  /** [B, T] document ids for packed rows: attention stays within a document and positions restart. */
  documentIds?: Tensor | null;
  /** Incremental decoding cache (see createCache). */
  cache?: KVCache | null;
  /** int32 [B, T] next-token targets (-100 = ignore); adds `loss` (mean cross-entropy). */
  targets?: Tensor | null;
  /** Which positions get logits: all (training) or only the last (generation saves the V×C product). */
  logits?: 'all' | 'last' | 'none';
  /** Keep every layer's attention probabilities (slower unfused path). */
  captureAttention?: boolean;
  /**
   * Serving: ids [1, N] are the tokens of several sequences side by side, each at its own
   * position (positionIds [1, N] required); keys and values go to the paged cache and every
   * token attends to its own sequence only (see nn/paged-kv-cache.ts).
   */
  paged?: { cache: PagedKVCache; step: PagedStep } | null;
  /** int32 [R] indices into the B·T positions: logits only for these rows, as [1, R, V] (overrides `logits`). */
  logitRows?: Tensor | null;
}

export interface CausalLMOutput {
  /** [B, T, V] or [B, 1, V]; null when logits: 'none'. */
  logits: Tensor | null;
  /** Final hidden states [B, T, C] (after the final norm): value and reward heads read these. */
  hidden: Tensor;
  loss: Tensor | null;
}

export class GPTTransformer extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding | null;
  readonly h: Block[];
  readonly ln_f: NormLayer;
  /** Fixed sinusoidal table [blockSize, C] when position = 'sinusoidal'. */
  readonly sinusoid: Buffer | null;

  constructor(
    readonly config: GPTConfig,
    ctx: InitContext,
    generator: Generator,
  ) {
    super();
    const c = config;
    this.wte = new Embedding(c.vocabSize, c.nEmbd, ctx, c.initStd);
    this.wpe = c.position === 'learned' ? new Embedding(c.blockSize, c.nEmbd, ctx, c.initStd) : null;
    this.sinusoid =
      c.position === 'sinusoidal'
        ? new Buffer(sinusoidalTable(c.blockSize, c.nEmbd, ctx.backend ?? getDefaultBackend(), ctx.dtype), false)
        : null;
    const projInitStd = c.initStd / Math.sqrt(2 * c.nLayer); // GPT-2: residual projections scaled by depth
    this.h = Array.from(
      { length: c.nLayer },
      () =>
        new Block(
          {
            attention: {
              nEmbd: c.nEmbd,
              nHead: c.nHead,
              nKvHead: c.nKvHead,
              bias: c.bias,
              attnDropout: c.attnDropout,
              residDropout: c.dropout,
              ropeStyle: c.ropeStyle,
              initStd: c.initStd,
              projInitStd,
            },
            mlp: {
              nEmbd: c.nEmbd,
              hidden: c.intermediateSize,
              activation: c.activation,
              bias: c.bias,
              dropout: c.dropout,
              initStd: c.initStd,
              projInitStd,
            },
            gatedMlp: c.mlp === 'gated',
            norm: c.norm,
            normEps: c.normEps,
            normBias: c.bias,
            placement: c.normPlacement,
          },
          ctx,
          generator,
        ),
    );
    // post-LN blocks end in a norm already; pre-LN needs the final one
    this.ln_f = createNorm(c.normPlacement === 'pre' ? c.norm : 'none', c.nEmbd, c.normEps, ctx, { bias: c.bias });
  }
}

/** A decoder-only transformer language model (GPT-2 and LLaMA families, by its GPTConfig). */
export class GPT extends Module {
  readonly transformer: GPTTransformer;
  readonly lm_head: Linear;
  readonly config: GPTConfig;
  /** The stream behind initialization and dropout (checkpoints save its state for exact resume). */
  readonly generator: Generator;
  private readonly slopes: number[] | null;

  /** `seed` drives initialization and dropout. */
  constructor(config: GPTConfig, options: { seed?: number; backend?: Backend; dtype?: FloatDType } = {}) {
    super();
    validateGPTConfig(config);
    this.config = config;
    this.generator = new Generator(options.seed ?? 0);
    const ctx: InitContext = {
      generator: this.generator,
      dtype: options.dtype ?? 'float32',
      backend: options.backend ?? getDefaultBackend(),
    };
    this.transformer = new GPTTransformer(config, ctx, this.generator);
    this.lm_head = new Linear(config.nEmbd, config.vocabSize, ctx, { bias: false, std: config.initStd });
    if (config.tieEmbeddings) this.lm_head.weight = this.transformer.wte.weight;
    this.slopes = config.position === 'alibi' ? alibiSlopes(config.nHead) : null;
  }

  /** A KV cache for incremental decoding with this model. */
  createCache(): KVCache {
    return new KVCache(this.config.nLayer);
  }

  /** ids int32 [B, T] -> logits [B, T, V] (and the mean cross-entropy when targets are given). */
  forward(ids: Tensor, options: ForwardOptions = {}): CausalLMOutput {
    const c = this.config;
    if (ids.dtype !== 'int32' || ids.ndim !== 2)
      throw new ShapeError('GPT.forward', 'ids must be int32 [B, T]', [ids.shape]);
    const [B, T] = ids.shape as [number, number];
    if (options.paged) return this.pagedForward(ids, options);
    const cache = options.cache ?? null;
    const past = cache?.length ?? 0;
    const S = past + T;
    if ((c.position === 'learned' || c.position === 'sinusoidal') && S > c.blockSize) {
      throw new ShapeError('GPT.forward', `sequence length ${S} exceeds block_size ${c.blockSize}`, [ids.shape]);
    }
    const mask = options.attentionMask ?? null; // [B, S] covering the cache and the new tokens
    if (mask !== null && (mask.ndim !== 2 || mask.shape[0] !== B || mask.shape[1] !== S)) {
      throw new ShapeError('GPT.forward', `attentionMask must be [B, past + T] = [${B}, ${S}]`, [mask.shape]);
    }
    // positions [B, T] and the additive mask [B, 1, T or 1, S]
    let positions = options.positionIds ?? null;
    let additive: Tensor | null = mask !== null ? paddingMask(mask, this.dtype) : null;
    if (options.documentIds) {
      const packed = packedDocuments(options.documentIds, true, this.dtype);
      additive = additive === null ? packed.mask : add(additive, packed.mask);
      positions ??= packed.positions;
    }
    if (positions === null)
      positions = mask !== null ? slice(positionsFromMask(mask), 1, past, S) : rangePositions(B, T, ids.backend, past);
    if (this.slopes !== null) {
      // without a cache the keys are the queries (packed documents restart their positions)
      const keyPositions =
        past === 0 ? positions : mask !== null ? positionsFromMask(mask) : rangePositions(B, S, ids.backend, 0);
      const bias = alibiBias(this.slopes, positions, keyPositions, this.dtype);
      additive = additive === null ? bias : add(additive, bias);
    }
    const rope =
      c.position === 'rope'
        ? ropeTables(
            positions,
            {
              headDim: c.nEmbd / c.nHead,
              theta: c.ropeTheta,
              style: c.ropeStyle,
              scaling: c.ropeScaling,
              maxPositions: c.blockSize,
            },
            this.dtype,
          )
        : null;

    // token (+ position) embeddings: [B, T, C]
    const tr = this.transformer;
    let x = tr.wte.forward(ids);
    if (tr.wpe !== null) x = add(x, tr.wpe.forward(positions));
    if (tr.sinusoid !== null) x = add(x, embedding(tr.sinusoid, positions));
    x = dropout(x, c.dropout, this.generator, this.training);

    const inputs: AttentionInputs = {
      causal: true,
      mask: additive,
      rope,
      cache: null,
      capture: options.captureAttention ?? false,
    };
    const tokenMask = mask !== null ? slice(mask, 1, past, S) : null;
    tr.h.forEach((block, i) => {
      x = block.forward(x, { ...inputs, cache: cache?.layers[i] ?? null }, tokenMask);
    });
    const hidden = tr.ln_f.forward(x, tokenMask); // [B, T, C]
    return this.head(hidden, options);
  }

  /** Logits (all, last, none or the chosen rows) and the loss from the final hidden states [B, T, C]. */
  private head(hidden: Tensor, options: ForwardOptions): CausalLMOutput {
    const c = this.config;
    const [B, T] = hidden.shape as [number, number, number];
    if (options.logitRows) {
      const rows = indexSelect(reshape(hidden, [B * T, c.nEmbd]), 0, options.logitRows); // [R, C]
      return { logits: reshape(linear(rows, this.lm_head.weight), [1, -1, c.vocabSize]), hidden, loss: null };
    }
    const which = options.logits ?? 'all';
    let logits: Tensor | null = null;
    if (which !== 'none') {
      const h = which === 'last' ? slice(hidden, 1, T - 1, T) : hidden;
      logits = this.lm_head.forward(h); // [B, T or 1, V] (no bias; quantized when the model is)
    }
    let loss: Tensor | null = null;
    if (options.targets) {
      if (logits === null || which !== 'all')
        throw new ShapeError('GPT.forward', 'targets need logits for all positions');
      loss = crossEntropy(reshape(logits, [-1, c.vocabSize]), reshape(options.targets, [-1]));
    }
    return { logits, hidden, loss };
  }

  /** The serving forward pass (options.paged): one row of tokens from many sequences. */
  private pagedForward(ids: Tensor, options: ForwardOptions): CausalLMOutput {
    const c = this.config;
    const { cache, step } = options.paged!;
    const positions = options.positionIds ?? null;
    const N = ids.shape[1]!;
    if (ids.shape[0] !== 1 || positions === null || positions.shape[0] !== 1 || positions.shape[1] !== N)
      throw new ShapeError('GPT.forward', 'a paged forward needs ids and positionIds as one row [1, N]', [
        ids.shape,
        positions?.shape ?? [],
      ]);
    if (options.attentionMask || options.cache || options.documentIds || options.targets || options.captureAttention)
      throw new ShapeError('GPT.forward', 'a paged forward takes no attention mask, KV cache, documents or targets');
    const rope =
      c.position === 'rope'
        ? ropeTables(
            positions,
            {
              headDim: c.nEmbd / c.nHead,
              theta: c.ropeTheta,
              style: c.ropeStyle,
              scaling: c.ropeScaling,
              maxPositions: c.blockSize,
            },
            this.dtype,
          )
        : null;
    const tr = this.transformer;
    let x = tr.wte.forward(ids); // [1, N, C]
    if (tr.wpe !== null) x = add(x, tr.wpe.forward(positions));
    if (tr.sinusoid !== null) x = add(x, embedding(tr.sinusoid, positions));
    const alibiSlopes = this.slopes === null ? null : Float32Array.from(this.slopes);
    tr.h.forEach((block, layer) => {
      x = block.forward(x, { causal: true, mask: null, rope, cache: null, paged: { cache, layer, step, alibiSlopes } });
    });
    return this.head(tr.ln_f.forward(x), options);
  }

  get dtype(): FloatDType {
    return this.transformer.wte.weight.dtype as FloatDType;
  }

  /** Parameters without position embeddings, as nanoGPT reports them. */
  numParametersNonEmbedding(): number {
    return this.numParameters() - (this.transformer.wpe?.weight.size ?? 0);
  }

  /** Training FLOPs per token (forward + backward) at sequence length T: 6N + 12·L·C·T (PaLM appendix B). */
  flopsPerToken(T = this.config.blockSize): number {
    const c = this.config;
    return 6 * this.numParametersNonEmbedding() + 12 * c.nLayer * c.nEmbd * T;
  }
}
