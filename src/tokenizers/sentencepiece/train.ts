/**
 * Training a SentencePiece model (Unigram or BPE) from text files or lines, producing the same
 * kind of `.model` SentencePiece's spm_train writes: meta pieces first (<unk>, <s>, </s>, control
 * and user-defined symbols, 256 byte pieces with byte_fallback), then the trained pieces; the
 * normalizer spec carries the nmt_nfkc charsmap (or none for `identity`).
 *
 *   const sp = await trainSentencePiece({ input: ['corpus.txt'], vocabSize: 8000 });
 *   sp.save('m.model'); sp.encodeIds('Hello world');
 */
import { ConfigError } from '../../core/errors.ts';
import { trainUnigramPieces } from '../trainers/unigram-trainer.ts';
import { trainSpmBpePieces } from '../trainers/spm-bpe-trainer.ts';
import { nmtNfkcCharsmap, PrecompiledCharsmap } from './charsmap.ts';
import {
  defaultNormalizerSpec,
  defaultTrainerSpec,
  type ModelProto,
  type SentencePieceEntry,
  type TrainerSpec,
} from './model-proto.ts';
import { SentencePieceNormalizer } from './normalizer.ts';
import { bytePiece, type PieceTypeName } from './piece-type.ts';
import type { PieceRules } from './piece-validity.ts';
import { PrefixMatcher } from './prefix-matcher.ts';
import { SentencePieceProcessor } from './processor.ts';
import { loadCorpus } from './trainer-corpus.ts';

export interface SentencePieceTrainOptions {
  /** text files, one sentence per line */
  input?: readonly string[];
  /** and/or sentences given directly */
  sentences?: Iterable<string>;
  /** 'unigram' (default) or 'bpe' */
  modelType?: 'unigram' | 'bpe';
  vocabSize: number;
  /** share of character occurrences the alphabet must cover (default 0.9995; 1.0 for small alphabets) */
  characterCoverage?: number;
  /** 'nmt_nfkc' (default) or 'identity' */
  normalizationRuleName?: 'nmt_nfkc' | 'identity';
  addDummyPrefix?: boolean;
  removeExtraWhitespaces?: boolean;
  /** add the 256 <0xNN> pieces and spell unknown characters with them */
  byteFallback?: boolean;
  userDefinedSymbols?: readonly string[];
  controlSymbols?: readonly string[];
  requiredChars?: string;
  unkId?: number;
  bosId?: number;
  eosId?: number;
  padId?: number;
  unkPiece?: string;
  bosPiece?: string;
  eosPiece?: string;
  padPiece?: string;
  maxSentencepieceLength?: number;
  maxSentenceLength?: number;
  seedSentencepieceSize?: number;
  shrinkingFactor?: number;
  numSubIterations?: number;
  splitByUnicodeScript?: boolean;
  splitByNumber?: boolean;
  splitByWhitespace?: boolean;
  splitDigits?: boolean;
  treatWhitespaceAsSuffix?: boolean;
  allowWhitespaceOnlyPieces?: boolean;
  hardVocabLimit?: boolean;
  showProgress?: boolean;
}

