/**
 * What every alignment stage does first: load a policy run (model, tokenizer, chat format),
 * make sure the tokenizer has the format's special tokens (growing the embedding when it
 * did not), copy models (actor and frozen reference from one SFT model), and write the run
 * directory's tokenizer.json, tokenizer_config.json and config.json.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { noGrad } from '../../engine/grad-mode.ts';
import { randn } from '../../engine/ops/creation.ts';
import { Generator } from '../../core/random.ts';
import { ConfigError, IOError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { loadModel } from '../../io/load-model.ts';
import { GPT } from '../../models/gpt.ts';
import type { ModelSpec } from '../../models/registry.ts';
import type { Module } from '../../nn/module.ts';
import { loadTokenizer } from '../../tokenizers/index.ts';
import type { Tokenizer } from '../../tokenizers/index.ts';
import { ChatTemplate, formatSpecialTokens } from '../../data/chat/template.ts';
import type { ChatFormat } from '../../data/chat/template.ts';
import { runChatFormat, TOKENIZER_CONFIG, writeChatFormat } from '../../data/chat/format-file.ts';
import { chatIds } from '../../data/chat/encode.ts';
import type { ChatIds } from '../../data/chat/encode.ts';
import type { JsonValue } from '../../core/json.ts';
import { withoutKeys } from './config.ts';

export interface PolicyBundle {
  model: GPT;
  tokenizer: Tokenizer;
  /** The run's chat format (null for a pretraining run). */
  format: ChatFormat | null;
  runDir: string;
}

/**
 * A GPT from anything llmts loads: an llmts run directory (pretrain, SFT, PPO, DPO, GRPO, or
 * the backbone of a reward-model run), an llmts checkpoint file, or a Hugging Face GPT-2 /
 * LLaMA folder (config.json + model.safetensors, as `llmts model init` writes). The
 * tokenizer is the folder's tokenizer.json unless `tokenizer` names one (a folder from
 * `llmts model init` has none). The chat format is the folder's tokenizer_config.json when
 * it has a chat template and a pad token, else null (a pretrained model: SFT brings one).
 */
export function loadPolicyRun(path: string, o: { tokenizer?: string | null } = {}): PolicyBundle {
  if (!existsSync(path)) throw new IOError(path, 'model not found (a run directory, checkpoint or HF model folder)');
  const { model } = loadModel(path);
  if (!(model instanceof GPT))
    throw new ConfigError(
      'model',
      `${path} holds a ${model.constructor.name}; the alignment stages need a GPT (decoder-only) model`,
    );
  const dir = statSync(path).isDirectory() ? path : dirname(path);
  const tokPath = o.tokenizer ?? join(dir, 'tokenizer.json');
  if (!existsSync(tokPath))
    throw new IOError(
      o.tokenizer ?? dir,
      o.tokenizer
        ? 'tokenizer file not found'
        : 'no tokenizer.json beside the model: pass --tokenizer FILE (alignment stages need a BPE/SentencePiece tokenizer)',
    );
  const tokenizer = loadTokenizer(tokPath);
  return { model, tokenizer, format: chatFormatIn(dir), runDir: path };
}

/** The chat format of a model folder: tokenizer_config.json with a chat template and a pad token, else null. */
function chatFormatIn(dir: string): ChatFormat | null {
  const p = join(dir, TOKENIZER_CONFIG);
  if (!existsSync(p)) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;
  } catch {
    return runChatFormat(dir); // raises the reader's FormatError naming the file
  }
  // an HF tokenizer_config.json without a chat template (or without a pad token) is not a chat model yet
  if (raw['chat_template'] === undefined || raw['pad_token'] === undefined || raw['pad_token'] === null) return null;
  return runChatFormat(dir);
}

/** A copy with the same config and weights (dropout off: every RLHF model runs in eval mode, detail 7). */
export function cloneGpt(model: GPT, seed = 0): GPT {
  const copy = new GPT(
    { ...model.config, dropout: 0, attnDropout: 0 },
    { seed, dtype: model.dtype, backend: model.transformer.wte.weight.backend },
  );
  copy.loadStateDict(model.stateDict(), { strict: false });
  return copy.eval();
}

/** Freezes a module: eval mode and no gradients (the reference and the reward model in PPO). */
export function freeze<M extends Module>(m: M): M {
  m.eval();
  m.requiresGrad_(false);
  return m;
}

