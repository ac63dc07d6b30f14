/**
 * The wasm module behind the native addon's interface (NativeAddon), so the native backend's
 * TypeScript wrapper (src/backends/native/index.ts: scalar arguments in `args`, fallbacks to
 * the reference kernels, stride walks) drives the wasm kernels unchanged.
 *
 * Arrays become (pointer, length) pairs. Tensors of the wasm backend already live in its
 * memory; any other typed array (one a caller made with `new Float32Array`) is staged: copied
 * into the heap for the call and, when the kernel writes it, copied back. Arrays that view the
 * same ArrayBuffer are staged together in one block, so aliasing (in-place updates, two views
 * of one buffer) behaves as it does on the native backend.
 */
import { BackendError } from '../../core/errors.ts';
import type { NativeAddon } from '../native/addon.ts';
import type { WasmRuntime } from './runtime.ts';
import type { WasmThreads } from './threads.ts';

type View = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array;
type Entry = (...args: number[]) => number | void;

const ARGS_LEN = 64;

export function wasmAddon(rt: WasmRuntime, threads: WasmThreads): NativeAddon {
  const X = rt.exports;
  const args = new Float64Array(rt.buffer(), X.llmts_args() >>> 0, ARGS_LEN);

  function fail(err: unknown): never {
    X.llmts_pool_recover();
    if (err instanceof BackendError) throw err;
    throw new BackendError(`wasm: a kernel failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  let ErrorClass: (new (op: string, message: string) => Error) | undefined;

  function check(status: number | void, op: string): void {
    if (status === 0) return;
    const message = rt.error();
    throw ErrorClass !== undefined ? new ErrorClass(op, message) : new BackendError(message);
  }

  /** Calls an entry with (pointer, length) for each array (bit i of outs: array i is written), then extras. */
  function invoke(fn: Entry, arrays: readonly (View | null)[], outs: number, extra?: readonly number[]): void {
    let foreign = false;
    for (const a of arrays) if (a !== null && !rt.owns(a)) foreign = true;
    if (foreign) return staged(fn, arrays, outs, extra);
    const params: number[] = [];
    for (const a of arrays) {
      if (a === null) params.push(0, 0);
      else params.push(a.byteOffset, a.length);
    }
    if (extra) params.push(...extra);
    let status: number | void;
    try {
      status = fn(...params);
    } catch (err) {
      fail(err);
    }
    check(status, names.get(fn) ?? 'wasm');
  }

  function staged(fn: Entry, arrays: readonly (View | null)[], outs: number, extra?: readonly number[]): void {
    interface Group {
      lo: number;
      hi: number;
      written: boolean;
      ptr: number;
    }
    const groups = new Map<ArrayBufferLike, Group>();
    arrays.forEach((a, i) => {
      if (a === null || rt.owns(a)) return;
      const g = groups.get(a.buffer);
      const lo = a.byteOffset,
        hi = a.byteOffset + a.byteLength;
      if (g === undefined) groups.set(a.buffer, { lo, hi, written: (outs >> i) & 1 ? true : false, ptr: 0 });
      else {
        g.lo = Math.min(g.lo, lo);
        g.hi = Math.max(g.hi, hi);
        g.written ||= ((outs >> i) & 1) === 1;
      }
    });
    try {
      for (const [buf, g] of groups) {
        g.ptr = X.llmts_malloc(Math.max(1, g.hi - g.lo)) >>> 0;
        if (g.ptr === 0) throw new BackendError(`wasm memory: no room to stage a ${g.hi - g.lo}-byte array`);
        new Uint8Array(rt.buffer(), g.ptr, g.hi - g.lo).set(new Uint8Array(buf, g.lo, g.hi - g.lo));
      }
      const params: number[] = [];
      for (const a of arrays) {
        if (a === null) params.push(0, 0);
        else if (rt.owns(a)) params.push(a.byteOffset, a.length);
        else {
          const g = groups.get(a.buffer)!;
          params.push(g.ptr + a.byteOffset - g.lo, a.length);
        }
      }
      if (extra) params.push(...extra);
      let status: number | void;
      try {
        status = fn(...params);
      } catch (err) {
        fail(err);
      }
      check(status, names.get(fn) ?? 'wasm');
      for (const [buf, g] of groups)
        if (g.written) new Uint8Array(buf, g.lo, g.hi - g.lo).set(new Uint8Array(rt.buffer(), g.ptr, g.hi - g.lo));
    } finally {
      for (const g of groups.values()) if (g.ptr !== 0) X.llmts_free(g.ptr);
    }
  }

  const names = new Map<Entry, string>();
  const k = (name: string): Entry => {
    const fn = X[name];
    if (typeof fn !== 'function') throw new BackendError(`wasm: the module has no entry point ${name}`);
    names.set(fn, name);
    return fn;
  };
  const E = {
    sgemm: k('sgemm'),
    unary: k('unary'),
    unaryGrad: k('unaryGrad'),
    binary: k('binary'),
    compare: k('compare'),
    where: k('where'),
    copy: k('copy'),
    assign: k('assign'),
    fill: k('fill'),
    reduce: k('reduce'),
    sumSquares: k('sumSquares'),
    softmax: k('softmax'),
    softmaxGrad: k('softmaxGrad'),
    layerNorm: k('layerNorm'),
    layerNormGrad: k('layerNormGrad'),
    rmsNorm: k('rmsNorm'),
    rmsNormGrad: k('rmsNormGrad'),
    crossEntropy: k('crossEntropy'),
    crossEntropyGrad: k('crossEntropyGrad'),
    indexSelect: k('indexSelect'),
    indexAdd: k('indexAdd'),
    attention: k('attention'),
    attentionGrad: k('attentionGrad'),
    adamw: k('adamw'),
    pagedAttention: k('pagedAttention'),
    qmatmul: k('qmatmul'),
    streamRead: k('streamRead'),
    noop: k('noop'),
  };

  return {
    args,
    sgemm: (a, b, c) => invoke(E.sgemm, [a, b, c], 0b100),
    unary: (x, y) => invoke(E.unary, [x, y], 0b10),
    unaryGrad: (x, y, gy, gx) => invoke(E.unaryGrad, [x, y, gy, gx], 0b1000),
    binary: (a, b, out) => invoke(E.binary, [a, b, out], 0b100),
    compare: (a, b, out) => invoke(E.compare, [a, b, out], 0b100),
    where: (cond, a, b, out) => invoke(E.where, [cond, a, b, out], 0b1000),
    copy: (src, out) => {
      if (src.BYTES_PER_ELEMENT !== out.BYTES_PER_ELEMENT)
        throw new BackendError('wasm: copy between different element sizes');
      invoke(E.copy, [src, out], 0b10, [src.BYTES_PER_ELEMENT]);
    },
    assign: (dst, src) => {
      if (dst.BYTES_PER_ELEMENT !== src.BYTES_PER_ELEMENT)
        throw new BackendError('wasm: assign between different element sizes');
      invoke(E.assign, [dst, src], 0b01, [dst.BYTES_PER_ELEMENT]);
    },
    fill: (out) => invoke(E.fill, [out], 0b1, [out instanceof Int32Array ? 1 : 0]),
    reduce: (x, out) => invoke(E.reduce, [x, out], 0b10),
    sumSquares: (x) => {
      invoke(E.sumSquares, [x], 0);
      return args[ARGS_LEN - 1]!;
    },
    softmax: (x, out) => invoke(E.softmax, [x, out], 0b10),
    softmaxGrad: (y, gy, gx) => invoke(E.softmaxGrad, [y, gy, gx], 0b100),
    layerNorm: (x, w, b, y, mean, rstd) => invoke(E.layerNorm, [x, w, b, y, mean, rstd], 0b111000),
    layerNormGrad: (x, w, mean, rstd, gy, gx, gw, gb) =>
      invoke(E.layerNormGrad, [x, w, mean, rstd, gy, gx, gw, gb], 0b11100000),
    rmsNorm: (x, w, y, rstd) => invoke(E.rmsNorm, [x, w, y, rstd], 0b1100),
    rmsNormGrad: (x, w, rstd, gy, gx, gw) => invoke(E.rmsNormGrad, [x, w, rstd, gy, gx, gw], 0b110000),
    crossEntropy: (logits, targets, losses, lse) => invoke(E.crossEntropy, [logits, targets, losses, lse], 0b1100),
    crossEntropyGrad: (logits, targets, lse, gradLoss, gx) =>
      invoke(E.crossEntropyGrad, [logits, targets, lse, gradLoss, gx], 0b10000),
    indexSelect: (src, index, out) => {
      if (src.BYTES_PER_ELEMENT !== out.BYTES_PER_ELEMENT)
        throw new BackendError('wasm: indexSelect element sizes differ');
      invoke(E.indexSelect, [src, index, out], 0b100, [src.BYTES_PER_ELEMENT]);
    },
    indexAdd: (src, index, dst) => invoke(E.indexAdd, [src, index, dst], 0b100),
    attention: (q, kk, v, out, lse, mask) => invoke(E.attention, [q, kk, v, out, lse, mask], 0b11000),
    attentionGrad: (q, kk, v, out, lse, mask, gradOut, gradQ, gradK, gradV) =>
      invoke(E.attentionGrad, [q, kk, v, out, lse, mask, gradOut, gradQ, gradK, gradV], 0b1110000000),
    adamw: (p, g, m, v) => invoke(E.adamw, [p, g, m, v], 0b1101),
    pagedAttention: (q, kPages, vPages, out, pageTable, tokenRow, tokenPos, alibi) => {
      const f32 = [q, kPages, vPages, out, alibi].every((a) => a === null || a instanceof Float32Array);
      const i32 = [pageTable, tokenRow, tokenPos].every((a) => a instanceof Int32Array);
      if (!f32 || !i32) throw new BackendError('wasm: pagedAttention needs float32 arrays and int32 page tables');
      invoke(E.pagedAttention, [q, kPages, vPages, out, pageTable, tokenRow, tokenPos, alibi], 0b1000);
    },
    qmatmul: (a, wq, wd, c) => {
      if (!(a instanceof Float32Array) || !(c instanceof Float32Array) || !(wq instanceof Uint8Array))
        throw new BackendError('wasm: qmatmul needs float32 activations and output and uint8 quants');
      invoke(E.qmatmul, [a, wq, wd as unknown as View, c], 0b1000);
    },
    quantVnni: () => false,
    streamRead: (x) => {
      invoke(E.streamRead, [x], 0);
      return args[ARGS_LEN - 1]!;
    },
    isa: () => 'wasm',
    bestIsa: () => 'wasm',
    setIsa: () => 'wasm',
    threads: () => threads.count,
    setThreads: (n) => threads.set(n),
    workerTids: () => [],
    addressMod64: (a) => (rt.owns(a) ? a.byteOffset & 63 : -1),
    noop: (a, b) => invoke(E.noop, [a, b], 0),
    setErrorClass: (ctor) => {
      ErrorClass = ctor;
    },
  };
}
