/**
 * llmts: a ChatGPT-style language-model stack in TypeScript. The curated top level; each area
 * has its own entry with everything it offers: llmts/engine, llmts/nn, llmts/models,
 * llmts/tokenizers, llmts/data, llmts/generate, llmts/train, llmts/align, llmts/io.
 *
 *   import { loadTokenizer, GPT, gptPreset, gptForGeneration, generate } from 'llmts';
 */
export {
  Tensor,
  tensor,
  zeros,
  ones,
  randn,
  arange,
  tidy,
  keep,
  noGrad,
  Generator,
  gradcheck,
} from './engine/index.ts';
export type { DType, Shape } from './engine/index.ts';
export { Module, Parameter } from './nn/index.ts';
export {
  GPT,
  gptPreset,
  BERT,
  EncoderDecoder,
  createModel,
  PRESETS,
  gptForGeneration,
  forGeneration,
} from './models/index.ts';
export type { GPTConfig } from './models/index.ts';
export { AdamW, SGD, createSchedule, clipGradNorm_ } from './optim/index.ts';
export { Tokenizer, Encoding, loadTokenizer, trainBpe, trainWordPiece } from './tokenizers/index.ts';
export { generate } from './generate/index.ts';
export type { GenerationConfig } from './generate/index.ts';
export { pretrain, trainLoop } from './train/index.ts';
export { loadModel, loadSafetensors, saveSafetensors, loadHfModel, saveHfModel } from './io/index.ts';
export { getDefaultBackend, setDefaultBackend } from './backends/select.ts';
export {
  LlmtsError,
  ShapeError,
  DTypeError,
  ArgumentError,
  FormatError,
  ConfigError,
  IOError,
  BackendError,
  NumericError,
  DisposedError,
} from './core/errors.ts';
