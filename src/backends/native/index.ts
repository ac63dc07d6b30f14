/**
 * The native backend: C kernels (native/src, built by node-gyp at `npm install`) behind
 * N-API, composed over the reference backend so every kernel it lacks, and every dtype it
 * does not run natively (float64 for gradient checks, int32 arithmetic), runs on the
 * reference kernels. Float32 is the native dtype.
 *
 * Each wrapper writes its scalars into the addon's shared Float64Array and calls the addon
 * with typed arrays only (no objects cross into C), so a call costs well under a microsecond.
 * Threads default to LLMTS_THREADS, else one per core (core/threads.ts); setThreads(n) changes the pool size.
 */
import { defaultThreads, threadsFromEnv } from '../../core/threads.ts';
import type { QuantizedMatmulArgs } from '../quant.ts';
import type {
  AdamWArgs,
  AttentionArgs,
  AttentionGradArgs,
  Backend,
  KernelName,
  MatmulArgs,
  PagedAttentionArgs,
  StridedArray,
} from '../backend.ts';
import type { DType } from '../../core/dtype.ts';
import { itemSize, newArray } from '../../core/dtype.ts';
import { composeBackend } from '../compose.ts';
import type { PartialBackend } from '../compose.ts';
import { referenceBackend as ref } from '../reference/index.ts';
import { loadAddon } from './addon.ts';
import type { NativeAddon } from './addon.ts';
import { BINARY_CODE, COMPARE_CODE, REDUCE_CODE, UNARY_CODE } from './codes.ts';
import { writeWalk } from './walk.ts';

export { loadAddon } from './addon.ts';
export type { NativeAddon } from './addon.ts';

/** Below this many elements a plain TypedArray.fill is as fast as a call into C. */
const NATIVE_FILL_MIN = 1 << 16;

/** Kernels that run natively, and for which dtypes (the rest go to the reference). */
const NATIVE: Partial<Record<KernelName, readonly DType[]>> = {
  fill: ['float32', 'int32'],
  copyStrided: ['float32', 'float64', 'int32', 'bool'],
  assign: ['float32', 'float64', 'int32', 'bool'],
  unary: ['float32'],
  unaryGrad: ['float32'],
  binary: ['float32'],
  compare: ['float32'],
  where: ['float32'],
  reduce: ['float32'],
  sumSquares: ['float32'],
  matmul: ['float32'],
  softmax: ['float32'],
  softmaxGrad: ['float32'],
  layerNorm: ['float32'],
  layerNormGrad: ['float32'],
  rmsNorm: ['float32'],
  rmsNormGrad: ['float32'],
  crossEntropy: ['float32'],
  crossEntropyGrad: ['float32'],
  indexSelect: ['float32', 'float64', 'int32', 'bool'],
  indexAdd: ['float32'],
  attention: ['float32'],
  attentionGrad: ['float32'],
  pagedAttention: ['float32'],
  quantizedMatmul: ['float32'],
  adamw: ['float32'],
};

function f32(x: unknown): x is Float32Array {
  return x instanceof Float32Array;
}

function hasZero(shape: readonly number[]): boolean {
  for (const d of shape) if (d === 0) return true;
  return false;
}

/** Drops the dimensions (of size > 1) along which both dst and src have stride 0. */
function dropSharedBroadcast(
  dst: StridedArray,
  src: StridedArray,
  shape: readonly number[],
): [StridedArray, StridedArray, readonly number[]] {
  let shared = false;
  for (let i = 0; i < shape.length; i++)
    if (shape[i]! > 1 && dst.strides[i] === 0 && src.strides[i] === 0) shared = true;
  if (!shared) return [dst, src, shape];
  const keep = shape.map((n, i) => !(n > 1 && dst.strides[i] === 0 && src.strides[i] === 0));
  const pick = <T>(xs: readonly T[]): T[] => xs.filter((_, i) => keep[i]);
  return [{ ...dst, strides: pick(dst.strides) }, { ...src, strides: pick(src.strides) }, pick(shape)];
}

