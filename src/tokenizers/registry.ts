/**
 * Registration points for pipeline components, file formats and trainers.
 *
 * SHARED with src/tokenizers/sentencepiece/: that module registers its own types (model
 * `Unigram`, normalizer `Precompiled`, the `.model` loader, the `unigram` / `spm-bpe` trainers)
 * here instead of editing the built-in switches, from a module listed in plugins.ts.
 *
 * How: src/tokenizers/sentencepiece/register.ts calls e.g. `registerModel('Unigram', (cfg) => ...)`,
 * `registerNormalizer('Precompiled', ...)`, `registerFormatLoader({ name: 'sentencepiece', detect, load })`
 * and `registerTrainer({ name: 'unigram', ... })`, and plugins.ts gets the one line
 * `import './sentencepiece/register.ts';`.
 *
 * A factory receives a ConfigReader over its tokenizer.json section (so errors name the file
 * and the field path) and returns the component.
 */
import type { ConfigReader } from './config-reader.ts';
import { DepthGuard, MAX_NESTING } from '../core/depth.ts';
import { quote } from '../core/describe.ts';
import type { Decoder, Model, Normalizer, PostProcessor, PreTokenizer } from './interfaces.ts';
import type { Tokenizer } from './tokenizer.ts';

export type Factory<T> = (config: ConfigReader) => T;

/** Depth of components being built inside one another (Sequence in Sequence), across all stages. */
const nesting = new DepthGuard(MAX_NESTING);

class Registry<T> {
  private readonly factories = new Map<string, Factory<T>>();
  constructor(private readonly stage: string) {}

  register(type: string, factory: Factory<T>): void {
    this.factories.set(type, factory);
  }

  has(type: string): boolean {
    return this.factories.has(type);
  }

  types(): string[] {
    return [...this.factories.keys()].sort();
  }

  create(config: ConfigReader): T {
    const type = config.string('type');
    const factory = this.factories.get(type);
    if (factory === undefined)
      config.fail('type', `unknown ${this.stage} type ${quote(type)} (known: ${this.types().join(', ')})`);
    // a Sequence inside a Sequence... 100,000 deep overflowed the stack: fail cleanly instead
    return nesting.nest(
      (limit) => config.fail('type', `${this.stage}s nested more than ${limit} levels deep`),
      () => factory(config),
    );
  }
}

export const normalizers = new Registry<Normalizer>('normalizer');
export const preTokenizers = new Registry<PreTokenizer>('pre-tokenizer');
/** The tokenizer models (BPE, WordPiece, WordLevel, Unigram) by their tokenizer.json type. */
export const models = new Registry<Model>('model');
export const postProcessors = new Registry<PostProcessor>('post-processor');
export const decoders = new Registry<Decoder>('decoder');

export const registerNormalizer = (type: string, f: Factory<Normalizer>): void => normalizers.register(type, f);
export const registerPreTokenizer = (type: string, f: Factory<PreTokenizer>): void => preTokenizers.register(type, f);
export const registerModel = (type: string, f: Factory<Model>): void => models.register(type, f);
export const registerPostProcessor = (type: string, f: Factory<PostProcessor>): void =>
  postProcessors.register(type, f);
export const registerDecoder = (type: string, f: Factory<Decoder>): void => decoders.register(type, f);

/** A tokenizer file format that `loadTokenizer(path)` can detect. */
export interface FormatLoader {
  readonly name: string;
  /**
   * True if this loader handles `path`: a file (by extension/content) or a directory (by the
   * files it contains). Loaders are tried in registration order after the built-in ones.
   */
  detect(path: string, isDirectory: boolean): boolean;
  load(path: string): Tokenizer;
}

const formatLoaders: FormatLoader[] = [];
export function registerFormatLoader(loader: FormatLoader): void {
  const i = formatLoaders.findIndex((l) => l.name === loader.name);
  if (i >= 0) formatLoaders[i] = loader;
  else formatLoaders.push(loader);
}
export function getFormatLoaders(): readonly FormatLoader[] {
  return formatLoaders;
}

/** Options every trainer understands; trainer-specific ones go in `extra`. */
export interface TrainerOptions {
  vocabSize: number;
  /** Special tokens, given the first ids in this order. */
  specialTokens?: string[];
  minFrequency?: number;
  /** Show a progress bar on stderr. */
  showProgress?: boolean;
  extra?: Record<string, string | number | boolean>;
}

/** A trainer reachable by name from `llmts tokenizer train --model NAME`. */
export interface TrainerEntry {
  readonly name: string;
  readonly description: string;
  train(files: readonly string[], options: TrainerOptions): Promise<Tokenizer>;
  /** Optional extra files to write beside tokenizer.json (e.g. a SentencePiece .model); returns their paths. */
  saveExtra?(tokenizer: Tokenizer, dir: string): string[];
}

const trainers = new Map<string, TrainerEntry>();
export function registerTrainer(entry: TrainerEntry): void {
  trainers.set(entry.name, entry);
}
export function getTrainer(name: string): TrainerEntry | undefined {
  return trainers.get(name);
}
export function trainerNames(): string[] {
  return [...trainers.keys()].sort();
}
