/**
 * Hugging Face tokenizer.json <-> Tokenizer. Each section goes through its stage's registry
 * (registry.ts), so plugin types load too; every error names the file and the field.
 */
import '../normalizers/index.ts';
import '../pre-tokenizers/index.ts';
import '../models/index.ts';
import '../post-processors/index.ts';
import '../decoders/index.ts';
import { ConfigReader, isJsonObject, parseJson, type JsonValue } from '../config-reader.ts';
import { addedTokenFromJson, type AddedToken } from '../added-vocabulary.ts';
import { FormatError } from '../../core/errors.ts';
import { decoders, models, normalizers, postProcessors, preTokenizers } from '../registry.ts';
import { Tokenizer, type PaddingParams, type SpecialTokenRoles, type TruncationParams } from '../tokenizer.ts';
import { bpeFromConfig, BPE } from '../models/index.ts';
import type { Model } from '../interfaces.ts';
import { readFileBytes } from './read.ts';
import { readCachedBpe, sourceKey, writeCachedBpe } from './tokenizer-cache.ts';

function readTruncation(c: ConfigReader): TruncationParams {
  const strategy = c.oneOf('strategy', ['LongestFirst', 'OnlyFirst', 'OnlySecond'] as const, 'LongestFirst');
  return {
    maxLength: c.int('max_length'),
    stride: c.int('stride', 0),
    strategy: strategy === 'LongestFirst' ? 'longest_first' : strategy === 'OnlyFirst' ? 'only_first' : 'only_second',
    direction: c.oneOf('direction', ['Left', 'Right'] as const, 'Right') === 'Left' ? 'left' : 'right',
  };
}

function readPadding(c: ConfigReader): PaddingParams {
  const s = c.raw('strategy');
  let strategy: PaddingParams['strategy'] = 'batch_longest';
  if (s !== undefined && s !== 'BatchLongest') {
    const fixed = c.object('strategy');
    strategy = { fixed: fixed.int('Fixed') };
  }
  return {
    strategy,
    direction: c.oneOf('direction', ['Left', 'Right'] as const, 'Right') === 'Left' ? 'left' : 'right',
    padToMultipleOf: c.optInt('pad_to_multiple_of') ?? null,
    padId: c.int('pad_id', 0),
    padTypeId: c.int('pad_type_id', 0),
    padToken: c.optString('pad_token') ?? '[PAD]',
  };
}

/**
 * How far past the model's vocabulary (and the added tokens' own count) an added token's id may
 * lie. The vocabulary size is the largest id + 1 and decoding tables are sized by it, so one
 * added token with id 2^31 - 2 would make the first decode allocate ~19 GB. Real files number
 * their added tokens right after the model's vocabulary (a few holes at most).
 */
export const MAX_ADDED_ID_GAP = 1 << 16;

function checkAddedIds(added: readonly AddedToken[], modelVocab: number, file: string): void {
  const limit = modelVocab + added.length + MAX_ADDED_ID_GAP;
  added.forEach((t, i) => {
    if (t.id >= limit)
      throw new FormatError(
        file,
        `id ${t.id} is far past the vocabulary (${modelVocab} model tokens, ${added.length} added): at most ${limit - 1}`,
        `added_tokens[${i}].id`,
      );
  });
}

/**
 * Builds a Tokenizer from a parsed tokenizer.json value; `file` names it in errors. `model`,
 * when given, is used instead of building one from the `model` section (the cache's path).
 */
export function tokenizerFromJson(
  value: JsonValue,
  file: string,
  roles?: Partial<SpecialTokenRoles>,
  model?: Model,
): Tokenizer {
  const root = ConfigReader.root(value, file);
  model ??= models.create(root.object('model'));
  const opt = <T>(key: string, create: (c: ConfigReader) => T): T | null => {
    const c = root.optObject(key);
    return c === undefined ? null : create(c);
  };
  const addedTokens = root.has('added_tokens') ? root.objectArray('added_tokens').map(addedTokenFromJson) : [];
  checkAddedIds(addedTokens, model.getVocabSize(), file);
  const tok = new Tokenizer(model, {
    normalizer: opt('normalizer', (c) => normalizers.create(c)),
    preTokenizer: opt('pre_tokenizer', (c) => preTokenizers.create(c)),
    postProcessor: opt('post_processor', (c) => postProcessors.create(c)),
    decoder: opt('decoder', (c) => decoders.create(c)),
    addedTokens,
    truncation: opt('truncation', readTruncation),
    padding: opt('padding', readPadding),
    ...(roles === undefined ? {} : { roles }),
  });
  return tok;
}

export function parseTokenizerJson(text: string, file = '<tokenizer.json>'): Tokenizer {
  return tokenizerFromJson(parseJson(text, file), file);
}

/** Options of `loadTokenizerJson` and `loadTokenizer`. */
export interface LoadTokenizerOptions {
  /**
   * A folder for the binary cache of parsed BPE vocabularies and merges
   * (formats/tokenizer-cache.ts; `defaultCacheDir()` gives the usual one). Off when absent.
   */
  cacheDir?: string | null;
}

export function loadTokenizerJson(
  path: string,
  roles?: Partial<SpecialTokenRoles>,
  options: LoadTokenizerOptions = {},
): Tokenizer {
  const bytes = readFileBytes(path);
  const cacheDir = options.cacheDir ?? null;
  if (cacheDir === null) return tokenizerFromJson(parseJson(bytes.toString('utf8'), path), path, roles);
  const key = sourceKey(bytes);
  const hit = readCachedBpe(cacheDir, key);
  if (hit !== null) {
    const model = bpeFromConfig(ConfigReader.root(hit.rest, path).object('model'), hit);
    return tokenizerFromJson(hit.rest, path, roles, model);
  }
  const value = parseJson(bytes.toString('utf8'), path);
  const tok = tokenizerFromJson(value, path, roles);
  if (tok.model instanceof BPE && isJsonObject(value)) writeCachedBpe(cacheDir, key, value, tok.model);
  return tok;
}