/**
 * A GPT whose vocabulary grew to `vocabSize`: old rows copied, new embedding rows drawn
 * N(0, initStd^2) (new special tokens start untrained, as HF resize_token_embeddings).
 */
export function resizeVocab(model: GPT, vocabSize: number, seed = 0): GPT {
  if (vocabSize <= model.config.vocabSize) return model;
  const grown = new GPT(
    { ...model.config, vocabSize },
    { seed, dtype: model.dtype, backend: model.transformer.wte.weight.backend },
  );
  const g = new Generator(seed + 1);
  const old = model.stateDict();
  noGrad(() => {
    for (const [name, t] of grown.stateDict()) {
      const src = old.get(name);
      if (src === undefined) continue;
      if (src.shape[0] === t.shape[0]) {
        t.copy_(src);
        continue;
      }
      // embedding / LM-head rows [V, C]: copy the old rows, fresh ones for the new ids
      const fresh = randn(t.shape, { generator: g, std: model.config.initStd, dtype: model.dtype, backend: t.backend });
      const data = fresh.toTypedArray() as Float32Array;
      data.set(src.toTypedArray() as Float32Array);
      (t.data as Float32Array).set(data, t.offset);
    }
  });
  return grown;
}

/** Adds the format's special tokens the tokenizer lacks; returns the model resized if needed. */
export function prepareForChat(
  model: GPT,
  tokenizer: Tokenizer,
  format: ChatFormat,
  seed = 0,
): { model: GPT; added: number; ids: ChatIds; template: ChatTemplate } {
  const template = new ChatTemplate(format);
  const missing = formatSpecialTokens(format).filter((t) => tokenizer.tokenToId(t) === undefined);
  const added = missing.length > 0 ? tokenizer.addSpecialTokens(missing) : 0;
  const ids = chatIds(tokenizer, template);
  const resized = tokenizer.vocabSize > model.config.vocabSize ? resizeVocab(model, tokenizer.vocabSize, seed) : model;
  return { model: resized, added, ids, template };
}

/** A run directory's fixed files: tokenizer.json, tokenizer_config.json (chat format), config.json. */
export function writeRunFiles(
  runDir: string,
  o: {
    tokenizer: Tokenizer;
    format: ChatFormat;
    spec: ModelSpec;
    stage: string;
    config: JsonValue;
    inputs?: Record<string, string>;
  },
): void {
  mkdirSync(runDir, { recursive: true });
  o.tokenizer.save(join(runDir, 'tokenizer.json'));
  writeChatFormat(runDir, o.format);
  writeFileAtomic(
    join(runDir, 'config.json'),
    `${JSON.stringify({ stage: o.stage, model: o.spec, train: o.config, inputs: o.inputs ?? {} }, null, 2)}\n`,
  );
}

/**
 * Every stage records its hyperparameters the same way: its options minus `inputKeys` (the
 * models, data and callbacks), as JSON, in config.json beside the run's fixed files; the
 * record is returned for the checkpoints to store too.
 */
export function writeStageRunFiles<
  O extends { runDir: string; tokenizer: Tokenizer; format: ChatFormat; inputs?: Record<string, string> },
>(stage: string, o: O, spec: ModelSpec, inputKeys: readonly (keyof O)[]): JsonValue {
  const record = JSON.parse(JSON.stringify(withoutKeys(o, inputKeys))) as JsonValue;
  writeRunFiles(o.runDir, {
    tokenizer: o.tokenizer,
    format: o.format,
    spec,
    stage,
    config: record,
    ...(o.inputs ? { inputs: o.inputs } : {}),
  });
  return record;
}

/**
 * Points every parameter of `copy` at the storage of the same-named parameter of `source`
 * (same shapes): a copy that costs no memory for weights that stay frozen (LoRA's base). The
 * shared weights must never be written (LoRA stages never merge in place).
 */
export function shareFrozenWeights(copy: Module, source: Module): void {
  const src = new Map(source.namedParameters());
  for (const [name, p] of copy.namedParameters()) {
    const s = src.get(name);
    if (s === undefined || s.shape.join() !== p.shape.join() || !s.isContiguous() || !p.isContiguous()) continue;
    p.storage = s.storage;
    p.offset = s.offset;
  }
}
