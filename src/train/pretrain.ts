/**
 * Pretraining from a token-shard dataset: builds (or resumes) the model, AdamW with
 * nanoGPT's parameter groups, warmup + cosine schedule, the objective of the model's family
 * (causal LM, masked LM, denoising), and runs the shared loop into a run directory:
 *   config.json, metrics.jsonl, loss.svg, checkpoint-last/best.safetensors, tokenizer.json.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openShardDataset } from '../data/shards/index.ts';
import type { ShardDataset, TokenSplit } from '../data/shards/index.ts';
import { ConfigError, FormatError, IOError } from '../core/errors.ts';
import { parseModelSpecFrom } from '../models/spec-schema.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { createModel, specFromPreset } from '../models/registry.ts';
import type { AnyModel, ModelSpec, PresetName, SizeOverrides } from '../models/registry.ts';
import { GPT } from '../models/gpt.ts';
import { BERT } from '../models/bert.ts';
import { flattenParameters } from '../nn/module.ts';
import { AdamW } from '../optim/adamw.ts';
import { groupsForWeightDecay } from '../optim/optimizer.ts';
import { createSchedule } from '../optim/schedule.ts';
import { loadTokenizer } from '../tokenizers/index.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { RunCheckpointer } from '../io/checkpoint.ts';
import { DEFAULT_SPIKE_FACTOR, trainLoop } from './loop.ts';
import type { JsonValue } from '../core/json.ts';
import type { LoopResult, TrainTask } from './loop.ts';
import type { MetricRecord } from './metrics.ts';
import { CausalLMTask, DenoisingTask, MaskedLMTask } from './tasks.ts';
import type { MlmSpecials } from './tasks.ts';

export interface PretrainConfig {
  /** Model preset and size overrides; the vocabulary size comes from the dataset. */
  preset: PresetName;
  overrides: SizeOverrides;
  /** Token-shard dataset directory (llmts prepare). */
  data: string;
  runDir: string;
  batchSize: number;
  /** Training steps (optimizer updates). */
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  /** Where the cosine reaches minLr (default: steps). */
  decaySteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  gradClip: number | null;
  gradAccumSteps: number;
  evalEvery: number;
  evalBatches: number;
  checkpointEvery: number;
  seed: number;
  resume: boolean;
  timeLimitSeconds?: number;
  /** Loss-spike check: stop when a loss exceeds this x the recent median (0 disables; default 4). */
  spikeFactor?: number;
  /** Collapse check: stop after this many steps at the uniform prediction's loss (0 disables; default 10). */
  collapseSteps?: number;
  onStep?: (r: MetricRecord) => void;
}

/** nanoGPT's train_shakespeare_char.py with its README's CPU overrides, as defaults. */
export function defaultPretrainConfig(
  overrides: Partial<PretrainConfig> & Pick<PretrainConfig, 'data' | 'runDir'>,
): PretrainConfig {
  const steps = overrides.steps ?? 2000;
  return {
    preset: 'shakespeare-char',
    overrides: {},
    batchSize: 12,
    steps,
    lr: 1e-3,
    minLr: 1e-4,
    warmupSteps: 100,
    decaySteps: overrides.decaySteps ?? steps,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.99,
    gradClip: 1.0,
    gradAccumSteps: 1,
    evalEvery: 250,
    evalBatches: 20,
    checkpointEvery: 250,
    seed: 1337,
    resume: false,
    ...overrides,
  };
}

export interface PretrainResult {
  model: AnyModel;
  spec: ModelSpec;
  result: LoopResult;
  runDir: string;
  tokenizer: Tokenizer | null;
}