export async function trainSentencePiece(options: SentencePieceTrainOptions): Promise<SentencePieceProcessor> {
  const spec = trainerSpecFrom(options);
  const meta = metaPieces(spec);
  const ruleName = options.normalizationRuleName ?? 'nmt_nfkc';
  if (ruleName !== 'nmt_nfkc' && ruleName !== 'identity') {
    throw new ConfigError('normalization_rule_name', `must be nmt_nfkc or identity, got ${JSON.stringify(ruleName)}`);
  }
  const normalizerSpec = defaultNormalizerSpec();
  normalizerSpec.name = ruleName;
  normalizerSpec.precompiledCharsmap = ruleName === 'nmt_nfkc' ? nmtNfkcCharsmap() : new Uint8Array(0);
  normalizerSpec.addDummyPrefix = options.addDummyPrefix ?? true;
  normalizerSpec.removeExtraWhitespaces = options.removeExtraWhitespaces ?? true;
  normalizerSpec.escapeWhitespaces = true;
  const charsmap =
    normalizerSpec.precompiledCharsmap.byteLength > 0
      ? new PrecompiledCharsmap(normalizerSpec.precompiledCharsmap)
      : null;
  const normalizer = new SentencePieceNormalizer({
    charsmap,
    addDummyPrefix: normalizerSpec.addDummyPrefix,
    removeExtraWhitespaces: normalizerSpec.removeExtraWhitespaces,
    escapeWhitespaces: true,
    treatWhitespaceAsSuffix: spec.treatWhitespaceAsSuffix,
    userDefined: spec.userDefinedSymbols.length > 0 ? new PrefixMatcher(spec.userDefinedSymbols) : null,
  });
  const files = options.input ?? [];
  if (files.length === 0 && options.sentences === undefined)
    throw new ConfigError('input', 'give training files or sentences');
  const corpus = await loadCorpus(files, options.sentences, {
    normalizer,
    maxSentenceLength: spec.maxSentenceLength,
    characterCoverage: spec.characterCoverage,
    requiredChars: spec.requiredChars,
    showProgress: options.showProgress ?? false,
  });
  if (corpus.sentences.length === 0)
    throw new ConfigError('input', 'no training sentences (empty input, or every line too long)');
  const rules: PieceRules = {
    maxPieceLength: spec.maxSentencepieceLength,
    splitByUnicodeScript: spec.splitByUnicodeScript,
    splitByNumber: spec.splitByNumber,
    splitByWhitespace: spec.splitByWhitespace,
    splitDigits: spec.splitDigits,
    treatWhitespaceAsSuffix: spec.treatWhitespaceAsSuffix,
    allowWhitespaceOnlyPieces: spec.allowWhitespaceOnlyPieces,
  };
  const pieceCount = spec.vocabSize - meta.size;
  if (corpus.requiredChars.length + meta.size >= spec.vocabSize) {
    throw new ConfigError(
      'vocab_size',
      `${spec.vocabSize} is too small: the alphabet has ${corpus.requiredChars.length} characters and there are ${meta.size} meta pieces; raise vocab_size or lower character_coverage`,
    );
  }
  const common = { rules, showProgress: options.showProgress ?? false, hardVocabLimit: spec.hardVocabLimit };
  const trained =
    spec.modelType === 'BPE'
      ? trainSpmBpePieces(corpus.sentences, corpus.requiredChars, { ...common, pieceCount })
      : trainUnigramPieces(corpus.sentences, corpus.requiredChars, {
          ...common,
          pieceCount,
          vocabSize: spec.vocabSize,
          seedSentencepieceSize: spec.seedSentencepieceSize,
          shrinkingFactor: spec.shrinkingFactor,
          numSubIterations: spec.numSubIterations,
        });

  // meta pieces at their ids, trained pieces fill the rest in order
  const pieces: SentencePieceEntry[] = [];
  let next = 0;
  for (let id = 0; id < spec.vocabSize; id++) {
    const m = meta.get(id);
    if (m !== undefined) pieces.push({ piece: m[0], score: 0, type: m[1] });
    else if (next < trained.length) {
      const [piece, score] = trained[next++]!;
      pieces.push({ piece, score: Math.fround(score), type: 'NORMAL' });
    }
  }
  const proto: ModelProto = { pieces, trainerSpec: spec, normalizerSpec, denormalizerSpec: null };
  return new SentencePieceProcessor(proto);
}

