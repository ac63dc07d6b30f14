/**
 * generate(model, tokenizer, prompts, options): the one entry point. It encodes
 * string prompts, applies HF's defaults and rules to the options, builds the logits
 * processors and stopping criteria, and runs greedy, sampling, contrastive or
 * (diverse) beam search over a left-padded batch. Decoder-only models continue the prompt;
 * encoder-decoder models encode it and decode from decoder_start_token_id.
 */
import { ArgumentError, ConfigError } from '../core/errors.ts';
import { Generator } from '../core/random.ts';
import { resolveGenerationConfig, type GenerationConfig, type ResolvedGenerationConfig } from './config.ts';
import { encoderInputFrom } from './decode-state.ts';
import type { GenerationTokenizer, GenerativeModel } from './model.ts';
import type { LogitsProcessor } from './processor.ts';
import { buildLogitsProcessors } from './processor-list.ts';
import type { PrefixAllowedTokensFn } from './processors/prefix-constrained.ts';
import { beamDecode } from './search/beam.ts';
import { contrastiveDecode } from './search/contrastive.ts';
import { sampleDecode, type DecodeSetup } from './search/sample.ts';
import { speculativeDecode, type SpeculativeStats } from './search/speculative.ts';
import { StoppingCriteria, type FinishReason, type StopCallback } from './stopping.ts';

/** A prompt is text (needs tokenizer.encode) or token ids. */
export type Prompt = string | readonly number[];

export interface GenerateOptions extends GenerationConfig {
  /** The sampling stream; default new Generator(seed), or an unseeded one when no seed is given. */
  generator?: Generator;
  /** User processors, merged into the default list (see processor-list.ts). */
  logitsProcessors?: readonly LogitsProcessor[];
  /** Called after every token of every row; return true to stop that row. */
  stoppingCallback?: StopCallback;
  prefixAllowedTokensFn?: PrefixAllowedTokensFn;
  /** Speculative decoding (HF assistant_model): a small model with the same vocabulary proposes tokens (greedy, one prompt). */
  assistantModel?: GenerativeModel;
  /** Tokens the assistant proposes per verification (HF num_assistant_tokens; default 4). */
  numAssistantTokens?: number;
  /** Where one-line notices go (the context being cropped); default: stderr. */
  onNotice?: (message: string) => void;
}

export interface GeneratedSequence {
  /** Which prompt this continues (sequences are prompt-major, num_return_sequences each). */
  promptIndex: number;
  /** Generated ids only (no prompt, no padding). */
  ids: number[];
  /** tokenizer.decode(ids), when a tokenizer was given. */
  text?: string;
  finishReason: FinishReason;
  /** Beam search: the length-normalized score (HF sequences_scores); otherwise the sum of logprobs. */
  score: number;
  /** log-prob of each token under the processed distribution. */
  logprobs: number[];
  /** log-prob of each token under the model's raw logits. */
  modelLogprobs: number[];
  /** Processed score rows per step (output_scores; greedy and sampling only). */
  scores?: Float32Array[];
}

export interface GenerateResult {
  sequences: GeneratedSequence[];
  /** The token ids of each prompt as fed to the model (encoder input for encoder-decoder models). */
  promptIds: number[][];
  /** The resolved budget of new tokens per sequence. */
  maxNewTokens: number;
  /** Speculative decoding only: target passes, draft tokens proposed and accepted. */
  speculative?: SpeculativeStats;
}

/** Everything the decoding loops need, prepared from the user's arguments. */
export interface PreparedGeneration {
  setup: DecodeSetup;
  cfg: ResolvedGenerationConfig;
  promptIds: number[][];
}

function isIdPrompt(p: unknown): p is readonly number[] {
  return Array.isArray(p) && p.every((x) => typeof x === 'number');
}

export function normalizePrompts(prompts: Prompt | readonly Prompt[]): readonly Prompt[] {
  if (typeof prompts === 'string') return [prompts];
  if (isIdPrompt(prompts) && prompts.length > 0) return [prompts];
  if (Array.isArray(prompts) && prompts.length > 0) return prompts as readonly Prompt[];
  throw new ArgumentError('generate', 'prompts must be a string, an id list, or a non-empty list of them');
}

