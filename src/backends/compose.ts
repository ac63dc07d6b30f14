/**
 * Builds a complete Backend from a partial one: every kernel the partial backend lacks, or
 * does not support for a given dtype, runs on the reference backend instead. This is how a
 * new backend (native, WebAssembly) can start with a few fast kernels and still run every op.
 */
import type { Backend, KernelName, Kernels } from './backend.ts';
import type { DType } from '../core/dtype.ts';
import { referenceBackend } from './reference/index.ts';

export interface PartialBackend extends Partial<Kernels> {
  readonly name: string;
  readonly threads: number;
  alloc: Backend['alloc'];
  free?: Backend['free'];
  /**
   * Whether `kernel` runs natively for `dtype`; defaults to "if the kernel is present".
   * A kernel that is present receives every dtype its op allows, so it must itself hand the
   * dtypes it does not run natively (e.g. float64) to referenceBackend.
   */
  supports?(kernel: KernelName, dtype: DType): boolean;
  setThreads?(n: number): void;
}

export function composeBackend(partial: PartialBackend): Backend {
  const has = (kernel: KernelName, dtype: DType): boolean =>
    partial[kernel] !== undefined && (partial.supports ? partial.supports(kernel, dtype) : true);
  const pick = <K extends KernelName>(kernel: K): Kernels[K] =>
    (partial[kernel] ?? referenceBackend[kernel]) as Kernels[K];
  const composed: Backend = {
    ...referenceBackend,
    name: partial.name,
    alloc: partial.alloc,
    supports: has,
    get threads() {
      return partial.threads;
    },
    fill: pick('fill'),
    copyStrided: pick('copyStrided'),
    assign: pick('assign'),
    unary: pick('unary'),
    unaryGrad: pick('unaryGrad'),
    binary: pick('binary'),
    compare: pick('compare'),
    where: pick('where'),
    reduce: pick('reduce'),
    argReduce: pick('argReduce'),
    sumSquares: pick('sumSquares'),
    matmul: pick('matmul'),
    softmax: pick('softmax'),
    softmaxGrad: pick('softmaxGrad'),
    layerNorm: pick('layerNorm'),
    layerNormGrad: pick('layerNormGrad'),
    rmsNorm: pick('rmsNorm'),
    rmsNormGrad: pick('rmsNormGrad'),
    crossEntropy: pick('crossEntropy'),
    crossEntropyGrad: pick('crossEntropyGrad'),
    indexSelect: pick('indexSelect'),
    indexAdd: pick('indexAdd'),
    gather: pick('gather'),
    scatterAdd: pick('scatterAdd'),
    attention: pick('attention'),
    attentionGrad: pick('attentionGrad'),
    pagedAttention: pick('pagedAttention'),
    adamw: pick('adamw'),
    quantizedMatmul: pick('quantizedMatmul'),
  };
  if (partial.setThreads) composed.setThreads = partial.setThreads.bind(partial);
  if (partial.free) composed.free = partial.free;
  return composed;
}