function firstId(tok: Tokenizer | null, candidates: readonly string[]): number | undefined {
  if (tok === null) return undefined;
  for (const c of candidates) {
    const id = tok.tokenToId(c);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** Special ids for MLM / denoising: the tokenizer's own, or ids appended after the vocabulary. */
function specialsFor(dataset: ShardDataset, tok: Tokenizer | null): { specials: MlmSpecials; vocabSize: number } {
  let vocab = dataset.meta.vocab_size;
  const take = (names: readonly string[]): number => firstId(tok, names) ?? vocab++;
  const pad = take(['[PAD]', '<pad>']);
  const cls = take(['[CLS]', '<s>', '<|startoftext|>']);
  const sep = take(['[SEP]', '</s>', '<|endoftext|>']);
  const mask = take(['[MASK]', '<mask>']);
  return {
    specials: { pad, bos: cls, sep, docEnd: dataset.meta.eos_id, mask, special: [pad, cls, sep, mask] },
    vocabSize: vocab,
  };
}

function bytesPerToken(
  split: TokenSplit,
  tok: Tokenizer | null,
  chars: readonly string[] | undefined,
): number | undefined {
  const n = Math.min(split.numTokens, 100_000);
  if (n === 0) return undefined;
  const ids = split.read(0, n, new Int32Array(n));
  let text: string;
  if (tok !== null) text = tok.decode(Array.from(ids));
  else if (chars !== undefined) text = Array.from(ids, (i) => chars[i] ?? '').join('');
  else return undefined;
  return Buffer.byteLength(text, 'utf8') / n;
}

/** Pretrains a model on token shards (next-token loss) with trainLoop; returns the model and the run's result. */
export async function pretrain(config: PretrainConfig): Promise<PretrainResult> {
  if (existsSync(config.runDir) && !statSync(config.runDir).isDirectory())
    throw new IOError(config.runDir, 'is a file; the run directory must be a directory');
  const dataset = openShardDataset(config.data);
  try {
    const train = dataset.split('train');
    const val = dataset.splits.includes('val') ? dataset.split('val') : null;
    const tokPath = dataset.tokenizerPath();
    const tokenizer = tokPath !== null ? loadTokenizer(tokPath) : null;
    mkdirSync(config.runDir, { recursive: true });

    // the model: from the run's config when resuming, else from the preset
    const configFile = join(config.runDir, 'config.json');
    let spec: ModelSpec;
    const { specials, vocabSize: extendedVocab } = specialsFor(dataset, tokenizer);
    if (config.resume && existsSync(configFile)) {
      spec = savedSpec(configFile);
      refuseConflictingSizes(spec, config.overrides, configFile);
    } else {
      const family = specFromPreset(config.preset, {}).family;
      const vocabSize = family === 'gpt' ? dataset.meta.vocab_size : extendedVocab;
      spec = specFromPreset(config.preset, { ...config.overrides, vocabSize });
      if (spec.family === 'encdec') spec.config.decoderStartTokenId = specials.bos ?? specials.pad;
      if (spec.family === 'bert') spec.config.padTokenId = specials.pad;
    }
    if (spec.config.vocabSize < dataset.meta.vocab_size) {
      throw new ConfigError(
        'vocab_size',
        `the model's vocabulary (${spec.config.vocabSize}) is smaller than the dataset's (${dataset.meta.vocab_size})`,
      );
    }
    const model = createModel(spec, { seed: config.seed });
    flattenParameters(model);
    const optimizer = new AdamW(groupsForWeightDecay(model.parameters(), config.lr, config.weightDecay), {
      betas: [config.beta1, config.beta2],
    });
    const schedule = createSchedule({
      kind: 'cosine',
      maxLr: config.lr,
      minLr: config.minLr,
      warmupSteps: config.warmupSteps,
      decaySteps: Math.max(config.decaySteps, config.warmupSteps + 1),
    });

    const blockSize = spec.config.blockSize;
    const evalOptions = {
      batches: config.evalBatches,
      seed: config.seed + 1,
      ...optionalBpt(val ?? train, tokenizer, dataset.meta.tokenizer.chars),
    };
    let task: TrainTask;
    if (model instanceof GPT)
      task = new CausalLMTask(model, train, val, config.batchSize, blockSize, config.seed, evalOptions);
    else if (model instanceof BERT)
      task = new MaskedLMTask(model, train, val, config.batchSize, blockSize, specials, config.seed, evalOptions);
    else task = new DenoisingTask(model, train, val, config.batchSize, blockSize, specials, config.seed, evalOptions);

    const { onStep: _onStep, ...recordable } = config;
    const trainRecord = JSON.parse(JSON.stringify(recordable)) as JsonValue;
    writeFileAtomic(configFile, JSON.stringify({ model: spec, train: trainRecord, dataset: config.data }, null, 2));
    if (tokPath !== null) writeFileAtomic(join(config.runDir, 'tokenizer.json'), readFileSync(tokPath));
    else if (dataset.meta.tokenizer.chars !== undefined)
      writeFileAtomic(join(config.runDir, 'chars.json'), JSON.stringify(dataset.meta.tokenizer.chars));

    const checkpointer = new RunCheckpointer(config.runDir, model, spec, optimizer, trainRecord);
    const result = await trainLoop({
      model,
      optimizer,
      schedule,
      task,
      steps: config.steps,
      gradAccumSteps: config.gradAccumSteps,
      gradClip: config.gradClip,
      evalEvery: config.evalEvery,
      checkpointEvery: config.checkpointEvery,
      checkpointer,
      runDir: config.runDir,
      resume: config.resume,
      spikeFactor: config.spikeFactor ?? DEFAULT_SPIKE_FACTOR,
      ...(config.collapseSteps !== undefined ? { collapseSteps: config.collapseSteps } : {}),
      progressLabel: `pretrain ${spec.family}`,
      ...(config.timeLimitSeconds !== undefined ? { timeLimitSeconds: config.timeLimitSeconds } : {}),
      ...(config.onStep ? { onStep: config.onStep } : {}),
    });
    return { model, spec, result, runDir: config.runDir, tokenizer };
  } finally {
    dataset.close();
  }
}

/** The model spec of a run's config.json, validated (a hand-edited or damaged file is a FormatError). */
function savedSpec(configFile: string): ModelSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configFile, 'utf8'));
  } catch (err) {
    throw new FormatError(configFile, `not valid JSON: ${(err as Error).message.slice(0, 120)}`, undefined, {
      cause: err,
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FormatError(configFile, 'expected an object with a "model" field');
  return parseModelSpecFrom((raw as Record<string, unknown>)['model'], configFile, 'model');
}

const SIZE_FLAGS: Record<string, string> = {
  vocabSize: '--vocab-size',
  blockSize: '--block-size',
  nLayer: '--n-layer',
  nHead: '--n-head',
  nKvHead: '--n-kv-head',
  nEmbd: '--n-embd',
  intermediateSize: '--intermediate-size',
  dropout: '--dropout',
  bias: '--bias',
};

/**
 * --resume continues the saved model; size flags that say otherwise are refused (they were
 * silently ignored): resume with the same flags, none, or use a new run directory.
 */
function refuseConflictingSizes(spec: ModelSpec, overrides: SizeOverrides, configFile: string): void {
  const saved = spec.config as unknown as Record<string, unknown>;
  const conflicts = Object.entries(overrides).filter(([k, v]) => v !== undefined && k in saved && saved[k] !== v);
  if (conflicts.length > 0)
    throw new ConfigError(
      conflicts[0]![0].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      `--resume continues the run in ${dirname(configFile)}, whose model has ${conflicts
        .map(([k]) => `${SIZE_FLAGS[k] ?? k} ${String(saved[k])}`)
        .join(
          ', ',
        )}, but ${conflicts.map(([k, v]) => `${SIZE_FLAGS[k] ?? k} ${String(v)}`).join(', ')} was given; drop the flag or use a new run directory`,
    );
}

function optionalBpt(
  split: TokenSplit,
  tok: Tokenizer | null,
  chars: readonly string[] | undefined,
): { bytesPerToken?: number } {
  const b = bytesPerToken(split, tok, chars);
  return b === undefined ? {} : { bytesPerToken: b };
}