export function prepareGeneration(
  model: GenerativeModel,
  tokenizer: GenerationTokenizer | undefined,
  prompts: Prompt | readonly Prompt[],
  options: GenerateOptions,
): PreparedGeneration {
  const {
    generator,
    logitsProcessors,
    stoppingCallback,
    prefixAllowedTokensFn,
    assistantModel: _assistant,
    numAssistantTokens: _numAssistant,
    onNotice: _notice,
    ...config
  } = options;
  const cfg = resolveGenerationConfig(config);
  const V = model.vocabSize;
  const encDec = model.isEncoderDecoder === true;

  const promptIds = normalizePrompts(prompts).map((p, i) => {
    let ids: number[];
    if (typeof p === 'string') {
      if (tokenizer?.encode === undefined)
        throw new ArgumentError('generate', `prompt ${i} is text but no tokenizer with encode() was given`);
      ids = [...tokenizer.encode(p)];
    } else ids = [...p];
    if (ids.length === 0) {
      // HF starts an empty decoder-only prompt from bos_token_id
      if (cfg.bosTokenId === undefined || encDec)
        throw new ArgumentError('generate', `prompt ${i} is empty (set bos_token_id to start from BOS)`);
      ids = [cfg.bosTokenId];
    }
    for (const t of ids) {
      if (!Number.isInteger(t) || t < 0 || t >= V) {
        throw new ArgumentError('generate', `prompt ${i} has token id ${t}, outside the model's vocabulary [0, ${V})`);
      }
    }
    return ids;
  });

  const padTokenId = cfg.padTokenId ?? cfg.eosTokenIds[0] ?? 0;
  const maxPrompt = promptIds.reduce((m, p) => Math.max(m, p.length), 0);
  let decoderPrompt: number[] | undefined;
  if (encDec) {
    const start = cfg.decoderStartTokenId ?? model.decoderStartTokenId ?? cfg.bosTokenId;
    if (start === undefined) throw new ConfigError('decoder_start_token_id', 'is needed for an encoder-decoder model');
    decoderPrompt = [start];
  }
  const decoderPromptLen = decoderPrompt?.length ?? maxPrompt;
  const maxNewTokens = cfg.maxNewTokens ?? cfg.maxLength! - decoderPromptLen;
  if (maxNewTokens < 1) {
    throw new ConfigError(
      'max_length',
      `(${cfg.maxLength}) leaves no room after the ${decoderPromptLen}-token prompt; set max_new_tokens`,
    );
  }
  // a decoder-only model with a fixed context (learned or sinusoidal positions) continues past it
  // with a sliding window over the last maxPositions tokens, as nanoGPT crops idx[:, -block_size:]
  let window: number | undefined;
  if (model.maxPositions !== undefined && decoderPromptLen + maxNewTokens > model.maxPositions) {
    const what = `prompt (${decoderPromptLen} tokens) + ${maxNewTokens} new tokens exceeds the model's context of ${model.maxPositions}`;
    if (encDec || cfg.contrastive)
      throw new ConfigError(
        'max_new_tokens',
        `${what} (${encDec ? 'encoder-decoder models' : 'contrastive search'} cannot crop the context)`,
      );
    window = model.maxPositions;
    (options.onNotice ?? ((m: string) => console.error(`llmts: ${m}`)))(
      `${what}: the model sees the last ${window} tokens (a sliding window, as nanoGPT crops the context)`,
    );
  }

  const beams = cfg.numBeams > 1;
  // sampling/greedy: one row per returned sequence; beam search: one row per prompt (the search expands)
  const perPrompt = beams ? 1 : cfg.numReturnSequences;
  const rowPrompt = promptIds.flatMap((_, i) => new Array<number>(perPrompt).fill(i));
  const decoderPrompts = rowPrompt.map((i) => decoderPrompt ?? promptIds[i]!);
  const setup: DecodeSetup = {
    model,
    cfg,
    prompts: decoderPrompts,
    promptIndex: rowPrompt,
    processors: buildLogitsProcessors(cfg, {
      isEncoderDecoder: encDec,
      ...(prefixAllowedTokensFn === undefined ? {} : { prefixAllowedTokensFn }),
      ...(logitsProcessors === undefined ? {} : { custom: logitsProcessors }),
    }),
    stopping: new StoppingCriteria({
      eosTokenIds: cfg.eosTokenIds,
      stopStrings: cfg.stopStrings,
      maxNewTokens,
      ...(stoppingCallback === undefined ? {} : { callback: stoppingCallback }),
      ...(tokenizer === undefined ? {} : { tokenizer }),
    }),
    padTokenId,
    maxNewTokens,
    ...(window === undefined ? {} : { window }),
  };
  if (encDec) {
    setup.encoderIds = rowPrompt.map((i) => promptIds[i]!);
    // the session rows: one per row, or numBeams per prompt in beam search
    const sessionRows = beams ? promptIds.flatMap((p) => new Array<number[]>(cfg.numBeams).fill(p)) : setup.encoderIds;
    setup.encoderInput = encoderInputFrom(sessionRows, padTokenId);
  }
  if (cfg.doSample) setup.rng = generator ?? new Generator(cfg.seed ?? Math.floor(Math.random() * 2 ** 32));
  return { setup, cfg, promptIds };
}

