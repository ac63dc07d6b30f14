/** Files in and out: safetensors (single and sharded), training checkpoints, Hugging Face model folders. */
export {
  SafetensorsError,
  SafetensorsFile,
  loadSafetensors,
  saveSafetensors,
  serializeSafetensors,
  deserializeSafetensors,
  readHeader,
} from './safetensors.ts';
export type {
  SafetensorsErrorKind,
  TensorInfo,
  SafetensorsHeader,
  TensorRecord,
  TensorInput,
  ReadOptions,
} from './safetensors.ts';
export { DTYPES, f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from './safetensors-dtypes.ts';
export type { Dtype } from './safetensors-dtypes.ts';
export { readShardIndex, saveSafetensorsCheckpoint, SafetensorsCheckpoint } from './safetensors-sharded.ts';
export type { ShardIndex } from './safetensors-sharded.ts';
export {
  CHECKPOINT_FORMAT,
  checkpointPath,
  saveCheckpoint,
  openCheckpoint,
  restoreModel,
  restoreOptimizer,
  loadModelFromRun,
  RunCheckpointer,
} from './checkpoint.ts';
export type { Checkpointer, CheckpointMeta, SaveCheckpointArgs, LoadedCheckpoint } from './checkpoint.ts';
export { loadModel, loadCodec } from './load-model.ts';
export type { LoadedModel, TextCodec } from './load-model.ts';
export { loadHfModel, isHfModelDir, hfModelFromCheckpoint } from './hf/load.ts';
export type { CheckpointReader } from './hf/load.ts';
export { loadHfModelFrom, MemoryCheckpoint } from './hf/from-source.ts';
export type { HfSources } from './hf/from-source.ts';
export { saveHfModel } from './hf/save.ts';