function writeAttention(A: Float64Array, a: AttentionArgs): void {
  A[0] = a.batch;
  A[1] = a.heads;
  A[2] = a.kvHeads;
  A[3] = a.tq;
  A[4] = a.tk;
  A[5] = a.headDim;
  A[6] = a.scale;
  A[7] = a.causal ? 1 : 0;
  A[8] = a.qLayout.sB;
  A[9] = a.qLayout.sH;
  A[10] = a.qLayout.sT;
  A[11] = a.kLayout.sB;
  A[12] = a.kLayout.sH;
  A[13] = a.kLayout.sT;
  A[14] = a.vLayout.sB;
  A[15] = a.vLayout.sH;
  A[16] = a.vLayout.sT;
  A[17] = a.outLayout.sB;
  A[18] = a.outLayout.sH;
  A[19] = a.outLayout.sT;
  const m = a.mask;
  A[20] = m ? m.strides[0]! : 0;
  A[21] = m ? m.strides[1]! : 0;
  A[22] = m ? m.strides[2]! : 0;
  A[23] = m ? m.strides[3]! : 0;
}

/** The mask's data from its offset (the addon takes dense-from-start arrays). */
function maskData(m: StridedArray | null): Float32Array | null {
  if (m === null) return null;
  const d = m.data as Float32Array;
  return m.offset === 0 ? d : d.subarray(m.offset);
}

function attentionNative(a: AttentionArgs): boolean {
  return f32(a.q) && f32(a.k) && f32(a.v) && f32(a.out) && f32(a.lse) && (a.mask === null || f32(a.mask.data));
}

/** Arrays of at least this many bytes start on a cache line (see alignedArray). */
const ALIGN_MIN_BYTES = 4096;
const CACHE_LINE = 64;

/**
 * A zeroed array whose data starts on a 64-byte cache line. V8 places large ArrayBuffers
 * where malloc puts them (16 bytes past a page boundary), so every 64-byte vector access and
 * every row a thread owns straddles two lines; neighbouring rows written by two threads then
 * share a line (attention's per-head gradients measured 540 vs 424 us). Over-allocate one line
 * and view the array at the aligned offset; the buffer's memory never moves.
 */
function alignedArray(N: NativeAddon, dtype: DType, length: number): ReturnType<typeof newArray> {
  const size = itemSize(dtype);
  if (length * size < ALIGN_MIN_BYTES) return newArray(dtype, length);
  const buffer = new ArrayBuffer(length * size + CACHE_LINE);
  const shift = (CACHE_LINE - N.addressMod64(new Uint8Array(buffer, 0, 1))) % CACHE_LINE;
  const offset = shift % size === 0 ? shift : 0; // (V8's buffers are 8-aligned: never taken)
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, offset, length);
    case 'float64':
      return new Float64Array(buffer, offset, length);
    case 'int32':
      return new Int32Array(buffer, offset, length);
    default:
      return new Uint8Array(buffer, offset, length);
  }
}

/** What a backend built on the addon interface supplies besides the kernels (see ../wasm). */
export interface KernelHost {
  readonly name: string;
  alloc: PartialBackend['alloc'];
  free?: PartialBackend['free'];
}

/**
 * The kernels of an addon-shaped module: the native addon here, the WebAssembly module
 * through an adapter (src/backends/wasm/addon.ts). Both take the same calls.
 */
export function addonKernels(N: NativeAddon, host: KernelHost): PartialBackend {
  const partial = makePartial(N, host);
  if (host.free) partial.free = host.free;
  return partial;
}

