/**
 * The backend interface: the kernels every op is built from.
 *
 * Ops (src/engine/ops) validate their inputs, choose output shapes and dtypes, allocate
 * outputs and then call one of these kernels; backward rules are written in terms of ops,
 * so a new backend gets gradients for free. A kernel may assume valid input.
 *
 * Conventions
 * - "Dense" arrays start at the tensor's first element and hold it in row-major order
 *   (ops pass `storage.subarray(offset)` when a tensor does not start at 0). A WebAssembly
 *   backend can allocate these arrays inside its linear memory (see `alloc`) and turn
 *   `byteOffset` into a pointer, so ops and models never change for a new backend.
 * - Strided arguments (`StridedArray`) describe a view: element (i0, i1, ...) lives at
 *   data[offset + i0*strides[0] + i1*strides[1] + ...]; a stride of 0 broadcasts.
 * - Outputs are written completely unless a kernel says it accumulates.
 * - The reference backend implements every kernel; other backends implement a subset
 *   (`Partial<Kernels>`) and `supports(kernel, dtype)` says which; the rest fall back to
 *   the reference kernels (see src/backends/compose.ts).
 */
import type { DataArray, DType, FloatArray } from '../core/dtype.ts';
import type { QuantizedMatmulArgs } from './quant.ts';

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'sigmoid'
  | 'relu'
  | 'gelu' // exact: 0.5 x (1 + erf(x / sqrt 2))
  | 'gelu_tanh' // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  | 'silu'
  | 'abs'
  | 'sin'
  | 'cos'
  | 'square'
  | 'reciprocal'
  | 'pow' // x ** param
  | 'scale' // x * param
  | 'add_scalar' // x + param
  | 'sign'
  | 'erf';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ReduceOp = 'sum' | 'max' | 'min' | 'prod';
export type ArgReduceOp = 'argmax' | 'argmin';

export interface StridedArray<A extends DataArray = DataArray> {
  readonly data: A;
  readonly offset: number;
  /** Strides in elements, one per output dimension (0 where broadcast). */
  readonly strides: readonly number[];
}

/**
 * C[b] = op(A[b]) @ op(B[b]) (+ C[b] when accumulate), for b < batch.
 * A[b] is m x k (stored k x m when transA), B[b] is k x n (stored n x k when transB).
 * lda/ldb/ldc are the row strides of the stored matrices (>= their stored width),
 * strideA/B/C the batch strides in elements (0 broadcasts one matrix to every batch).
 */
export interface MatmulArgs<A extends FloatArray = FloatArray> {
  readonly a: A;
  readonly b: A;
  readonly c: A;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly lda: number;
  readonly ldb: number;
  readonly ldc: number;
  readonly strideA: number;
  readonly strideB: number;
  readonly strideC: number;
  readonly accumulate: boolean;
}

/** Layout of one attention operand [B, H, T, D] with D contiguous: element (b,h,t,d) at b*sB + h*sH + t*sT + d. */
export interface AttentionLayout {
  readonly sB: number;
  readonly sH: number;
  readonly sT: number;
}

/**
 * Scaled dot-product attention, optionally causal and/or masked, with grouped-query heads:
 * query head h reads key/value head floor(h / (H / Hkv)).
 * out[b,h,t] = softmax_s(scale * q[b,h,t]·k[b,hk,s] + mask[b,h,t,s]) · v[b,hk,s]
 * Causal masking hides s > t + (S - T) (queries are the last T of S positions, as with a KV cache).
 * lse[b,h,t] (dense [B,H,T]) receives the log-sum-exp of the masked scaled scores, which the
 * backward pass uses to recompute the probabilities without storing them. A row whose keys
 * are all masked gets output 0 and lse -Infinity.
 */
export interface AttentionArgs<A extends FloatArray = FloatArray> {
  readonly q: A;
  readonly k: A;
  readonly v: A;
  readonly out: A;
  readonly lse: A;
  readonly qLayout: AttentionLayout;
  readonly kLayout: AttentionLayout;
  readonly vLayout: AttentionLayout;
  readonly outLayout: AttentionLayout;
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly tq: number;
  readonly tk: number;
  readonly headDim: number;
  readonly scale: number;
  readonly causal: boolean;
  /** Additive float mask broadcast to [B, H, T, S] through its strides (4 strides), or null. */
  readonly mask: StridedArray<A> | null;
}

/**
 * Attention over a paged KV cache (serving: vLLM's PagedAttention). N query tokens from any mix
 * of sequences; token n belongs to page-table row tokenRow[n], sits at position tokenPos[n] and
 * attends to that sequence's keys at positions 0..tokenPos[n] (causal within its sequence; they
 * must already be written). Key s of row r is slot s % pageSize of page pageTable[r][s / pageSize].
 * Query head h reads key/value head floor(h / (H / Hkv)).
 *   out[n,h] = softmax_s(scale * q[n,h]·k[r,hk,s] - alibi[h]·(pos - s)) · v[r,hk,s]
 * Inference only (no lse, no backward). A native kernel must make out[n] depend only on token
 * n's query, its sequence's cache and its position (batch invariance: see docs/serve.md).
 */
