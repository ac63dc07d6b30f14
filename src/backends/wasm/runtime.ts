/**
 * One instance of the wasm kernels (wasm/llmts.wasm, built from native/src by
 * scripts/build-wasm.mjs) and its memory.
 *
 * Memory: one shared WasmMemory of up to 4 GiB (wasm32's limit), created here and
 * imported by the module (and by every worker thread's instance). It is shared even with one
 * thread because a shared memory grows in place: the typed arrays llmts hands out as tensor
 * storage stay valid when the heap grows, where growing an unshared memory would detach every
 * one of them. Arrays come from the C heap (native/src/wasm/libc.c): 64-byte aligned, zeroed,
 * returned by `free` (the engine's pool does it when it drops an array) or, for arrays the
 * program simply lets go of, by a FinalizationRegistry once the garbage collector has
 * collected them. A request the heap cannot satisfy is a BackendError naming the tensor's
 * size and what is in use.
 */
import type { DataArray, DType } from '../../core/dtype.ts';
import { itemSize } from '../../core/dtype.ts';
import { BackendError } from '../../core/errors.ts';
import type { WasmImports, WasmInstance, WasmMemory, WasmModule } from './api.ts';
import { WA } from './api.ts';

/** The module's exports (native/src/wasm/{libc,pool,entry}.c, stack.S). Pointers are byte offsets. */
export interface WasmExports {
  llmts_malloc(bytes: number): number;
  llmts_calloc(bytes: number): number;
  llmts_free(ptr: number): void;
  llmts_heap_used(): number;
  llmts_heap_top(): number;
  llmts_worker_main(id: number): void;
  llmts_worker_abandon(id: number): void;
  llmts_pool_recover(): void;
  llmts_set_threads(n: number): number;
  llmts_threads(): number;
  llmts_max_threads(): number;
  llmts_args(): number;
  llmts_error(): number;
  llmts_err_len(): number;
  llmts_set_stack(top: number): void;
  /** Every kernel entry: (pointer, length) per array, then any extra integers; returns 0 or 1 (see llmts_error). */
  [kernel: string]: (...args: number[]) => number | void;
}

/** A wasm32 memory addresses at most 2^32 bytes = 65536 pages of 64 KiB. */
export const MAX_PAGES = 65536;
/** The module's declared minimum (--initial-memory in scripts/build-wasm.mjs). */
const INITIAL_PAGES = 32;
const PAGE = 65536;

/**
 * A shared memory of up to 4 GiB; where the host cannot reserve that much address space,
 * smaller maxima are tried (the module accepts any maximum up to its own).
 */
export function createMemory(): { memory: WasmMemory; maxPages: number } {
  let last: unknown;
  for (const maximum of [MAX_PAGES, 32768, 16384, 4096]) {
    try {
      return { memory: new WA.Memory({ initial: INITIAL_PAGES, maximum, shared: true }), maxPages: maximum };
    } catch (err) {
      last = err;
    }
  }
  throw new BackendError(`wasm: cannot create a shared WasmMemory (${(last as Error).message})`);
}

/** What the module imports besides its memory: the host's Math (per-element slow paths) and a clock. */
export function hostImports(memory: WasmMemory): WasmImports {
  return {
    env: {
      memory,
      exp: Math.exp,
      log: Math.log,
      pow: Math.pow,
      sin: Math.sin,
      cos: Math.cos,
      now: () => performance.now(),
      abort: () => {
        throw new BackendError('wasm: a kernel aborted (the heap could not hold its scratch memory)');
      },
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

type View = Float32Array | Float64Array | Int32Array | Uint8Array;

export class WasmRuntime {
  readonly exports: WasmExports;
  /** Every ArrayBuffer object memory.buffer has returned (a new one after each growth). */
  private readonly buffers = new Set<ArrayBufferLike>();
  private current: ArrayBufferLike;
  private readonly registry: FinalizationRegistry<number>;
  private readonly errLen: number;

  constructor(
    readonly module: WasmModule,
    readonly memory: WasmMemory,
    instance: WasmInstance,
    private readonly maxPages: number,
  ) {
    this.exports = instance.exports as unknown as WasmExports;
    this.current = memory.buffer;
    this.buffers.add(this.current);
    const free = this.exports.llmts_free;
    this.registry = new FinalizationRegistry<number>((ptr) => free(ptr));
    this.errLen = this.exports.llmts_err_len();
  }

  /** The memory's current buffer (views made on it cover everything allocated so far). */
  buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.buffers.add(b);
    }
    return b;
  }

  /** Whether a typed array views this module's memory (so its byteOffset is a pointer). */
  owns(a: ArrayBufferView): boolean {
    if (this.buffers.has(a.buffer)) return true;
    return a.buffer === this.buffer();
  }

  /** A zeroed array in the linear memory, 64-byte aligned. */
  alloc(dtype: DType, length: number): DataArray {
    const bytes = length * itemSize(dtype);
    const ptr = bytes < 2 ** 32 ? this.exports.llmts_calloc(bytes) >>> 0 : 0;
    if (ptr === 0) {
      throw new BackendError(
        `wasm memory: cannot allocate ${mib(bytes)} for a ${dtype} tensor of ${length} elements ` +
          `(${mib(this.heapUsed())} in use, heap top at ${mib(this.exports.llmts_heap_top())}; ` +
          `a wasm32 memory holds at most ${mib(this.maxBytes())})`,
      );
    }
    const view = this.view(dtype, ptr, length);
    this.registry.register(view, ptr, view);
    return view;
  }

  /** Returns an array from alloc to the heap now (anything else is ignored). */
  free(array: DataArray): void {
    if (this.registry.unregister(array)) this.exports.llmts_free(array.byteOffset);
  }

  view(dtype: DType, ptr: number, length: number): View {
    const buf = this.buffer();
    switch (dtype) {
      case 'float32':
        return new Float32Array(buf, ptr, length);
      case 'float64':
        return new Float64Array(buf, ptr, length);
      case 'int32':
        return new Int32Array(buf, ptr, length);
      default:
        return new Uint8Array(buf, ptr, length);
    }
  }

  /** Bytes in allocated heap blocks. */
  heapUsed(): number {
    return this.exports.llmts_heap_used();
  }

  /** The memory's current size in bytes. */
  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** The largest size the memory may grow to. */
  maxBytes(): number {
    return this.maxPages * PAGE;
  }

  /** The message of the last failed entry point. */
  error(): string {
    const ptr = this.exports.llmts_error() >>> 0;
    const bytes = new Uint8Array(this.buffer(), ptr, this.errLen);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end));
  }
}
