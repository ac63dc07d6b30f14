/**
 * Hugging Face config.json <-> llmts model configs for GPT2LMHeadModel, LlamaForCausalLM and
 * BertForMaskedLM. snake_case keys exist only here, at the boundary. Fields llmts does not
 * model are ignored on import; export writes what transformers needs to rebuild the model.
 */
import { describe } from '../../core/describe.ts';
import type { GPTConfig } from '../../models/gpt.ts';
import type { BertConfig } from '../../models/bert.ts';
import type { ModelSpec } from '../../models/registry.ts';
import type { ActivationName } from '../../nn/layers.ts';
import { ConfigError, FormatError } from '../../core/errors.ts';
import type { HfArchitecture } from './mapping.ts';

type Json = Record<string, unknown>;

function num(cfg: Json, key: string, file: string, fallback?: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new FormatError(file, `missing field ${key}`, key);
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new FormatError(file, `expected a number, got ${describe(v)}`, key);
  return v;
}

function bool(cfg: Json, key: string, file: string, fallback: boolean): boolean {
  const v = cfg[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new FormatError(file, `expected true or false, got ${describe(v)}`, key);
  return v;
}

const HF_ACTIVATIONS: Record<string, ActivationName> = {
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  swish: 'silu',
  tanh: 'tanh',
  // what hfConfigFor writes for these (transformers ACT2FN has both)
  sigmoid: 'sigmoid',
  linear: 'none',
};

function activationOf(cfg: Json, key: string, file: string, fallback: string): ActivationName {
  const v = cfg[key] ?? fallback;
  const a = typeof v === 'string' ? HF_ACTIVATIONS[v] : undefined;
  if (a === undefined)
    throw new FormatError(
      file,
      `unsupported activation ${describe(v)} (supported: ${Object.keys(HF_ACTIVATIONS).join(', ')})`,
      key,
    );
  return a;
}

export function architectureOf(cfg: Json, file: string): HfArchitecture {
  const archs = cfg['architectures'];
  const type = cfg['model_type'];
  const names = Array.isArray(archs) ? archs.filter((a): a is string => typeof a === 'string') : [];
  if (names.some((a) => a.startsWith('GPT2')) || type === 'gpt2') return 'GPT2LMHeadModel';
  if (names.some((a) => a.startsWith('Llama')) || type === 'llama') return 'LlamaForCausalLM';
  if (names.some((a) => a.startsWith('Bert')) || type === 'bert') return 'BertForMaskedLM';
  throw new FormatError(
    file,
    `unsupported model (architectures ${describe(archs)}, model_type ${describe(type)}); llmts reads GPT-2, LLaMA and BERT`,
    'architectures',
  );
}

export function specFromHfConfig(cfg: Json, file: string): ModelSpec {
  const arch = architectureOf(cfg, file);
  if (arch === 'GPT2LMHeadModel') {
    const C = num(cfg, 'n_embd', file);
    const config: GPTConfig = {
      vocabSize: num(cfg, 'vocab_size', file),
      blockSize: num(cfg, 'n_positions', file, num(cfg, 'n_ctx', file, 1024)),
      nLayer: num(cfg, 'n_layer', file),
      nHead: num(cfg, 'n_head', file),
      nKvHead: num(cfg, 'n_head', file),
      nEmbd: C,
      intermediateSize: num(cfg, 'n_inner', file, 4 * C),
      activation: activationOf(cfg, 'activation_function', file, 'gelu_new'),
      mlp: 'standard',
      norm: 'layernorm',
      normEps: num(cfg, 'layer_norm_epsilon', file, 1e-5),
      normPlacement: 'pre',
      position: 'learned',
      ropeTheta: 10000,
      ropeStyle: 'half',
      ropeScaling: null,
      bias: true,
      tieEmbeddings: bool(cfg, 'tie_word_embeddings', file, true),
      dropout: num(cfg, 'resid_pdrop', file, 0.1),
      attnDropout: num(cfg, 'attn_pdrop', file, 0.1),
      initStd: num(cfg, 'initializer_range', file, 0.02),
    };
    if (cfg['scale_attn_by_inverse_layer_idx'] === true || cfg['reorder_and_upcast_attn'] === true) {
      throw new FormatError(
        file,
        'scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported',
        'scale_attn_by_inverse_layer_idx',
      );
    }
    return { family: 'gpt', config };
  }
  if (arch === 'LlamaForCausalLM') {
    const H = num(cfg, 'hidden_size', file);
    const heads = num(cfg, 'num_attention_heads', file);
    if (cfg['head_dim'] !== undefined && cfg['head_dim'] !== null && num(cfg, 'head_dim', file) !== H / heads) {
      throw new FormatError(
        file,
        'head_dim different from hidden_size / num_attention_heads is not supported',
        'head_dim',
      );
    }
    const scaling = cfg['rope_scaling'];
    let ropeScaling: GPTConfig['ropeScaling'] = null;
    if (scaling !== undefined && scaling !== null) {
      const s = scaling as Json;
      const type = s['type'] ?? s['rope_type'];
      if (type !== 'linear' && type !== 'dynamic')
        throw new FormatError(
          file,
          `rope_scaling type ${describe(type)} is not supported (linear, dynamic)`,
          'rope_scaling',
        );
      ropeScaling = { type, factor: num(s, 'factor', file) };
    }
    const config: GPTConfig = {
      vocabSize: num(cfg, 'vocab_size', file),
      blockSize: num(cfg, 'max_position_embeddings', file, 2048),
      nLayer: num(cfg, 'num_hidden_layers', file),
      nHead: heads,
      nKvHead: num(cfg, 'num_key_value_heads', file, heads),
      nEmbd: H,
      intermediateSize: num(cfg, 'intermediate_size', file),
      activation: activationOf(cfg, 'hidden_act', file, 'silu'),
      mlp: 'gated',
      norm: 'rmsnorm',
      normEps: num(cfg, 'rms_norm_eps', file, 1e-6),
      normPlacement: 'pre',
      position: 'rope',
      ropeTheta: num(cfg, 'rope_theta', file, 10000),
      ropeStyle: 'half',
      ropeScaling,
      bias: bool(cfg, 'attention_bias', file, false),
      tieEmbeddings: bool(cfg, 'tie_word_embeddings', file, false),
      dropout: 0,
      attnDropout: num(cfg, 'attention_dropout', file, 0),
      initStd: num(cfg, 'initializer_range', file, 0.02),
    };
    if (bool(cfg, 'mlp_bias', file, false) !== config.bias)
      throw new FormatError(file, 'attention_bias and mlp_bias must agree', 'mlp_bias');
    return { family: 'gpt', config };
  }
  const pet = cfg['position_embedding_type'];
  if (pet !== undefined && pet !== 'absolute')
    throw new FormatError(
      file,
      `position_embedding_type ${describe(pet)} is not supported (absolute)`,
      'position_embedding_type',
    );
  const heads = num(cfg, 'num_attention_heads', file);
  const config: BertConfig = {
    vocabSize: num(cfg, 'vocab_size', file),
    blockSize: num(cfg, 'max_position_embeddings', file, 512),
    typeVocabSize: num(cfg, 'type_vocab_size', file, 2),
    nLayer: num(cfg, 'num_hidden_layers', file),
    nHead: heads,
    nKvHead: heads,
    nEmbd: num(cfg, 'hidden_size', file),
    intermediateSize: num(cfg, 'intermediate_size', file),
    activation: activationOf(cfg, 'hidden_act', file, 'gelu'),
    norm: 'layernorm',
    normEps: num(cfg, 'layer_norm_eps', file, 1e-12),
    normPlacement: 'post',
    position: 'learned',
    dropout: num(cfg, 'hidden_dropout_prob', file, 0.1),
    attnDropout: num(cfg, 'attention_probs_dropout_prob', file, 0.1),
    initStd: num(cfg, 'initializer_range', file, 0.02),
    padTokenId: num(cfg, 'pad_token_id', file, 0),
    numLabels: 0,
  };
  return { family: 'bert', config };
}

const TO_HF_ACT: Record<ActivationName, string> = {
  gelu_tanh: 'gelu_new',
  gelu: 'gelu',
  relu: 'relu',
  silu: 'silu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  none: 'linear',
};

/** The HF architecture an llmts model can be saved as, or a ConfigError saying why it cannot. */
export function hfArchitectureFor(spec: ModelSpec): HfArchitecture {
  if (spec.family === 'bert') {
    const c = spec.config;
    if (c.position !== 'learned' || c.norm !== 'layernorm' || c.normPlacement !== 'post' || c.nKvHead !== c.nHead) {
      throw new ConfigError(
        'model',
        'only a standard BERT (learned positions, post-LN LayerNorm, full attention heads) can be saved as BertForMaskedLM',
      );
    }
    return 'BertForMaskedLM';
  }
  if (spec.family === 'encdec')
    throw new ConfigError(
      'model',
      'encoder-decoder models are saved in the llmts checkpoint format only (no HF architecture matches them exactly)',
    );
  const c = spec.config;
  if (
    c.position === 'learned' &&
    c.norm === 'layernorm' &&
    c.normPlacement === 'pre' &&
    c.mlp === 'standard' &&
    c.nKvHead === c.nHead
  )
    return 'GPT2LMHeadModel';
  // LlamaMLP applies ACT2FN[hidden_act] to the gate: any activation (GeGLU as Gemma) is a LLaMA
  if (
    c.position === 'rope' &&
    c.norm === 'rmsnorm' &&
    c.normPlacement === 'pre' &&
    c.mlp === 'gated' &&
    c.ropeStyle === 'half'
  )
    return 'LlamaForCausalLM';
  throw new ConfigError(
    'model',
    `this GPT variant (position ${c.position}, norm ${c.norm}, mlp ${c.mlp}) is neither GPT-2 nor LLaMA and cannot be saved in an HF layout; use the llmts checkpoint`,
  );
}

export function hfConfigFor(spec: ModelSpec): Json {
  const arch = hfArchitectureFor(spec);
  if (arch === 'GPT2LMHeadModel' && spec.family === 'gpt') {
    const c = spec.config;
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: c.vocabSize,
      n_positions: c.blockSize,
      n_ctx: c.blockSize,
      n_embd: c.nEmbd,
      n_layer: c.nLayer,
      n_head: c.nHead,
      n_inner: c.intermediateSize === 4 * c.nEmbd ? null : c.intermediateSize,
      activation_function: TO_HF_ACT[c.activation],
      resid_pdrop: c.dropout,
      embd_pdrop: c.dropout,
      attn_pdrop: c.attnDropout,
      layer_norm_epsilon: c.normEps,
      initializer_range: c.initStd,
      scale_attn_weights: true,
      tie_word_embeddings: c.tieEmbeddings,
      bos_token_id: c.vocabSize - 1,
      eos_token_id: c.vocabSize - 1,
      torch_dtype: 'float32',
    };
  }
  if (arch === 'LlamaForCausalLM' && spec.family === 'gpt') {
    const c = spec.config;
    return {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      vocab_size: c.vocabSize,
      hidden_size: c.nEmbd,
      intermediate_size: c.intermediateSize,
      num_hidden_layers: c.nLayer,
      num_attention_heads: c.nHead,
      num_key_value_heads: c.nKvHead,
      hidden_act: TO_HF_ACT[c.activation],
      max_position_embeddings: c.blockSize,
      rms_norm_eps: c.normEps,
      rope_theta: c.ropeTheta,
      rope_scaling: c.ropeScaling,
      attention_bias: c.bias,
      mlp_bias: c.bias,
      tie_word_embeddings: c.tieEmbeddings,
      initializer_range: c.initStd,
      attention_dropout: c.attnDropout,
      torch_dtype: 'float32',
    };
  }
  if (spec.family !== 'bert') throw new ConfigError('model', 'unreachable architecture mismatch');
  const c = spec.config;
  return {
    architectures: ['BertForMaskedLM'],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.nEmbd,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    intermediate_size: c.intermediateSize,
    hidden_act: TO_HF_ACT[c.activation],
    hidden_dropout_prob: c.dropout,
    attention_probs_dropout_prob: c.attnDropout,
    max_position_embeddings: c.blockSize,
    type_vocab_size: c.typeVocabSize,
    initializer_range: c.initStd,
    layer_norm_eps: c.normEps,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  };
}
