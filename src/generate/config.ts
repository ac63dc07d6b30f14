/**
 * Generation options. TypeScript code uses camelCase (GenerationConfig);
 * generation_config.json and other external inputs use HF's snake_case and go
 * through readGenerationConfig, which accepts both spellings, checks every value's
 * type and names the offending field. resolveGenerationConfig then applies HF's
 * defaults and the cross-field rules (temperature 0 -> greedy, and so on).
 */
import { ConfigError } from '../core/errors.ts';
import type { SequenceBiasEntry } from './processors/sequence-bias.ts';

export type EarlyStopping = boolean | 'never';

/** Every option is optional; undefined means HF's default (see resolveGenerationConfig). */
export interface GenerationConfig {
  // lengths
  maxNewTokens?: number;
  /** Total length limit, prompt (as padded in the batch) included. maxNewTokens wins when both are set. */
  maxLength?: number;
  minNewTokens?: number;
  /** Minimum row length, prompt included. */
  minLength?: number;
  // strategy
  doSample?: boolean;
  numBeams?: number;
  numBeamGroups?: number;
  diversityPenalty?: number;
  lengthPenalty?: number;
  earlyStopping?: EarlyStopping;
  numReturnSequences?: number;
  /** Contrastive search's degeneration weight alpha (HF penalty_alpha); with top_k > 1 and greedy decoding it selects contrastive search. */
  penaltyAlpha?: number;
  // warpers (sampling only)
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  typicalP?: number;
  epsilonCutoff?: number;
  etaCutoff?: number;
  // processors
  repetitionPenalty?: number;
  encoderRepetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Window of the frequency/presence penalties: the last N ids of the row; -1 = all. */
  penaltyLastN?: number;
  noRepeatNgramSize?: number;
  encoderNoRepeatNgramSize?: number;
  badWordsIds?: number[][];
  sequenceBias?: SequenceBiasEntry[];
  /** token id -> additive bias. */
  logitBias?: Record<string, number>;
  suppressTokens?: number[];
  beginSuppressTokens?: number[];
  forcedBosTokenId?: number;
  forcedEosTokenId?: number | number[];
  removeInvalidValues?: boolean;
  /** [start_index, decay_factor]. */
  exponentialDecayLengthPenalty?: [number, number];
  renormalizeLogits?: boolean;
  // special tokens
  eosTokenId?: number | number[];
  padTokenId?: number;
  bosTokenId?: number;
  decoderStartTokenId?: number;
  // stopping
  stopStrings?: string | string[];
  // runtime
  seed?: number;
  useCache?: boolean;
  /** Return every step's processed score rows (HF output_scores). */
  outputScores?: boolean;
}

type Kind =
  'int' | 'num' | 'bool' | 'early' | 'ids' | 'idOrIds' | 'idLists' | 'seqBias' | 'logitBias' | 'pair' | 'strings';

const FIELDS: Record<keyof GenerationConfig, Kind> = {
  maxNewTokens: 'int',
  maxLength: 'int',
  minNewTokens: 'int',
  minLength: 'int',
  doSample: 'bool',
  numBeams: 'int',
  numBeamGroups: 'int',
  diversityPenalty: 'num',
  lengthPenalty: 'num',
  earlyStopping: 'early',
  numReturnSequences: 'int',
  penaltyAlpha: 'num',
  temperature: 'num',
  topK: 'int',
  topP: 'num',
  minP: 'num',
  typicalP: 'num',
  epsilonCutoff: 'num',
  etaCutoff: 'num',
  repetitionPenalty: 'num',
  encoderRepetitionPenalty: 'num',
  frequencyPenalty: 'num',
  presencePenalty: 'num',
  penaltyLastN: 'int',
  noRepeatNgramSize: 'int',
  encoderNoRepeatNgramSize: 'int',
  badWordsIds: 'idLists',
  sequenceBias: 'seqBias',
  logitBias: 'logitBias',
  suppressTokens: 'ids',
  beginSuppressTokens: 'ids',
  forcedBosTokenId: 'int',
  forcedEosTokenId: 'idOrIds',
  removeInvalidValues: 'bool',
  exponentialDecayLengthPenalty: 'pair',
  renormalizeLogits: 'bool',
  eosTokenId: 'idOrIds',
  padTokenId: 'int',
  bosTokenId: 'int',
  decoderStartTokenId: 'int',
  stopStrings: 'strings',
  seed: 'num',
  useCache: 'bool',
  outputScores: 'bool',
};