/** Continues each prompt with a model, as HF generate(): greedy, sampling (temperature, top-k/p, min-p...), beam or contrastive search, with logits processors, stop conditions and a streamer; returns the sequences (text when a tokenizer is given) and their scores. */
export function generate(
  model: GenerativeModel,
  tokenizer: GenerationTokenizer | undefined,
  prompts: Prompt | readonly Prompt[],
  options: GenerateOptions = {},
): GenerateResult {
  const { setup, cfg, promptIds } = prepareGeneration(model, tokenizer, prompts, options);
  const text = (ids: number[]): { text?: string } => (tokenizer === undefined ? {} : { text: tokenizer.decode(ids) });
  let sequences: GeneratedSequence[];
  let speculative: SpeculativeStats | undefined;
  if (options.assistantModel !== undefined) {
    const r = speculativeDecode(setup, options.assistantModel, options.numAssistantTokens ?? 4);
    speculative = r.stats;
    sequences = r.results.map((row) => ({
      promptIndex: 0,
      ids: row.ids,
      ...text(row.ids),
      finishReason: row.finishReason,
      score: row.logprobs.reduce((a, b) => a + b, 0),
      logprobs: row.logprobs,
      modelLogprobs: row.modelLogprobs,
      ...(row.scores === undefined ? {} : { scores: row.scores }),
    }));
  } else if (cfg.numBeams > 1) {
    sequences = beamDecode(setup).flatMap((hyps, i) =>
      hyps.map((h) => ({
        promptIndex: i,
        ids: h.ids,
        ...text(h.ids),
        finishReason: h.finishReason,
        score: h.score,
        logprobs: h.logprobs,
        modelLogprobs: h.modelLogprobs,
      })),
    );
  } else {
    const rows = cfg.contrastive ? contrastiveDecode(setup) : sampleDecode(setup);
    sequences = rows.map((r, row) => ({
      promptIndex: setup.promptIndex[row]!,
      ids: r.ids,
      ...text(r.ids),
      finishReason: r.finishReason,
      score: r.logprobs.reduce((a, b) => a + b, 0),
      logprobs: r.logprobs,
      modelLogprobs: r.modelLogprobs,
      ...(r.scores === undefined ? {} : { scores: r.scores }),
    }));
  }
  return { sequences, promptIds, maxNewTokens: setup.maxNewTokens, ...(speculative ? { speculative } : {}) };
}

/**
 * HF's `sequences` layout: one row per returned sequence, [left-padded prompt,
 * generated tokens, pad filling] as a [rows, length] Int32Array. For decoder-only
 * models (encoder-decoder outputs are the generated ids after the start token).
 */
export function toPaddedSequences(
  result: GenerateResult,
  padTokenId: number,
): { ids: Int32Array; rows: number; length: number } {
  const promptLen = result.promptIds.reduce((m, p) => Math.max(m, p.length), 0);
  const genLen = result.sequences.reduce((m, s) => Math.max(m, s.ids.length), 0);
  const length = promptLen + genLen;
  const rows = result.sequences.length;
  const ids = new Int32Array(rows * length).fill(padTokenId);
  result.sequences.forEach((s, r) => {
    const p = result.promptIds[s.promptIndex]!;
    ids.set(p, r * length + promptLen - p.length);
    ids.set(s.ids, r * length + promptLen);
  });
  return { ids, rows, length };
}
