/**
 * Loading a model for inference from what users point at: an llmts run directory (its best
 * or last checkpoint), a checkpoint file, or a Hugging Face model directory (config.json +
 * model.safetensors). The tokenizer beside it (tokenizer.json, or chars.json for a
 * character-level run) comes along when present.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FormatError, IOError } from '../core/errors.ts';
import type { AnyModel } from '../models/registry.ts';
import { loadTokenizer } from '../tokenizers/index.ts';
import type { Tokenizer } from '../tokenizers/index.ts';
import { checkpointPath, loadModelFromRun } from './checkpoint.ts';
import { loadHfModel, isHfModelDir } from './hf/load.ts';
import { isQuantizedModel, loadQuantizedModel } from './quantized.ts';

/** What generation and scoring need of a tokenizer. */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  readonly eosId: number | undefined;
  readonly vocabSize: number;
}

function fromTokenizer(t: Tokenizer): TextCodec {
  return {
    encode: (text) => t.encodeIds(text, { addSpecialTokens: false }),
    decode: (ids) => t.decode(ids),
    get eosId() {
      return t.eosId;
    },
    get vocabSize() {
      return t.vocabSize;
    },
  };
}

/** A character-level codec from chars.json (nanoGPT's itos). */
function fromChars(chars: readonly string[], file: string): TextCodec {
  const stoi = new Map(chars.map((c, i) => [c, i]));
  return {
    encode: (text) =>
      Array.from(text, (c) => {
        const id = stoi.get(c);
        if (id === undefined)
          throw new FormatError(file, `the character ${JSON.stringify(c)} is not in this model's vocabulary`);
        return id;
      }),
    decode: (ids) => ids.map((i) => chars[i] ?? '').join(''),
    eosId: undefined,
    vocabSize: chars.length,
  };
}

export function loadCodec(dir: string): TextCodec | null {
  const tok = join(dir, 'tokenizer.json');
  if (existsSync(tok)) return fromTokenizer(loadTokenizer(tok));
  // an HF GPT-2 folder without tokenizer.json: vocab.json + merges.txt (or OpenAI's encoder.json + vocab.bpe)
  const pairs = [
    ['vocab.json', 'merges.txt'],
    ['encoder.json', 'vocab.bpe'],
  ];
  if (pairs.some(([a, b]) => existsSync(join(dir, a!)) && existsSync(join(dir, b!))))
    return fromTokenizer(loadTokenizer(dir));
  const chars = join(dir, 'chars.json');
  if (existsSync(chars)) {
    const parsed = JSON.parse(readFileSync(chars, 'utf8')) as unknown;
    if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'string'))
      throw new FormatError(chars, 'expected a JSON array of strings');
    return fromChars(parsed as string[], chars);
  }
  return null;
}

export interface LoadedModel {
  model: AnyModel;
  codec: TextCodec | null;
  /** Where the weights came from. */
  source: string;
}

/** Loads a model from a run directory, an llmts checkpoint, a quantized model folder or a Hugging Face folder, with its tokenizer or character codec when it has one. */
export function loadModel(path: string): LoadedModel {
  if (!existsSync(path)) throw new IOError(path, 'no such file or directory');
  const isDir = statSync(path).isDirectory();
  if ((isDir || path.endsWith('.safetensors')) && isQuantizedModel(path)) {
    // `llmts quantize` output: q8_0 / q4_0 weights (docs/quantization.md)
    const { model, file } = loadQuantizedModel(path);
    return { model, codec: loadCodec(isDir ? path : dirname(path)), source: file };
  }
  if (isDir && (existsSync(checkpointPath(path, 'best')) || existsSync(checkpointPath(path, 'last')))) {
    const { model, path: source } = loadModelFromRun(path);
    return { model, codec: loadCodec(path), source };
  }
  if (!isDir && path.endsWith('.safetensors')) {
    const { model } = loadModelFromRun(path);
    return { model, codec: loadCodec(dirname(path)), source: path };
  }
  if (isDir && isHfModelDir(path)) {
    return { model: loadHfModel(path), codec: loadCodec(path), source: join(path, 'model.safetensors') };
  }
  throw new FormatError(
    path,
    'not an llmts run directory (checkpoint-*.safetensors), an llmts checkpoint, a quantized model (llmts quantize) or a Hugging Face model directory (config.json + model.safetensors)',
  );
}
