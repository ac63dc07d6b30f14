/**
 * Backend selection. Each tensor carries its backend (like a device); new tensors use the
 * default backend, chosen once: LLMTS_BACKEND=reference|native if set, otherwise native
 * when its addon is built, else reference with one line on stderr saying so.
 */
import type { Backend } from './backend.ts';
import { BackendError } from '../core/errors.ts';
import { referenceBackend } from './reference/index.ts';
import { loadNativeBackend, threadsFromEnv } from './native/index.ts';

export type BackendName = 'reference' | 'native';

let nativeBackend: Backend | Error | undefined;
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

export function getBackend(name: BackendName): Backend {
  if (name === 'reference') return referenceBackend;
  const native = tryNativeBackend();
  if (native instanceof Error) throw new BackendError(`native backend unavailable: ${native.message}`);
  return native;
}

export function availableBackends(): Backend[] {
  const native = tryNativeBackend();
  return native instanceof Error ? [referenceBackend] : [referenceBackend, native];
}

export function getDefaultBackend(): Backend {
  if (defaultBackend !== undefined) return defaultBackend;
  threadsFromEnv(); // a bad LLMTS_THREADS is an error, not a reason to fall back to the reference backend
  const requested = process.env['LLMTS_BACKEND'];
  if (requested !== undefined && requested !== '') {
    if (requested !== 'reference' && requested !== 'native') {
      throw new BackendError(`LLMTS_BACKEND must be "reference" or "native", got "${requested}"`);
    }
    defaultBackend = getBackend(requested);
    return defaultBackend;
  }
  const native = tryNativeBackend();
  if (native instanceof Error) {
    process.stderr.write(
      `llmts: native backend unavailable (${native.message}); using the reference TypeScript backend\n`,
    );
    defaultBackend = referenceBackend;
  } else {
    defaultBackend = native;
  }
  return defaultBackend;
}

export function setDefaultBackend(backend: Backend | BackendName): void {
  defaultBackend = typeof backend === 'string' ? getBackend(backend) : backend;
}
