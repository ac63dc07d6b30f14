/**
 * The reference backend: plain TypeScript loops, readable, the specification every other
 * backend is tested against. Float32 inputs are computed in float64 and rounded on store.
 */
import type { Backend } from '../backend.ts';
import { newArray } from '../../core/dtype.ts';
import { attention, attentionGrad } from './attention.ts';
import { assign, binary, compare, copyStrided, fill, unary, unaryGrad, where } from './elementwise.ts';
import { gather, indexAdd, indexSelect, scatterAdd } from './indexing.ts';
import { crossEntropy, crossEntropyGrad } from './loss.ts';
import { matmul } from './matmul.ts';
import { layerNorm, layerNormGrad, rmsNorm, rmsNormGrad } from './norm.ts';
import { adamw } from './optim.ts';
import { pagedAttention } from './paged-attention.ts';
import { quantizedMatmulReference } from '../quant.ts';
import { argReduce, reduce, sumSquares } from './reduce.ts';
import { softmax, softmaxGrad } from './softmax.ts';

export const referenceBackend: Backend = {
  name: 'reference',
  threads: 1,
  alloc: (dtype, length) => newArray(dtype, length),
  supports: () => true,
  fill,
  copyStrided,
  assign,
  unary,
  unaryGrad,
  binary,
  compare,
  where,
  reduce,
  argReduce,
  sumSquares,
  matmul,
  softmax,
  softmaxGrad,
  layerNorm,
  layerNormGrad,
  rmsNorm,
  rmsNormGrad,
  crossEntropy,
  crossEntropyGrad,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  attention,
  attentionGrad,
  pagedAttention,
  adamw,
  quantizedMatmul: quantizedMatmulReference,
};
