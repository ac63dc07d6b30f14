/**
 * Backend selection. Each tensor carries its backend (like a device); new tensors use the
 * default backend, chosen once: LLMTS_BACKEND=reference|native|wasm if set, otherwise native
 * when its addon is built, else reference with one line on stderr saying so.
 */
import type { Backend } from './backend.ts';
import { BackendError } from '../core/errors.ts';
import { envVar, warnLine } from '../core/platform.ts';
import { referenceBackend } from './reference/index.ts';
import { loadNativeBackend, threadsFromEnv } from './native/index.ts';
import { loadWasmBackend } from './wasm/index.ts';

export type BackendName = 'reference' | 'native' | 'wasm';

const NAMES: readonly BackendName[] = ['reference', 'native', 'wasm'];

let nativeBackend: Backend | Error | undefined;
let wasmBackend: Backend | Error | undefined;
let defaultBackend: Backend | undefined;

/** The native backend, or the reason it cannot be loaded. */
export function tryNativeBackend(): Backend | Error {
  if (nativeBackend === undefined) {
    try {
      nativeBackend = loadNativeBackend();
    } catch (err) {
      nativeBackend = err instanceof Error ? err : new BackendError(String(err));
    }
  }
  return nativeBackend;
}

/** The wasm backend, or the reason it cannot be loaded. */
export function tryWasmBackend(): Backend | Error {
  if (wasmBackend === undefined) {
    try {
      wasmBackend = loadWasmBackend();
    } catch (err) {
      wasmBackend = err instanceof Error ? err : new BackendError(String(err));
    }
  }
  return wasmBackend;
}

export function getBackend(name: BackendName): Backend {
  if (name === 'reference') return referenceBackend;
  const b = name === 'native' ? tryNativeBackend() : tryWasmBackend();
  if (b instanceof Error) throw new BackendError(`${name} backend unavailable: ${b.message}`);
  return b;
}

/**
 * The backends tests and benchmarks compare: reference, native when built, and wasm when this
 * process selected it (LLMTS_BACKEND=wasm; it is never started just to be listed).
 */
export function availableBackends(): Backend[] {
  const out: Backend[] = [referenceBackend];
  const native = tryNativeBackend();
  if (!(native instanceof Error)) out.push(native);
  if (envVar('LLMTS_BACKEND') === 'wasm') out.push(getBackend('wasm'));
  return out;
}

/** The backend new tensors use: LLMTS_BACKEND if set, else the native addon when it loads, else the TypeScript reference (chosen once, on first use). */
export function getDefaultBackend(): Backend {
  if (defaultBackend !== undefined) return defaultBackend;
  threadsFromEnv(); // a bad LLMTS_THREADS is an error, not a reason to fall back to the reference backend
  const requested = envVar('LLMTS_BACKEND');
  if (requested !== undefined && requested !== '') {
    if (!(NAMES as readonly string[]).includes(requested)) {
      throw new BackendError(`LLMTS_BACKEND must be "reference", "native" or "wasm", got "${requested}"`);
    }
    defaultBackend = getBackend(requested as BackendName);
    return defaultBackend;
  }
  const native = tryNativeBackend();
  if (native instanceof Error) {
    warnLine(`llmts: native backend unavailable (${native.message}); using the reference TypeScript backend`);
    defaultBackend = referenceBackend;
  } else {
    defaultBackend = native;
  }
  return defaultBackend;
}

/** Makes `backend` (an instance or a name: reference, native, wasm) the one new tensors use. */
export function setDefaultBackend(backend: Backend | BackendName): void {
  defaultBackend = typeof backend === 'string' ? getBackend(backend) : backend;
}