function makePartial(N: NativeAddon, host?: KernelHost): PartialBackend {
  const A = N.args;
  const partial: PartialBackend = {
    name: host?.name ?? 'native',
    get threads() {
      return N.threads();
    },
    setThreads(n: number) {
      N.setThreads(Math.max(1, Math.floor(n)));
    },
    alloc: host?.alloc ?? ((dtype, length) => alignedArray(N, dtype, length)),
    supports: (kernel, dtype) => NATIVE[kernel]?.includes(dtype) ?? false,

    fill(out, n, value) {
      if (n >= NATIVE_FILL_MIN && (out instanceof Float32Array || out instanceof Int32Array)) {
        A[0] = n;
        A[1] = out instanceof Int32Array ? value | 0 : value; // ToInt32, as Int32Array.fill
        N.fill(out);
      } else {
        out.fill(value, 0, n);
      }
    },

    copyStrided(src, shape, out) {
      const sameType = src.data.constructor === out.constructor;
      if (!sameType || !writeWalk(A, 1, shape, [src])) return ref.copyStrided(src, shape, out);
      if (hasZero(shape)) return;
      N.copy(src.data, out);
    },

    assign(dst0, src0, shape0) {
      // a dimension both sides stay put along (fill_ of an expanded view) is written once: the
      // addon accepts only destinations that touch each element once
      const [dst, src, shape] = dropSharedBroadcast(dst0, src0, shape0);
      if (dst.data.constructor !== src.data.constructor || !writeWalk(A, 1, shape, [dst, src])) {
        return ref.assign(dst, src, shape);
      }
      if (hasZero(shape)) return;
      N.assign(dst.data, src.data);
    },

    unary(op, x, out, n, param) {
      if (!f32(x) || !f32(out)) return ref.unary(op, x, out, n, param);
      A[0] = UNARY_CODE[op];
      A[1] = n;
      A[2] = param;
      N.unary(x, out);
    },

    unaryGrad(op, x, y, gy, gx, n, param) {
      if (!f32(x) || !f32(y) || !f32(gy) || !f32(gx)) return ref.unaryGrad(op, x, y, gy, gx, n, param);
      A[0] = UNARY_CODE[op];
      A[1] = n;
      A[2] = param;
      N.unaryGrad(x, y, gy, gx);
    },

    binary(op, a, b, shape, out) {
      if (!f32(a.data) || !f32(b.data) || !f32(out) || !writeWalk(A, 1, shape, [a, b])) {
        return ref.binary(op, a, b, shape, out);
      }
      if (hasZero(shape)) return;
      A[0] = BINARY_CODE[op];
      N.binary(a.data, b.data, out);
    },

    compare(op, a, b, shape, out) {
      if (!f32(a.data) || !f32(b.data) || !writeWalk(A, 1, shape, [a, b])) return ref.compare(op, a, b, shape, out);
      if (hasZero(shape)) return;
      A[0] = COMPARE_CODE[op];
      N.compare(a.data, b.data, out);
    },

    where(cond, a, b, shape, out) {
      if (!f32(a.data) || !f32(b.data) || !f32(out) || !writeWalk(A, 1, shape, [cond, a, b])) {
        return ref.where(cond, a, b, shape, out);
      }
      if (hasZero(shape)) return;
      N.where(cond.data, a.data, b.data, out);
    },

    reduce(op, x, outer, r, inner, out) {
      if (!f32(x) || !f32(out)) return ref.reduce(op, x, outer, r, inner, out);
      A[0] = REDUCE_CODE[op];
      A[1] = outer;
      A[2] = r;
      A[3] = inner;
      N.reduce(x, out);
    },

    sumSquares(x, n) {
      if (!f32(x)) return ref.sumSquares(x, n);
      A[0] = n;
      return N.sumSquares(x);
    },

    matmul(g: MatmulArgs) {
      if (!f32(g.a) || !f32(g.b) || !f32(g.c)) return ref.matmul(g);
      A[0] = g.batch;
      A[1] = g.m;
      A[2] = g.n;
      A[3] = g.k;
      A[4] = g.transA ? 1 : 0;
      A[5] = g.transB ? 1 : 0;
      A[6] = g.lda;
      A[7] = g.ldb;
      A[8] = g.ldc;
      A[9] = g.strideA;
      A[10] = g.strideB;
      A[11] = g.strideC;
      A[12] = g.accumulate ? 1 : 0;
      N.sgemm(g.a, g.b, g.c);
    },

    softmax(x, rows, cols, out, log) {
      if (!f32(x) || !f32(out)) return ref.softmax(x, rows, cols, out, log);
      A[0] = rows;
      A[1] = cols;
      A[2] = log ? 1 : 0;
      N.softmax(x, out);
    },

    softmaxGrad(y, gy, rows, cols, gx, log) {
      if (!f32(y) || !f32(gy) || !f32(gx)) return ref.softmaxGrad(y, gy, rows, cols, gx, log);
      A[0] = rows;
      A[1] = cols;
      A[2] = log ? 1 : 0;
      N.softmaxGrad(y, gy, gx);
    },

    layerNorm(x, w, b, rows, cols, eps, y, mean, rstd) {
      if (!f32(x) || !f32(y) || !f32(mean) || !f32(rstd) || (w !== null && !f32(w)) || (b !== null && !f32(b))) {
        return ref.layerNorm(x, w, b, rows, cols, eps, y, mean, rstd);
      }
      A[0] = rows;
      A[1] = cols;
      A[2] = eps;
      N.layerNorm(x, w, b, y, mean, rstd);
    },

    layerNormGrad(x, w, mean, rstd, gy, rows, cols, gx, gw, gb) {
      if (
        !f32(x) ||
        !f32(mean) ||
        !f32(rstd) ||
        !f32(gy) ||
        !f32(gx) ||
        (w !== null && !f32(w)) ||
        (gw !== null && !f32(gw)) ||
        (gb !== null && !f32(gb))
      ) {
        return ref.layerNormGrad(x, w, mean, rstd, gy, rows, cols, gx, gw, gb);
      }
      A[0] = rows;
      A[1] = cols;
      N.layerNormGrad(x, w, mean, rstd, gy, gx, gw, gb);
    },

    rmsNorm(x, w, rows, cols, eps, y, rstd) {
      if (!f32(x) || !f32(y) || !f32(rstd) || (w !== null && !f32(w)))
        return ref.rmsNorm(x, w, rows, cols, eps, y, rstd);
      A[0] = rows;
      A[1] = cols;
      A[2] = eps;
      N.rmsNorm(x, w, y, rstd);
    },

    rmsNormGrad(x, w, rstd, gy, rows, cols, gx, gw) {
      if (!f32(x) || !f32(rstd) || !f32(gy) || !f32(gx) || (w !== null && !f32(w)) || (gw !== null && !f32(gw))) {
        return ref.rmsNormGrad(x, w, rstd, gy, rows, cols, gx, gw);
      }
      A[0] = rows;
      A[1] = cols;
      N.rmsNormGrad(x, w, rstd, gy, gx, gw);
    },

    crossEntropy(logits, targets, rows, classes, ignoreIndex, smoothing, losses, lse) {
      if (!f32(logits) || !f32(losses) || !f32(lse)) {
        return ref.crossEntropy(logits, targets, rows, classes, ignoreIndex, smoothing, losses, lse);
      }
      A[0] = rows;
      A[1] = classes;
      A[2] = ignoreIndex;
      A[3] = smoothing;
      N.crossEntropy(logits, targets, losses, lse);
    },

    crossEntropyGrad(logits, targets, lse, gradLoss, rows, classes, ignoreIndex, smoothing, gx) {
      if (!f32(logits) || !f32(lse) || !f32(gradLoss) || !f32(gx)) {
        return ref.crossEntropyGrad(logits, targets, lse, gradLoss, rows, classes, ignoreIndex, smoothing, gx);
      }
      A[0] = rows;
      A[1] = classes;
      A[2] = ignoreIndex;
      A[3] = smoothing;
      N.crossEntropyGrad(logits, targets, lse, gradLoss, gx);
    },

    indexSelect(src, outer, srcDim, inner, index, out) {
      if (src.constructor !== out.constructor) return ref.indexSelect(src, outer, srcDim, inner, index, out);
      A[0] = outer;
      A[1] = srcDim;
      A[2] = inner;
      A[3] = index.length;
      N.indexSelect(src, index, out);
    },

    indexAdd(src, outer, n, inner, index, dstDim, dst) {
      if (!f32(src) || !f32(dst)) return ref.indexAdd(src, outer, n, inner, index, dstDim, dst);
      A[0] = outer;
      A[1] = n;
      A[2] = inner;
      A[3] = dstDim;
      N.indexAdd(src, index, dst);
    },

    attention(a: AttentionArgs) {
      if (!attentionNative(a)) return ref.attention(a);
      writeAttention(A, a);
      N.attention(
        a.q as Float32Array,
        a.k as Float32Array,
        a.v as Float32Array,
        a.out as Float32Array,
        a.lse as Float32Array,
        maskData(a.mask),
      );
    },

    attentionGrad(a: AttentionGradArgs) {
      if (!attentionNative(a) || !f32(a.gradOut) || !f32(a.gradQ) || !f32(a.gradK) || !f32(a.gradV)) {
        return ref.attentionGrad(a);
      }
      writeAttention(A, a);
      A[24] = a.gradQLayout.sB;
      A[25] = a.gradQLayout.sH;
      A[26] = a.gradQLayout.sT;
      A[27] = a.gradKLayout.sB;
      A[28] = a.gradKLayout.sH;
      A[29] = a.gradKLayout.sT;
      A[30] = a.gradVLayout.sB;
      A[31] = a.gradVLayout.sH;
      A[32] = a.gradVLayout.sT;
      N.attentionGrad(
        a.q as Float32Array,
        a.k as Float32Array,
        a.v as Float32Array,
        a.out as Float32Array,
        a.lse as Float32Array,
        maskData(a.mask),
        a.gradOut,
        a.gradQ,
        a.gradK,
        a.gradV,
      );
    },

    pagedAttention(a: PagedAttentionArgs) {
      if (!f32(a.q) || !f32(a.out) || !f32(a.kPages) || !f32(a.vPages)) return ref.pagedAttention(a);
      A[0] = a.tokens;
      A[1] = a.heads;
      A[2] = a.kvHeads;
      A[3] = a.headDim;
      A[4] = a.pageSize;
      A[5] = a.numPages;
      A[6] = a.pagesPerRow;
      A[7] = a.rows;
      A[8] = a.scale;
      A[9] = a.qTokenStride;
      A[10] = a.qHeadStride;
      N.pagedAttention(a.q, a.kPages, a.vPages, a.out, a.pageTable, a.tokenRow, a.tokenPos, a.alibiSlopes);
    },

    quantizedMatmul(q: QuantizedMatmulArgs) {
      A[0] = q.w.scheme === 'q8_0' ? 0 : 1;
      A[1] = q.m;
      A[2] = q.w.rows;
      A[3] = q.w.cols;
      A[4] = q.lda;
      A[5] = q.ldc;
      A[6] = q.accumulate ? 1 : 0;
      N.qmatmul(q.a, q.w.wq, q.w.wd, q.c);
    },

    adamw(a: AdamWArgs) {
      if (!f32(a.param) || !f32(a.grad) || !f32(a.m) || !f32(a.v)) return ref.adamw(a);
      A[0] = a.param.length;
      A[1] = a.lr;
      A[2] = a.beta1;
      A[3] = a.beta2;
      A[4] = a.eps;
      A[5] = a.weightDecay;
      A[6] = a.step;
      A[7] = a.gradScale;
      N.adamw(a.param, a.grad, a.m, a.v);
    },
  };
  return partial;
}

let backend: Backend | undefined;

export { threadsFromEnv };

/** Loads the addon (throws BackendError with the reason when it is missing or broken). */
export function loadNativeBackend(): Backend {
  if (backend !== undefined) return backend;
  const addon = loadAddon();
  addon.setThreads(defaultThreads());
  backend = composeBackend(makePartial(addon));
  return backend;
}
