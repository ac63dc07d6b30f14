/**
 * A profiling wrapper around any backend: every kernel call is timed and counted, so a
 * training step's time can be split into matmul, attention, norms, elementwise, optimizer
 * and the TypeScript between kernels (op dispatch, autograd, allocation) - what
 * torch.profiler shows for PyTorch. Tensors created on the wrapper run through it.
 */
import type { Backend, KernelName } from './backend.ts';

export interface KernelStats {
  calls: number;
  ms: number;
}

export interface ProfilingBackend extends Backend {
  readonly stats: Map<KernelName, KernelStats>;
  reset(): void;
}

const KERNELS: readonly KernelName[] = [
  'fill',
  'copyStrided',
  'assign',
  'unary',
  'unaryGrad',
  'binary',
  'compare',
  'where',
  'reduce',
  'argReduce',
  'sumSquares',
  'matmul',
  'softmax',
  'softmaxGrad',
  'layerNorm',
  'layerNormGrad',
  'rmsNorm',
  'rmsNormGrad',
  'crossEntropy',
  'crossEntropyGrad',
  'indexSelect',
  'indexAdd',
  'gather',
  'scatterAdd',
  'attention',
  'attentionGrad',
  'pagedAttention',
  'adamw',
  'quantizedMatmul',
];

export function withProfiling(inner: Backend): ProfilingBackend {
  const stats = new Map<KernelName, KernelStats>();
  const wrapped: Record<string, unknown> = {
    name: `${inner.name}+profile`,
    alloc: inner.alloc.bind(inner),
    supports: inner.supports.bind(inner),
    get threads() {
      return inner.threads;
    },
    stats,
    reset: () => stats.clear(),
  };
  if (inner.setThreads) wrapped['setThreads'] = inner.setThreads.bind(inner);
  for (const name of KERNELS) {
    const fn = inner[name] as (...args: unknown[]) => unknown;
    wrapped[name] = (...args: unknown[]): unknown => {
      const t0 = performance.now();
      const r = fn.apply(inner, args);
      const s = stats.get(name) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += performance.now() - t0;
      stats.set(name, s);
      return r;
    };
  }
  return wrapped as unknown as ProfilingBackend;
}

/** Kernel groups for a step breakdown. */
export const KERNEL_GROUPS: Record<string, readonly KernelName[]> = {
  matmul: ['matmul', 'quantizedMatmul'],
  attention: ['attention', 'attentionGrad', 'pagedAttention'],
  norms: ['layerNorm', 'layerNormGrad', 'rmsNorm', 'rmsNormGrad'],
  'softmax + cross-entropy': ['softmax', 'softmaxGrad', 'crossEntropy', 'crossEntropyGrad'],
  elementwise: ['unary', 'unaryGrad', 'binary', 'compare', 'where'],
  'copies + reductions': ['fill', 'copyStrided', 'assign', 'reduce', 'argReduce'],
  'embedding + indexing': ['indexSelect', 'indexAdd', 'gather', 'scatterAdd'],
  optimizer: ['adamw', 'sumSquares'],
};

/** Milliseconds per group from the stats (total over the profiled period). */
export function groupTimes(stats: Map<KernelName, KernelStats>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, names] of Object.entries(KERNEL_GROUPS))
    out[group] = names.reduce((ms, n) => ms + (stats.get(n)?.ms ?? 0), 0);
  return out;
}
