/**
 * The wasm backend: the native backend's C kernels compiled to WebAssembly SIMD
 * (scripts/build-wasm.mjs -> wasm/llmts.wasm), with its arrays in the module's linear memory
 * and its threads on worker threads; composed over the reference backend like the native one
 * (float64, int32 arithmetic, gather/scatter run on the reference kernels).
 *
 *   Node:    getBackend('wasm') or LLMTS_BACKEND=wasm (the module is read and compiled at once)
 *   a page:  const wasm = await initWasmBackend(); setDefaultBackend(wasm)
 *
 * See docs/wasm-backend.md.
 */
import type { Backend } from '../backend.ts';
import { composeBackend } from '../compose.ts';
import { ArgumentError, BackendError } from '../../core/errors.ts';
import type { FileSource } from '../../core/platform.ts';
import { packageFileSource, readPackageFile, readSource } from '../../core/platform.ts';
import { defaultThreads } from '../../core/threads.ts';
import { addonKernels } from '../native/index.ts';
import { wasmAddon } from './addon.ts';
import type { WasmInstance, WasmModule } from './api.ts';
import { isWasmModule, WA } from './api.ts';
import { createMemory, hostImports, WasmRuntime } from './runtime.ts';
import { WasmThreads } from './threads.ts';

export { WasmRuntime } from './runtime.ts';

/** The module's place in the package (the browser build copies it beside the bundle). */
export const WASM_FILE = 'wasm/llmts.wasm';

export interface WasmBackendOptions {
  /** The module: compiled, its bytes, or where to read them (default: the package's wasm/llmts.wasm). */
  module?: WasmModule | FileSource;
  /** Threads (default LLMTS_THREADS, else every core; 1 where the host cannot share memory with workers). */
  threads?: number;
}

interface Loaded {
  backend: Backend;
  runtime: WasmRuntime;
  threads: WasmThreads;
}

let loaded: Loaded | undefined;
const byBackend = new WeakMap<Backend, Loaded>();

function instantiate(module: WasmModule, threadCount: number | undefined): Loaded {
  const { memory, maxPages } = createMemory();
  let instance: WasmInstance;
  try {
    instance = new WA.Instance(module, hostImports(memory));
  } catch (err) {
    throw new BackendError(`wasm: cannot instantiate the module (${(err as Error).message})`);
  }
  const runtime = new WasmRuntime(module, memory, instance, maxPages);
  const threads = new WasmThreads(runtime);
  threads.set(threadCount ?? defaultThreads());
  const addon = wasmAddon(runtime, threads);
  addon.setErrorClass(ArgumentError); // as the native addon: a bad call is an ArgumentError
  const backend = composeBackend(
    addonKernels(addon, {
      name: 'wasm',
      alloc: (dtype, length) => runtime.alloc(dtype, length),
      free: (array) => runtime.free(array),
    }),
  );
  const l = { backend, runtime, threads };
  byBackend.set(backend, l);
  return l;
}

function compile(bytes: Uint8Array): WasmModule {
  try {
    return new WA.Module(bytes);
  } catch (err) {
    throw new BackendError(`wasm: cannot compile the module (${(err as Error).message})`);
  }
}

/**
 * The process's wasm backend, loaded synchronously from the package on first use (Node; in a
 * page call initWasmBackend first). Throws BackendError when the module is not built.
 */
export function loadWasmBackend(): Backend {
  if (loaded !== undefined) return loaded.backend;
  let bytes: Uint8Array;
  try {
    bytes = readPackageFile(WASM_FILE);
  } catch (err) {
    throw new BackendError(
      `not built: ${(err as Error).message} (npm install builds it when clang and lld are installed; npm run build:wasm)`,
    );
  }
  loaded = instantiate(compile(bytes), undefined);
  return loaded.backend;
}

/**
 * Loads the wasm backend asynchronously (the way a page must: fetch and compile off the main
 * thread); the first call's backend becomes the one loadWasmBackend() returns.
 */
export async function initWasmBackend(options: WasmBackendOptions = {}): Promise<Backend> {
  if (loaded !== undefined && options.module === undefined) {
    if (options.threads !== undefined) loaded.threads.set(options.threads);
    return loaded.backend;
  }
  const src = options.module ?? packageFileSource(WASM_FILE);
  let module: WasmModule;
  if (isWasmModule(src)) module = src;
  else {
    const bytes = await readSource(src);
    try {
      module = await WA.compile(bytes);
    } catch (err) {
      throw new BackendError(`wasm: cannot compile the module (${(err as Error).message})`);
    }
  }
  const l = instantiate(module, options.threads);
  loaded ??= l;
  return l.backend;
}

/** A wasm backend's runtime (memory, heap figures) and threads, for tests and diagnostics. */
export function wasmInternals(backend: Backend): { runtime: WasmRuntime; threads: WasmThreads } {
  const l = byBackend.get(backend);
  if (l === undefined) throw new BackendError(`${backend.name} is not a wasm backend`);
  return { runtime: l.runtime, threads: l.threads };
}

/** The wasm backend if it is loaded, else undefined (never loads it). */
export function loadedWasmBackend(): Backend | undefined {
  return loaded?.backend;
}