function trainerSpecFrom(o: SentencePieceTrainOptions): TrainerSpec {
  const spec = defaultTrainerSpec();
  if (!Number.isInteger(o.vocabSize) || o.vocabSize <= 0)
    throw new ConfigError('vocab_size', `must be a positive integer, got ${o.vocabSize}`);
  const cov = o.characterCoverage ?? 0.9995;
  if (!(cov > 0 && cov <= 1)) throw new ConfigError('character_coverage', `must be in (0, 1], got ${cov}`);
  spec.modelType = (o.modelType ?? 'unigram') === 'bpe' ? 'BPE' : 'UNIGRAM';
  if (o.modelType !== undefined && o.modelType !== 'unigram' && o.modelType !== 'bpe') {
    throw new ConfigError('model_type', `must be unigram or bpe, got ${JSON.stringify(o.modelType)}`);
  }
  spec.input = [...(o.input ?? [])];
  spec.vocabSize = o.vocabSize;
  spec.characterCoverage = Math.fround(cov);
  spec.byteFallback = o.byteFallback ?? false;
  spec.userDefinedSymbols = [...(o.userDefinedSymbols ?? [])];
  spec.controlSymbols = [...(o.controlSymbols ?? [])];
  spec.requiredChars = o.requiredChars ?? '';
  spec.numThreads = 1;
  const set = <K extends keyof TrainerSpec>(k: K, v: TrainerSpec[K] | undefined): void => {
    if (v !== undefined) spec[k] = v;
  };
  set('unkId', o.unkId);
  set('bosId', o.bosId);
  set('eosId', o.eosId);
  set('padId', o.padId);
  set('unkPiece', o.unkPiece);
  set('bosPiece', o.bosPiece);
  set('eosPiece', o.eosPiece);
  set('padPiece', o.padPiece);
  set('maxSentencepieceLength', o.maxSentencepieceLength);
  set('maxSentenceLength', o.maxSentenceLength);
  set('seedSentencepieceSize', o.seedSentencepieceSize);
  if (o.shrinkingFactor !== undefined) spec.shrinkingFactor = Math.fround(o.shrinkingFactor);
  set('numSubIterations', o.numSubIterations);
  set('splitByUnicodeScript', o.splitByUnicodeScript);
  set('splitByNumber', o.splitByNumber);
  set('splitByWhitespace', o.splitByWhitespace);
  set('splitDigits', o.splitDigits);
  set('treatWhitespaceAsSuffix', o.treatWhitespaceAsSuffix);
  set('allowWhitespaceOnlyPieces', o.allowWhitespaceOnlyPieces);
  set('hardVocabLimit', o.hardVocabLimit);
  if (spec.maxSentencepieceLength < 1 || spec.maxSentencepieceLength > 512) {
    throw new ConfigError('max_sentencepiece_length', `must be in [1, 512], got ${spec.maxSentencepieceLength}`);
  }
  return spec;
}

/** SentencePiece's InitMetaPieces: id -> [piece, type]. */
function metaPieces(spec: TrainerSpec): Map<number, [string, PieceTypeName]> {
  const meta = new Map<number, [string, PieceTypeName]>();
  let hasUnk = false;
  const insertId = (field: string, id: number, piece: string): void => {
    if (id < 0) return;
    if (id >= spec.vocabSize || meta.has(id) || (hasUnk && piece === spec.unkPiece)) {
      throw new ConfigError(field, `id ${id} for ${JSON.stringify(piece)} is out of range or already taken`);
    }
    if (piece === spec.unkPiece) hasUnk = true;
    meta.set(id, [piece, piece === spec.unkPiece ? 'UNKNOWN' : 'CONTROL']);
  };
  insertId('unk_id', spec.unkId, spec.unkPiece);
  insertId('bos_id', spec.bosId, spec.bosPiece);
  insertId('eos_id', spec.eosId, spec.eosPiece);
  insertId('pad_id', spec.padId, spec.padPiece);
  if (!hasUnk) throw new ConfigError('unk_id', `${spec.unkPiece} must be defined (unk_id >= 0)`);
  const dup = new Set<string>();
  let id = 0;
  const insertSymbol = (field: string, piece: string, type: PieceTypeName): void => {
    if (piece.length === 0) throw new ConfigError(field, 'a symbol must not be empty');
    if (dup.has(piece)) throw new ConfigError(field, `${JSON.stringify(piece)} is already defined`);
    dup.add(piece);
    if (piece === spec.unkPiece) throw new ConfigError(field, `${piece} must not be a control or user-defined symbol`);
    for (const [roleId, rolePiece] of [
      [spec.bosId, spec.bosPiece],
      [spec.eosId, spec.eosPiece],
      [spec.padId, spec.padPiece],
    ] as const) {
      if (piece === rolePiece && roleId >= 0) {
        meta.get(roleId)![1] = type;
        return;
      }
    }
    while (meta.has(id)) id++;
    meta.set(id, [piece, type]);
  };
  for (const s of spec.controlSymbols) insertSymbol('control_symbols', s, 'CONTROL');
  for (const s of spec.userDefinedSymbols) insertSymbol('user_defined_symbols', s, 'USER_DEFINED');
  if (spec.byteFallback) {
    for (let b = 0; b < 256; b++) {
      const p = bytePiece(b);
      if (dup.has(p)) throw new ConfigError('user_defined_symbols', `${p} is reserved for byte fallback`);
      while (meta.has(id)) id++;
      meta.set(id, [p, 'BYTE']);
    }
  }
  return meta;
}
