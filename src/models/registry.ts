/**
 * One description of a model, whatever its family, so training, checkpoints and the CLI
 * handle GPT/LLaMA, BERT and encoder-decoder models alike: a ModelSpec is what a run
 * directory's config.json stores and what createModel builds.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { ConfigError } from '../core/errors.ts';
import { BERT, bertPreset } from './bert.ts';
import type { BertConfig } from './bert.ts';
import { EncoderDecoder, encoderDecoderPreset } from './encoder-decoder.ts';
import type { EncoderDecoderConfig } from './encoder-decoder.ts';
import { GPT, gptPreset } from './gpt.ts';
import { checkModelFits, parseModelSpecFrom } from './spec-schema.ts';
import type { GPTConfig, GPTPreset } from './gpt.ts';

export type ModelSpec =
  | { family: 'gpt'; config: GPTConfig }
  | { family: 'bert'; config: BertConfig }
  | { family: 'encdec'; config: EncoderDecoderConfig };

export type AnyModel = GPT | BERT | EncoderDecoder;

export type PresetName = GPTPreset | 'bert' | 'bert-tiny' | 'encdec';
/** The preset names createModel and specFromPreset accept. */
export const PRESETS: readonly PresetName[] = ['gpt2', 'llama', 'shakespeare-char', 'bert', 'bert-tiny', 'encdec'];

/** Size overrides a user gives on the command line (snake_case there, camelCase here). */
export interface SizeOverrides {
  vocabSize?: number;
  blockSize?: number;
  nLayer?: number;
  nHead?: number;
  nKvHead?: number;
  nEmbd?: number;
  intermediateSize?: number;
  dropout?: number;
  bias?: boolean;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function specFromPreset(preset: PresetName, overrides: SizeOverrides & Record<string, unknown> = {}): ModelSpec {
  const o = defined(overrides);
  if (o.dropout !== undefined && (o as { attnDropout?: number }).attnDropout === undefined)
    (o as { attnDropout?: number }).attnDropout = o.dropout;
  switch (preset) {
    case 'gpt2':
    case 'llama':
    case 'shakespeare-char':
      return { family: 'gpt', config: gptPreset(preset, o as Partial<GPTConfig>) };
    case 'bert':
    case 'bert-tiny': {
      const { bias: _bias, ...rest } = o;
      return {
        family: 'bert',
        config: bertPreset(preset === 'bert' ? 'bert-base' : 'bert-tiny', rest as Partial<BertConfig>),
      };
    }
    case 'encdec':
      return { family: 'encdec', config: encoderDecoderPreset(o as Partial<EncoderDecoderConfig>) };
    default:
      throw new ConfigError('preset', `unknown preset "${String(preset)}" (expected one of ${PRESETS.join(', ')})`);
  }
}

/** Builds a freshly initialised model from a spec (seeded; on `backend`, in `dtype`). */
export function createModel(
  spec: ModelSpec,
  options: { seed?: number; backend?: Backend; dtype?: FloatDType } = {},
): AnyModel {
  // sizes from a file or a flag: refuse a model that cannot fit before allocating any of it
  checkModelFits(spec);
  switch (spec.family) {
    case 'gpt':
      return new GPT(spec.config, options);
    case 'bert':
      return new BERT(spec.config, options);
    case 'encdec':
      return new EncoderDecoder(spec.config, options);
    default:
      throw new ConfigError('family', `unknown model family "${String((spec as { family: unknown }).family)}"`);
  }
}

export function specOf(model: AnyModel): ModelSpec {
  if (model instanceof GPT) return { family: 'gpt', config: model.config };
  if (model instanceof BERT) return { family: 'bert', config: model.config };
  return { family: 'encdec', config: model.config };
}

/** Validates a spec read from a file (unknown JSON): every field typed and bounded (FormatError naming it). */
export function parseModelSpec(raw: unknown, file: string): ModelSpec {
  return parseModelSpecFrom(raw, file);
}
