/**
 * Registers SentencePiece support with the tokenizer core (registry.ts): the `Precompiled`
 * normalizer and `Unigram` model types for tokenizer.json, the `.model` format for
 * loadTokenizer (a file, or a directory holding tokenizer.model / spiece.model /
 * sentencepiece.bpe.model), and the `unigram` / `spm-bpe` trainers.
 */
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { FormatError } from '../../core/errors.ts';
import { readUnigramVocab, Unigram } from '../models/unigram.ts';
import { Precompiled } from '../normalizers/precompiled.ts';
import {
  registerFormatLoader,
  registerModel,
  registerNormalizer,
  registerTrainer,
  type TrainerOptions,
} from '../registry.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { loadSentencePieceTokenizer, saveSentencePieceModel } from './convert.ts';
import { trainSentencePiece, type SentencePieceTrainOptions } from './train.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

registerNormalizer('Precompiled', (c) => {
  const field = c.fieldPath('precompiled_charsmap');
  const raw = c.raw('precompiled_charsmap');
  if (raw === null || raw === undefined) return new Precompiled(new Uint8Array(0), c.file, field);
  const s = c.string('precompiled_charsmap');
  if (s.length % 4 !== 0 || !BASE64.test(s))
    throw new FormatError(c.file, 'precompiled_charsmap is not valid base64', field);
  return new Precompiled(new Uint8Array(Buffer.from(s, 'base64')), c.file, field);
});

registerModel('Unigram', (c) => {
  const vocab = readUnigramVocab(c.raw('vocab'), c.file, c.fieldPath('vocab'));
  const unkId = c.has('unk_id') ? c.int('unk_id') : null;
  if (unkId !== null && unkId >= vocab.length)
    c.fail('unk_id', `unk_id ${unkId} is outside the vocabulary [0, ${vocab.length})`);
  const byteFallback = c.bool('byte_fallback', false);
  try {
    return new Unigram(vocab, { unkId, byteFallback });
  } catch (err) {
    throw new FormatError(c.file, (err as Error).message, c.fieldPath('vocab'), { cause: err });
  }
});

const MODEL_FILES = ['tokenizer.model', 'spiece.model', 'sentencepiece.bpe.model'];

registerFormatLoader({
  name: 'sentencepiece',
  detect: (path, isDir) =>
    isDir ? MODEL_FILES.some((f) => existsSync(join(path, f))) : extname(path).toLowerCase() === '.model',
  load: (path) => {
    if (extname(path).toLowerCase() === '.model') return loadSentencePieceTokenizer(path);
    const f = MODEL_FILES.find((m) => existsSync(join(path, m)))!;
    return loadSentencePieceTokenizer(join(path, f));
  },
});

function trainOptions(
  files: readonly string[],
  o: TrainerOptions,
  modelType: 'unigram' | 'bpe',
): SentencePieceTrainOptions {
  const x = o.extra ?? {};
  const num = (k: string): number | undefined => (typeof x[k] === 'number' ? x[k] : undefined);
  const bool = (k: string): boolean | undefined => (typeof x[k] === 'boolean' ? x[k] : undefined);
  const str = (k: string): string | undefined => (typeof x[k] === 'string' ? x[k] : undefined);
  const opts: SentencePieceTrainOptions = {
    input: files,
    vocabSize: o.vocabSize,
    modelType,
    showProgress: o.showProgress ?? false,
  };
  const meta = new Set(['<unk>', '<s>', '</s>']);
  const control = (o.specialTokens ?? []).filter((t) => !meta.has(t));
  if (control.length > 0) opts.controlSymbols = control;
  const set = <K extends keyof SentencePieceTrainOptions>(k: K, v: SentencePieceTrainOptions[K] | undefined): void => {
    if (v !== undefined) opts[k] = v;
  };
  set('characterCoverage', num('character_coverage'));
  set('byteFallback', bool('byte_fallback'));
  set('maxSentencepieceLength', num('max_sentencepiece_length'));
  set('splitDigits', bool('split_digits'));
  set('addDummyPrefix', bool('add_dummy_prefix'));
  set('removeExtraWhitespaces', bool('remove_extra_whitespaces'));
  const rule = str('normalization_rule_name');
  if (rule === 'nmt_nfkc' || rule === 'identity') opts.normalizationRuleName = rule;
  const user = str('user_defined_symbols');
  if (user !== undefined && user.length > 0) opts.userDefinedSymbols = user.split(',');
  return opts;
}

async function train(files: readonly string[], o: TrainerOptions, modelType: 'unigram' | 'bpe'): Promise<Tokenizer> {
  const sp = await trainSentencePiece(trainOptions(files, o, modelType));
  return sp.toTokenizer();
}

const extraHelp =
  'extra: character_coverage, byte_fallback, normalization_rule_name (nmt_nfkc|identity), user_defined_symbols (a,b), split_digits';
/** Writes DIR/tokenizer.model beside tokenizer.json. */
function saveModel(tok: Tokenizer, dir: string): string[] {
  const path = join(dir, 'tokenizer.model');
  saveSentencePieceModel(tok, path);
  return [path];
}

registerTrainer({
  name: 'unigram',
  description: `SentencePiece Unigram LM (suffix-array seeds, EM, pruning); writes tokenizer.json and tokenizer.model; ${extraHelp}`,
  train: (files, o) => train(files, o, 'unigram'),
  saveExtra: saveModel,
});
registerTrainer({
  name: 'spm-bpe',
  description: `SentencePiece BPE (pieces scored by merge order, no pre-tokenizer); writes tokenizer.json and tokenizer.model; ${extraHelp}`,
  train: (files, o) => train(files, o, 'bpe'),
  saveExtra: saveModel,
});