export interface PagedAttentionArgs<A extends FloatArray = FloatArray> {
  /** Query of token n, head h at n * qTokenStride + h * qHeadStride, headDim contiguous. */
  readonly q: A;
  readonly qTokenStride: number;
  readonly qHeadStride: number;
  /** Dense [N, H, D], written. */
  readonly out: A;
  /** Dense [numPages, pageSize, Hkv, D]. */
  readonly kPages: A;
  readonly vPages: A;
  /** Dense [rows, pagesPerRow] page ids (only the pages a token reads need to be valid). */
  readonly pageTable: Int32Array;
  readonly pagesPerRow: number;
  readonly rows: number;
  readonly tokenRow: Int32Array;
  readonly tokenPos: Int32Array;
  readonly tokens: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly pageSize: number;
  readonly numPages: number;
  readonly scale: number;
  /** ALiBi slopes [H], or null. */
  readonly alibiSlopes: Float32Array | null;
}

export interface AttentionGradArgs<A extends FloatArray = FloatArray> extends AttentionArgs<A> {
  readonly gradOut: A; // layout outLayout
  readonly gradQ: A; // layout gradQLayout, written
  readonly gradK: A; // layout gradKLayout, written (summed over the query heads sharing a kv head)
  readonly gradV: A; // layout gradVLayout, written
  readonly gradQLayout: AttentionLayout;
  readonly gradKLayout: AttentionLayout;
  readonly gradVLayout: AttentionLayout;
}

export interface AdamWArgs {
  readonly param: Float32Array | Float64Array;
  readonly grad: Float32Array | Float64Array;
  readonly m: Float32Array | Float64Array;
  readonly v: Float32Array | Float64Array;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** The step number after this update (1 for the first), for bias correction. */
  readonly step: number;
  /** Multiplies every gradient before use (1 / accumulation steps, clipping factor). */
  readonly gradScale: number;
}

export interface Kernels {
  /** out[0..n) = value */
  fill(out: DataArray, n: number, value: number): void;
  /** Materializes a strided view of `shape` into dense `out` (converting dtype if they differ). */
  copyStrided(src: StridedArray, shape: readonly number[], out: DataArray): void;
  /** dst[i...] = src[i...] for every index of `shape`, both strided (slice assignment, cat, KV-cache appends). */
  assign(dst: StridedArray, src: StridedArray, shape: readonly number[]): void;

  /** out[i] = f(x[i]) over n dense elements; `param` is the exponent of pow, the factor of scale, ... */
  unary(op: UnaryOp, x: FloatArray, out: FloatArray, n: number, param: number): void;
  /** gx[i] = gy[i] * f'(x[i]) (y = f(x) is given too, for ops whose derivative is cheaper from y). */
  unaryGrad(op: UnaryOp, x: FloatArray, y: FloatArray, gy: FloatArray, gx: FloatArray, n: number, param: number): void;
  /** out (dense, `shape`) = a op b with broadcasting through the strides. */
  binary(op: BinaryOp, a: StridedArray, b: StridedArray, shape: readonly number[], out: DataArray): void;
  /** out (dense bool) = a cmp b. */
  compare(op: CompareOp, a: StridedArray, b: StridedArray, shape: readonly number[], out: Uint8Array): void;
  /** out (dense) = cond ? a : b. */
  where(
    cond: StridedArray<Uint8Array>,
    a: StridedArray,
    b: StridedArray,
    shape: readonly number[],
    out: DataArray,
  ): void;

  /** x dense viewed as [outer, r, inner]; out dense [outer, inner] = reduce over r. */
  reduce(op: ReduceOp, x: DataArray, outer: number, r: number, inner: number, out: DataArray): void;
  /** Same layout; out receives the index along r of the first extreme value. */
  argReduce(op: ArgReduceOp, x: DataArray, outer: number, r: number, inner: number, out: Int32Array): void;
  /** Sum of squares of n dense elements, accumulated in float64. */
  sumSquares(x: FloatArray, n: number): number;

  matmul(args: MatmulArgs): void;

  /** Row-wise (log-)softmax of a dense [rows, cols] matrix. */
  softmax(x: FloatArray, rows: number, cols: number, out: FloatArray, log: boolean): void;
  /** gx from y = (log)softmax(x) and gy. */
  softmaxGrad(y: FloatArray, gy: FloatArray, rows: number, cols: number, gx: FloatArray, log: boolean): void;

