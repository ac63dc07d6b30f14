/**
 * Checks an HF config.json against its checkpoint before any parameter is allocated, so a
 * hostile or mismatched config (vocab_size 1e10, n_layer 1e9) is a FormatError naming the
 * config field instead of an out-of-memory or a hang: every size that scales the model
 * (layers, vocabulary, width, MLP width, positions, token types, kv heads) must agree with
 * the shape of a tensor in the file, which bounds the model by the file's size.
 */
import { ConfigError, FormatError } from '../../core/errors.ts';
import { validateGPTConfig } from '../../models/gpt.ts';
import { validateBertConfig } from '../../models/bert.ts';
import type { ModelSpec } from '../../models/registry.ts';
import { parameterLowerBound } from '../../models/spec-schema.ts';
import type { TensorInfo } from '../safetensors.ts';
import type { HfArchitecture } from './mapping.ts';
import { hfAliases } from './mapping.ts';

/** llmts config fields (as ConfigError names them) -> the config.json key of each architecture. */
const HF_FIELDS: Record<HfArchitecture, Record<string, string>> = {
  GPT2LMHeadModel: {
    block_size: 'n_positions',
    n_kv_head: 'n_head',
    intermediate_size: 'n_inner',
    activation: 'activation_function',
    norm_eps: 'layer_norm_epsilon',
    dropout: 'resid_pdrop',
    attn_dropout: 'attn_pdrop',
    init_std: 'initializer_range',
  },
  LlamaForCausalLM: {
    block_size: 'max_position_embeddings',
    n_layer: 'num_hidden_layers',
    n_head: 'num_attention_heads',
    n_kv_head: 'num_key_value_heads',
    n_embd: 'hidden_size',
    activation: 'hidden_act',
    norm_eps: 'rms_norm_eps',
    attn_dropout: 'attention_dropout',
    init_std: 'initializer_range',
  },
  BertForMaskedLM: {
    block_size: 'max_position_embeddings',
    n_layer: 'num_hidden_layers',
    n_head: 'num_attention_heads',
    n_kv_head: 'num_attention_heads',
    n_embd: 'hidden_size',
    activation: 'hidden_act',
    norm_eps: 'layer_norm_eps',
    dropout: 'hidden_dropout_prob',
    attn_dropout: 'attention_probs_dropout_prob',
    init_std: 'initializer_range',
  },
};

export function hfFieldName(arch: HfArchitecture, field: string): string {
  return HF_FIELDS[arch][field] ?? field;
}

/** Validates the model config built from config.json; errors become FormatErrors naming the config.json key. */
export function validateHfSpec(arch: HfArchitecture, spec: ModelSpec, file: string): void {
  try {
    if (spec.family === 'gpt') validateGPTConfig(spec.config);
    else if (spec.family === 'bert') validateBertConfig(spec.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      const field = hfFieldName(arch, err.field);
      throw new FormatError(file, err.message.replace(/^config field \S+: /, ''), field, { cause: err });
    }
    throw err;
  }
}

interface Anchor {
  /** HF tensor name (aliases accepted). */
  name: string;
  /** Expected shape, each dim with the config field it comes from. */
  dims: [number, string][];
}

interface Plan {
  layerKey: (i: number) => string;
  layers: [number, string];
  anchors: Anchor[];
}