export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const BY_SNAKE = new Map<string, keyof GenerationConfig>(
  (Object.keys(FIELDS) as (keyof GenerationConfig)[]).map((k) => [snakeCase(k), k]),
);

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
const isIdList = (x: unknown): x is number[] => Array.isArray(x) && x.every((t) => isInt(t) && t >= 0);

function check(field: string, kind: Kind, v: unknown): unknown {
  const bad = (what: string): never => {
    throw new ConfigError(field, `must be ${what}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case 'int':
      return isInt(v) ? v : bad('an integer');
    case 'num':
      return typeof v === 'number' && !Number.isNaN(v) ? v : bad('a number');
    case 'bool':
      return typeof v === 'boolean' ? v : bad('true or false');
    case 'early':
      return typeof v === 'boolean' || v === 'never' ? v : bad('true, false or "never"');
    case 'ids':
      return isIdList(v) ? v : bad('a list of token ids');
    case 'idOrIds':
      return (isInt(v) && v >= 0) || (isIdList(v) && v.length > 0)
        ? v
        : bad('a token id or a non-empty list of token ids');
    case 'idLists':
      return Array.isArray(v) && v.every((s) => isIdList(s) && s.length > 0)
        ? v
        : bad('a list of non-empty token-id lists');
    case 'seqBias': {
      // HF's list form [[ids], bias]; the legacy dict form {"(1, 2)": bias} is not JSON-friendly and not accepted
      const ok =
        Array.isArray(v) &&
        v.every((e) => Array.isArray(e) && e.length === 2 && isIdList(e[0]) && typeof e[1] === 'number');
      return ok ? v : bad('a list of [token ids, bias] pairs');
    }
    case 'logitBias': {
      const ok =
        typeof v === 'object' &&
        v !== null &&
        !Array.isArray(v) &&
        Object.entries(v).every(([k, b]) => /^\d+$/.test(k) && typeof b === 'number');
      return ok ? v : bad('an object mapping token ids to numbers');
    }
    case 'pair':
      return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')
        ? v
        : bad('a [start_index, decay_factor] pair');
    case 'strings':
      return typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string' && s.length > 0))
        ? v
        : bad('a string or a list of non-empty strings');
  }
}

/**
 * Reads options from an untyped object (generation_config.json, CLI, JSON request),
 * accepting snake_case or camelCase keys. Unknown keys are returned in `ignored`
 * (HF files carry keys such as transformers_version); null values mean "unset".
 */
export function readGenerationConfig(raw: unknown): { config: GenerationConfig; ignored: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('generation_config', 'must be a JSON object');
  }
  const config: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const camel = BY_SNAKE.get(key) ?? (key in FIELDS ? (key as keyof GenerationConfig) : undefined);
    if (camel === undefined) {
      ignored.push(key);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (camel in config) throw new ConfigError(key, `is given twice (as ${snakeCase(camel)} and ${camel})`);
    config[camel] = check(key, FIELDS[camel], value);
  }
  return { config: config as GenerationConfig, ignored };
}

/** Options after defaults; every field the loop reads is set. */
export interface ResolvedGenerationConfig extends GenerationConfig {
  doSample: boolean;
  numBeams: number;
  numBeamGroups: number;
  diversityPenalty: number;
  lengthPenalty: number;
  earlyStopping: EarlyStopping;
  numReturnSequences: number;
  /** Contrastive search is on (penalty_alpha > 0, top_k > 1, greedy, one beam). */
  contrastive: boolean;
  temperature: number;
  topK: number;
  topP: number;
  typicalP: number;
  repetitionPenalty: number;
  eosTokenIds: number[];
  stopStrings: string[];
  useCache: boolean;
}

/**
 * Applies HF's defaults (do_sample false, num_beams 1, temperature 1, top_k 50,
 * top_p 1, length_penalty 1, early_stopping false, max_length 20 when no length is
 * given) and the rules:
 * - temperature 0 means greedy: sampling is turned off and no warper is built (HF
 *   raises instead); a negative temperature is an error;
 * - greedy search (no sampling, one beam) returns one sequence per prompt;
 * - beam search needs num_return_sequences <= num_beams and num_beams divisible by
 *   num_beam_groups; diversity_penalty needs groups;
 * - penalty_alpha > 0 with top_k > 1, greedy and one beam selects contrastive search.
 */
export function resolveGenerationConfig(config: GenerationConfig): ResolvedGenerationConfig {
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    if (!(k in FIELDS)) throw new ConfigError(k, 'is not a generation option');
    check(snakeCase(k), FIELDS[k as keyof GenerationConfig], v);
  }
  const eos =
    config.eosTokenId === undefined
      ? []
      : typeof config.eosTokenId === 'number'
        ? [config.eosTokenId]
        : [...config.eosTokenId];
  const temperature = config.temperature ?? 1;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) {
    throw new ConfigError('temperature', `must be a finite number >= 0 (0 = greedy), got ${temperature}`);
  }
  const doSample = (config.doSample ?? false) && temperature !== 0;
  const numBeams = config.numBeams ?? 1;
  const numBeamGroups = config.numBeamGroups ?? 1;
  const numReturnSequences = config.numReturnSequences ?? 1;
  if (numBeams < 1) throw new ConfigError('num_beams', `must be >= 1, got ${numBeams}`);
  if (numBeamGroups < 1 || numBeams % numBeamGroups !== 0) {
    throw new ConfigError('num_beam_groups', `must be >= 1 and divide num_beams (${numBeams}), got ${numBeamGroups}`);
  }
  if (numBeamGroups > 1 && doSample)
    throw new ConfigError('num_beam_groups', 'diverse beam search does not sample; set do_sample false');
  const diversityPenalty = config.diversityPenalty ?? 0;
  if (diversityPenalty !== 0 && numBeamGroups === 1) {
    throw new ConfigError('diversity_penalty', 'needs num_beam_groups > 1');
  }
  if (numReturnSequences < 1) throw new ConfigError('num_return_sequences', `must be >= 1, got ${numReturnSequences}`);
  if (numBeams > 1 && numReturnSequences > numBeams) {
    throw new ConfigError('num_return_sequences', `must be <= num_beams (${numBeams}), got ${numReturnSequences}`);
  }
  if (numBeams === 1 && !doSample && numReturnSequences !== 1) {
    throw new ConfigError(
      'num_return_sequences',
      'greedy decoding returns one sequence per prompt; use do_sample or num_beams',
    );
  }
  if (config.maxNewTokens !== undefined && config.maxNewTokens < 1) {
    throw new ConfigError('max_new_tokens', `must be >= 1, got ${config.maxNewTokens}`);
  }
  const earlyStopping = config.earlyStopping ?? false;
  const penaltyAlpha = config.penaltyAlpha ?? 0;
  if (!(penaltyAlpha >= 0 && penaltyAlpha <= 1))
    throw new ConfigError('penalty_alpha', `must be in [0, 1], got ${penaltyAlpha}`);
  const topK = config.topK ?? 50;
  const contrastive = penaltyAlpha > 0 && topK > 1 && !doSample && numBeams === 1;
  const stopStrings =
    config.stopStrings === undefined
      ? []
      : typeof config.stopStrings === 'string'
        ? [config.stopStrings]
        : [...config.stopStrings];
  if (stopStrings.some((s) => s.length === 0)) throw new ConfigError('stop_strings', 'a stop string must not be empty');
  const resolved: ResolvedGenerationConfig = {
    ...config,
    doSample,
    numBeams,
    numBeamGroups,
    diversityPenalty,
    lengthPenalty: config.lengthPenalty ?? 1,
    earlyStopping,
    numReturnSequences,
    contrastive,
    temperature,
    topK,
    topP: config.topP ?? 1,
    typicalP: config.typicalP ?? 1,
    repetitionPenalty: config.repetitionPenalty ?? 1,
    eosTokenIds: eos,
    stopStrings,
    useCache: config.useCache ?? true,
  };
  if (config.maxNewTokens === undefined && config.maxLength === undefined) resolved.maxLength = 20;
  return resolved;
}
