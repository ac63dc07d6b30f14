/**
 * The raw addon (build/Release/llmts_native.node, built from native/ by node-gyp) and its
 * calling convention: arrays are passed as typed arrays, every scalar is first written into
 * the shared Float64Array `args` at the positions each entry documents (see
 * native/src/addon.c). Only the wrapper in ./index.ts talks to this interface.
 *
 * Every entry point validates its arguments in C before a kernel runs (native/src/check.h):
 * the kind and byte length of each typed array, integer ranges, offsets, strides, leading
 * dimensions and op codes. A violation throws an ArgumentError (code INVALID_ARGUMENT, op
 * "native.<entry>") - the loader registers the class with the addon - never a crash or an
 * out-of-bounds access. docs/native-backend.md describes the pattern for new entry points.
 */
import { ArgumentError, BackendError } from '../../core/errors.ts';
import { envVar, loadNativeAddon, packageFileSource } from '../../core/platform.ts';

type Arr = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface NativeAddon {
  /** Scalar arguments of the next call. */
  readonly args: Float64Array;
  sgemm(a: Float32Array, b: Float32Array, c: Float32Array): void;
  unary(x: Float32Array, y: Float32Array): void;
  unaryGrad(x: Float32Array, y: Float32Array, gy: Float32Array, gx: Float32Array): void;
  binary(a: Float32Array, b: Float32Array, out: Float32Array): void;
  compare(a: Float32Array, b: Float32Array, out: Uint8Array): void;
  where(cond: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  copy(src: Arr, out: Arr): void;
  assign(dst: Arr, src: Arr): void;
  fill(out: Float32Array | Int32Array): void;
  reduce(x: Float32Array, out: Float32Array): void;
  sumSquares(x: Float32Array): number;
  softmax(x: Float32Array, out: Float32Array): void;
  softmaxGrad(y: Float32Array, gy: Float32Array, gx: Float32Array): void;
  layerNorm(
    x: Float32Array,
    w: Float32Array | null,
    b: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
  ): void;
  layerNormGrad(
    x: Float32Array,
    w: Float32Array | null,
    mean: Float32Array,
    rstd: Float32Array,
    gy: Float32Array,
    gx: Float32Array,
    gw: Float32Array | null,
    gb: Float32Array | null,
  ): void;
  rmsNorm(x: Float32Array, w: Float32Array | null, y: Float32Array, rstd: Float32Array): void;
  rmsNormGrad(
    x: Float32Array,
    w: Float32Array | null,
    rstd: Float32Array,
    gy: Float32Array,
    gx: Float32Array,
    gw: Float32Array | null,
  ): void;
  crossEntropy(logits: Float32Array, targets: Int32Array, losses: Float32Array, lse: Float32Array): void;
  crossEntropyGrad(
    logits: Float32Array,
    targets: Int32Array,
    lse: Float32Array,
    gradLoss: Float32Array,
    gx: Float32Array,
  ): void;
  indexSelect(src: Arr, index: Int32Array, out: Arr): void;
  indexAdd(src: Float32Array, index: Int32Array, dst: Float32Array): void;
  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    mask: Float32Array | null,
  ): void;
  attentionGrad(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    out: Float32Array,
    lse: Float32Array,
    mask: Float32Array | null,
    gradOut: Float32Array,
    gradQ: Float32Array,
    gradK: Float32Array,
    gradV: Float32Array,
  ): void;
  pagedAttention(
    q: Float32Array,
    kPages: Float32Array,
    vPages: Float32Array,
    out: Float32Array,
    pageTable: Int32Array,
    tokenRow: Int32Array,
    tokenPos: Int32Array,
    alibiSlopes: Float32Array | null,
  ): void;
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array): void;
  /** The active SIMD path: 'avx512' | 'avx2' | 'scalar' on x86-64, 'neon' | 'scalar' on AArch64. */
  isa(): string;
  /** The best path this CPU supports. */
  bestIsa(): string;
  /** Selects a path no better than bestIsa(); returns the active one. */
  setIsa(name: string): string;
  threads(): number;
  setThreads(n: number): number;
  /** Kernel thread ids of the pool's workers (for idle-CPU tests). */
  workerTids(): number[];
  /** The data address of a typed array modulo 64. */
  addressMod64(a: Arr): number;
  /** Does nothing with two Float32Arrays (checked as every entry checks them): the per-call overhead. */
  noop(a: Float32Array, b: Float32Array): void;
  /** Argument errors are thrown as `new ctor(op, message)` on this JS thread from now on. */
  setErrorClass(ctor: new (op: string, message: string) => Error): void;
  /** args: scheme (0 q8_0, 1 q4_0) m n k lda ldc accumulate */
  qmatmul(a: Float32Array, wq: Uint8Array, wd: Uint16Array, c: Float32Array): void;
  /** -1 asks; 1/0 turns the AVX-512 VNNI quantized path on/off; returns whether it is on. */
  quantVnni(want: number): boolean;
  /** The sum of x, read once over the pool (the benchmarks' read-bandwidth probe). */
  streamRead(x: Float32Array): number;
}

/** build/ beside package.json (node-gyp's output, from the sources or the compiled build alike). */
const ADDON_FILE = 'build/Release/llmts_native.node';

/** Where the addon is (or would be): LLMTS_NATIVE_ADDON (another build, e.g. ASan), else build/Release. */
export function addonPath(): string {
  return envVar('LLMTS_NATIVE_ADDON') || String(packageFileSource(ADDON_FILE));
}

let cached: NativeAddon | undefined;

export function loadAddon(): NativeAddon {
  if (cached !== undefined) return cached;
  try {
    const addon = loadNativeAddon(addonPath()) as NativeAddon;
    // (an addon built before the boundary checks lacks it: it still works, with its old messages,
    // until `npm install` or `npm run build:native` rebuilds it)
    if (typeof addon.setErrorClass === 'function') addon.setErrorClass(ArgumentError);
    cached = addon;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BackendError(
      why.endsWith('not built')
        ? `not built: ${addonPath()} is missing (npm install builds it with node-gyp)`
        : `failed to load ${addonPath()}: ${why}`,
    );
  }
  return cached;
}
