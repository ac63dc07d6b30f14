/**
 * Every stage type the config can name, with its defaults (which double as the
 * parameter schema: unknown keys and wrong types are config errors) and its kind:
 * "map" stages look at one document, "barrier" stages (dedup) need every shard's
 * signatures before any document can move on, "sink" (tokenize) ends the pipeline.
 */
import { ConfigError } from '../../core/errors.ts';
import type { Stage } from '../stages/stage.ts';
import { htmlExtract } from '../stages/html-extract.ts';
import { normalizeUnicode } from '../stages/normalize.ts';
import { cleanWhitespace } from '../stages/clean-whitespace.ts';
import { scriptFilter } from '../stages/script-id.ts';
import { languageFilter } from '../stages/language-filter.ts';
import { gopherQuality, GOPHER_QUALITY_DEFAULTS } from '../stages/gopher-quality.ts';
import { gopherRepetition, GOPHER_REPETITION_DEFAULTS } from '../stages/gopher-repetition.ts';
import { c4Quality, C4_QUALITY_DEFAULTS } from '../stages/c4-quality.ts';
import { c4BadWords } from '../stages/c4-badwords.ts';
import { finewebQuality, FINEWEB_QUALITY_DEFAULTS } from '../stages/fineweb-quality.ts';
import { pii, PII_DEFAULTS } from '../stages/pii.ts';
import { MINHASH_DEFAULTS } from '../dedup/minhash.ts';
import { decontaminate, DECONTAMINATE_DEFAULTS } from '../stages/decontaminate.ts';

export const STAGE_TYPES = [
  'html_extract',
  'normalize',
  'clean_whitespace',
  'script_filter',
  'language_filter',
  'gopher_repetition',
  'gopher_quality',
  'c4_quality',
  'c4_badwords',
  'fineweb_quality',
  'pii',
  'decontaminate',
  'exact_dedup',
  'minhash_dedup',
  'tokenize',
] as const;
export type StageType = (typeof STAGE_TYPES)[number];
export type StageKind = 'map' | 'barrier' | 'sink';

export const TOKENIZE_DEFAULTS = {
  /** a tokenizer.json path, or "bytes" */
  tokenizer: 'bytes',
  /** fraction of documents (chosen by a hash of the id, so independent of sharding) for val */
  val_fraction: 0.0,
  /** append the tokenizer's EOS after every document */
  append_eos: true,
  /** prepend the tokenizer's BOS (if it has one) */
  prepend_bos: false,
  max_tokens_per_file: 1 << 30,
  /** llmts shards in tokens/, Megatron-LM .bin/.idx in megatron/, or both */
  output_format: 'llmts',
};

export const EXACT_DEDUP_DEFAULTS = {
  /** hash simplify_text(text) instead of the exact text */
  normalize: false,
};

const DEFAULTS: Record<StageType, Record<string, unknown>> = {
  html_extract: {
    only_if_html: true,
    prefer_main: true,
    include_title: false,
    drop_boilerplate_classes: true,
    markdown: false,
  },
  normalize: { form: 'NFC' },
  clean_whitespace: { collapse_spaces: true, max_blank_lines: 1, min_chars: 1 },
  script_filter: { keep: [], min_score: 0 },
  language_filter: { languages: [], min_margin: 0, max_chars: 2048 },
  gopher_repetition: { ...GOPHER_REPETITION_DEFAULTS },
  gopher_quality: { ...GOPHER_QUALITY_DEFAULTS },
  c4_quality: { ...C4_QUALITY_DEFAULTS },
  c4_badwords: { words: [], words_file: null, no_word_boundaries: false },
  fineweb_quality: { ...FINEWEB_QUALITY_DEFAULTS },
  pii: { ...PII_DEFAULTS },
  decontaminate: { ...DECONTAMINATE_DEFAULTS },
  exact_dedup: { ...EXACT_DEDUP_DEFAULTS },
  minhash_dedup: { ...MINHASH_DEFAULTS },
  tokenize: { ...TOKENIZE_DEFAULTS },
};

export function stageKind(t: StageType): StageKind {
  return t === 'exact_dedup' || t === 'minhash_dedup' ? 'barrier' : t === 'tokenize' ? 'sink' : 'map';
}

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export function validateStageParams(type: StageType, params: Record<string, unknown>, where: string): void {
  const defaults = DEFAULTS[type];
  for (const [k, v] of Object.entries(params)) {
    if (!(k in defaults))
      throw new ConfigError(
        `${where}.${k}`,
        `unknown parameter of ${type} (known: ${Object.keys(defaults).join(', ')})`,
      );
    const d = defaults[k];
    const dt = typeOf(d);
    const vt = typeOf(v);
    // a threshold may be null (rule off) where datatrove allows None; words_file may be a string
    const ok = vt === dt || vt === 'null' || (dt === 'null' && vt === 'string') || (dt === 'null' && vt === 'array');
    if (!ok) throw new ConfigError(`${where}.${k}`, `expected ${dt}, got ${vt}`);
    if (dt === 'number' && vt === 'number' && !Number.isFinite(v as number))
      throw new ConfigError(`${where}.${k}`, 'must be finite');
  }
  if (
    type === 'normalize' &&
    params['form'] !== undefined &&
    !['NFC', 'NFKC', 'NFD', 'NFKD'].includes(params['form'] as string)
  ) {
    throw new ConfigError(`${where}.form`, 'expected NFC, NFKC, NFD or NFKD');
  }
  if (type === 'minhash_dedup') {
    for (const k of ['ngram', 'bands', 'rows'] as const) {
      const v = params[k];
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1))
        throw new ConfigError(`${where}.${k}`, 'expected a positive integer');
    }
  }
  if (type === 'tokenize') {
    const of = params['output_format'];
    if (of !== undefined && !['llmts', 'megatron', 'both'].includes(of as string))
      throw new ConfigError(`${where}.output_format`, 'expected llmts, megatron or both');
    const f = params['val_fraction'];
    if (f !== undefined && !(typeof f === 'number' && f >= 0 && f < 1))
      throw new ConfigError(`${where}.val_fraction`, 'expected a number in [0, 1)');
  }
  if (type === 'pii' && params['mode'] !== undefined && !['placeholder', 'tag'].includes(params['mode'] as string)) {
    throw new ConfigError(`${where}.mode`, 'expected placeholder or tag');
  }
}

export function withDefaults(type: StageType, params: Record<string, unknown>): Record<string, unknown> {
  return { ...DEFAULTS[type], ...params };
}

/** Builds a map stage from its config. */
export function createStage(type: StageType, params: Record<string, unknown>): Stage {
  const p = params as never;
  switch (type) {
    case 'html_extract':
      return htmlExtract(p);
    case 'normalize':
      return normalizeUnicode(p);
    case 'clean_whitespace':
      return cleanWhitespace(p);
    case 'script_filter':
      return scriptFilter(p);
    case 'language_filter':
      return languageFilter(p);
    case 'gopher_repetition':
      return gopherRepetition(p);
    case 'gopher_quality':
      return gopherQuality(p);
    case 'c4_quality':
      return c4Quality(p);
    case 'c4_badwords':
      return c4BadWords(p);
    case 'fineweb_quality':
      return finewebQuality(p);
    case 'pii':
      return pii(p);
    case 'decontaminate':
      return decontaminate(p);
    default:
      throw new ConfigError('stages', `${type} is not a per-document stage`);
  }
}
