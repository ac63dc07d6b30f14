/**
 * SentencePiece: `.model` files, the exact SentencePiece encoder/decoder, training, and the
 * conversion to and from pipeline Tokenizers (tokenizer.json).
 *
 *   const sp = SentencePieceProcessor.load('tokenizer.model');   // exact SentencePiece ids
 *   sp.encodeIds('Hello'); sp.nbest('Hello', 5); sp.sample('Hello', { alpha: 0.1, rng });
 *   const tok = loadTokenizer('tokenizer.model');                 // the pipeline form
 *   const trained = await trainSentencePiece({ input: ['corpus.txt'], vocabSize: 8000 });
 *   trained.save('m.model'); trained.toTokenizer().save('tokenizer.json');
 */
import './register.ts';

export { SentencePieceProcessor, decodeBytesLikeSentencePiece } from './processor.ts';
export type { EncodedPiece, SampleOptions } from './processor.ts';
export { trainSentencePiece } from './train.ts';
export type { SentencePieceTrainOptions } from './train.ts';
export {
  tokenizerFromModelProto,
  modelProtoFromTokenizer,
  loadSentencePieceTokenizer,
  saveSentencePieceModel,
  bpeModelProtoFromMerges,
} from './convert.ts';
export type { BpeProtoOptions } from './convert.ts';
export {
  decodeModelProto,
  encodeModelProto,
  readModelProtoFile,
  writeModelProtoFile,
  defaultTrainerSpec,
  defaultNormalizerSpec,
} from './model-proto.ts';
export type { ModelProto, TrainerSpec, NormalizerSpec, SentencePieceEntry, ModelType } from './model-proto.ts';
export { PieceType } from './piece-type.ts';
export type { PieceTypeName } from './piece-type.ts';
export { SentencePieceNormalizer } from './normalizer.ts';
export { PrecompiledCharsmap, nmtNfkcCharsmap } from './charsmap.ts';
export { SentencePieceBpe } from './bpe-pipeline.ts';
export { Unigram } from '../models/unigram.ts';
export { UnigramModel } from '../models/unigram-model.ts';
export { Precompiled } from '../normalizers/precompiled.ts';