function planFor(arch: HfArchitecture, spec: ModelSpec): Plan {
  if (spec.family === 'bert') {
    const c = spec.config;
    const h: [number, string] = [c.nEmbd, 'hidden_size'];
    return {
      layerKey: (i) => `bert.encoder.layer.${i}.intermediate.dense.weight`,
      layers: [c.nLayer, 'num_hidden_layers'],
      anchors: [
        { name: 'bert.embeddings.word_embeddings.weight', dims: [[c.vocabSize, 'vocab_size'], h] },
        { name: 'bert.embeddings.position_embeddings.weight', dims: [[c.blockSize, 'max_position_embeddings'], h] },
        { name: 'bert.embeddings.token_type_embeddings.weight', dims: [[c.typeVocabSize, 'type_vocab_size'], h] },
        {
          name: 'bert.encoder.layer.0.intermediate.dense.weight',
          dims: [[c.intermediateSize, 'intermediate_size'], h],
        },
      ],
    };
  }
  if (spec.family !== 'gpt') throw new FormatError('<config>', `${arch} needs a GPT-family model`);
  const c = spec.config;
  if (arch === 'GPT2LMHeadModel') {
    const h: [number, string] = [c.nEmbd, 'n_embd'];
    return {
      layerKey: (i) => `transformer.h.${i}.mlp.c_fc.weight`,
      layers: [c.nLayer, 'n_layer'],
      anchors: [
        { name: 'transformer.wte.weight', dims: [[c.vocabSize, 'vocab_size'], h] },
        { name: 'transformer.wpe.weight', dims: [[c.blockSize, 'n_positions'], h] },
        { name: 'transformer.h.0.mlp.c_fc.weight', dims: [h, [c.intermediateSize, 'n_inner']] },
      ],
    };
  }
  const h: [number, string] = [c.nEmbd, 'hidden_size'];
  return {
    layerKey: (i) => `model.layers.${i}.mlp.gate_proj.weight`,
    layers: [c.nLayer, 'num_hidden_layers'],
    anchors: [
      { name: 'model.embed_tokens.weight', dims: [[c.vocabSize, 'vocab_size'], h] },
      { name: 'model.layers.0.mlp.gate_proj.weight', dims: [[c.intermediateSize, 'intermediate_size'], h] },
      {
        name: 'model.layers.0.self_attn.k_proj.weight',
        dims: [[(c.nKvHead * c.nEmbd) / c.nHead, 'num_key_value_heads'], h],
      },
    ],
  };
}

/**
 * Throws a FormatError naming the config.json field when the config's sizes disagree with
 * the checkpoint's tensor shapes (read from the headers only).
 */
export function checkSizesAgainstCheckpoint(
  arch: HfArchitecture,
  spec: ModelSpec,
  ckpt: { has(name: string): boolean; info(name: string): TensorInfo; keys?(): string[] },
  configFile: string,
): void {
  const plan = planFor(arch, spec);
  const resolve = (name: string): string | undefined => hfAliases(name).find((a) => ckpt.has(a));
  const [L, layerField] = plan.layers;
  if (resolve(plan.layerKey(L - 1)) === undefined || resolve(plan.layerKey(L)) !== undefined) {
    let found = 0;
    while (found < 100_000 && resolve(plan.layerKey(found)) !== undefined) found++;
    throw new FormatError(configFile, `${layerField} is ${L} but the checkpoint holds ${found} layers`, layerField);
  }
  for (const a of plan.anchors) {
    const key = resolve(a.name);
    // every anchor is a tensor the model needs: missing, nothing bounds its config size
    if (key === undefined)
      throw new FormatError(
        configFile,
        `the checkpoint has no ${a.name}, which ${a.dims.map(([, f]) => f).join(' and ')} size`,
        a.dims[0]![1],
      );
    const shape = ckpt.info(key).shape;
    // same size but another layout (a transposed Conv1D): the mapping pass names the tensor
    if (shape.length !== a.dims.length || shape.reduce((n, d) => n * d, 1) === a.dims.reduce((n, [d]) => n * d, 1))
      continue;
    a.dims.forEach(([want, field], i) => {
      if (shape[i] !== want) {
        throw new FormatError(
          configFile,
          `dimension ${i} of ${key} should be ${want} by ${field}, but the checkpoint's shape is [${shape.join(', ')}]`,
          field,
        );
      }
    });
  }
  // last, after the checks that name the exact field: the config cannot describe more
  // parameters than the file holds values (sizes no anchor tensor shows)
  if (ckpt.keys !== undefined) {
    let elements = 0;
    for (const k of ckpt.keys()) elements += ckpt.info(k).shape.reduce((n, d) => n * d, 1);
    const { total, terms } = parameterLowerBound(spec);
    if (total > elements) {
      const [field] = terms.reduce((x, y) => (y[1] > x[1] ? y : x));
      throw new FormatError(
        configFile,
        `the config describes at least ${total} parameters but the checkpoint holds ${elements} values`,
        hfFieldName(arch, field),
      );
    }
  }
}
