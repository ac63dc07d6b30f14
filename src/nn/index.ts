/** Neural-network layers: Module/Parameter, Linear, Embedding, norms, attention with a KV cache, positions, MLPs, blocks. */
export { Module, moveTo, decays, flattenParameters } from './module.ts';
export { Parameter, Buffer } from './parameter.ts';
export { Linear, Embedding, Dropout, ACTIVATIONS, activation } from './layers.ts';
export type { LinearOptions, ActivationName } from './layers.ts';
export { LayerNorm, RMSNorm, MaskedBatchNorm } from './norms.ts';
export { NORMS, Identity, createNorm } from './norm-layer.ts';
export type { NormName, NormLayer } from './norm-layer.ts';
export { SelfAttention, CrossAttention, validateAttentionConfig } from './attention.ts';
export type { AttentionConfig, AttentionInputs } from './attention.ts';
export { KVCache } from './kv-cache.ts';
export type { LayerKVCache } from './kv-cache.ts';
export { MLP, GatedMLP } from './mlp.ts';
export type { MLPConfig } from './mlp.ts';
export { Block } from './block.ts';
export type { BlockConfig } from './block.ts';
export { triangularMask, paddingMask, positionsFromMask, rangePositions, packedDocuments } from './masks.ts';
export {
  sinusoidalTable,
  ropeInverseFrequencies,
  ropeTables,
  applyRope,
  alibiSlopes,
  alibiBias,
} from './positional.ts';
export type { RopeStyle, RopeScaling, RopeOptions } from './positional.ts';
export { normalTensor, uniformTensor, constantTensor, normal_, constant_ } from './init.ts';
export type { InitContext } from './init.ts';