  /** y = (x - mean) * rstd * w + b per row; writes mean[rows], rstd[rows]. w/b may be null. */
  layerNorm(
    x: FloatArray,
    w: FloatArray | null,
    b: FloatArray | null,
    rows: number,
    cols: number,
    eps: number,
    y: FloatArray,
    mean: FloatArray,
    rstd: FloatArray,
  ): void;
  /** Writes gx; ADDS into gw, gb when given (so several rows blocks can share them). */
  layerNormGrad(
    x: FloatArray,
    w: FloatArray | null,
    mean: FloatArray,
    rstd: FloatArray,
    gy: FloatArray,
    rows: number,
    cols: number,
    gx: FloatArray,
    gw: FloatArray | null,
    gb: FloatArray | null,
  ): void;
  /** y = x * rstd * w per row, rstd = 1 / sqrt(mean(x^2) + eps). */
  rmsNorm(
    x: FloatArray,
    w: FloatArray | null,
    rows: number,
    cols: number,
    eps: number,
    y: FloatArray,
    rstd: FloatArray,
  ): void;
  /** Writes gx; ADDS into gw when given. */
  rmsNormGrad(
    x: FloatArray,
    w: FloatArray | null,
    rstd: FloatArray,
    gy: FloatArray,
    rows: number,
    cols: number,
    gx: FloatArray,
    gw: FloatArray | null,
  ): void;

  /**
   * Per-row cross-entropy of logits [rows, classes] against int targets, with label smoothing
   * (PyTorch semantics: (1-s)·nll + s·mean over classes of -logp). Rows whose target equals
   * ignoreIndex get loss 0. Writes losses[rows] and lse[rows] (log-sum-exp, kept for backward).
   */
  crossEntropy(
    logits: FloatArray,
    targets: Int32Array,
    rows: number,
    classes: number,
    ignoreIndex: number,
    smoothing: number,
    losses: FloatArray,
    lse: FloatArray,
  ): void;
  /** gx[r] = gradLoss[r] * d loss[r] / d logits[r] (0 for ignored rows). */
  crossEntropyGrad(
    logits: FloatArray,
    targets: Int32Array,
    lse: FloatArray,
    gradLoss: FloatArray,
    rows: number,
    classes: number,
    ignoreIndex: number,
    smoothing: number,
    gx: FloatArray,
  ): void;

  /**
   * out[o, i, :] = src[o, index[i], :] with src dense [outer, srcDim, inner], index[n], out [outer, n, inner].
   * (Embedding lookup is outer = 1.) Indices are already validated.
   */
  indexSelect(src: DataArray, outer: number, srcDim: number, inner: number, index: Int32Array, out: DataArray): void;
  /** The adjoint: dst[o, index[i], :] += src[o, i, :] (dst is not cleared). */
  indexAdd(
    src: FloatArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    dstDim: number,
    dst: FloatArray,
  ): void;
  /** torch.gather on the middle axis: out[o, j, i] = src[o, index[o, j, i], i]; src [outer, srcDim, inner], index/out [outer, n, inner]. */
  gather(
    src: DataArray,
    outer: number,
    srcDim: number,
    inner: number,
    index: Int32Array,
    n: number,
    out: DataArray,
  ): void;
  /** The adjoint of gather: dst[o, index[o, j, i], i] += src[o, j, i]. */
  scatterAdd(
    src: FloatArray,
    outer: number,
    n: number,
    inner: number,
    index: Int32Array,
    dstDim: number,
    dst: FloatArray,
  ): void;

  attention(args: AttentionArgs): void;
  attentionGrad(args: AttentionGradArgs): void;
  pagedAttention(args: PagedAttentionArgs): void;

  /** Weight-only quantized matmul c (+)= a · dequant(W)ᵀ (q8_0 / q4_0 blocks; see ./quant.ts, docs/quantization.md). */
  quantizedMatmul(args: QuantizedMatmulArgs): void;

  /** One AdamW step over dense arrays of equal length (decoupled weight decay: p -= lr*wd*p). */
  adamw(args: AdamWArgs): void;
}

export type KernelName = keyof Kernels;

export interface Backend extends Kernels {
  readonly name: string;
  /** Allocates a zero-filled array for this backend's kernels (WebAssembly: inside its memory). */
  alloc(dtype: DType, length: number): DataArray;
  /**
   * Returns an array from alloc to the backend at once (the caller guarantees nothing views it
   * any more). Backends whose arrays live in their own memory (WebAssembly) have it; for the
   * others the garbage collector reclaims arrays.
   */
  free?(array: DataArray): void;
  /** Whether this backend runs `kernel` natively for `dtype` (false means it delegates to the reference). */
  supports(kernel: KernelName, dtype: DType): boolean;
  /** Threads its kernels may use (1 for the reference). */
  readonly threads: number;
  setThreads?(n: number): void;
}
