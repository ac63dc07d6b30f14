/**
 * Loader for the native (C, N-API) backend built by node-gyp at `npm install`.
 * (Being written: until the addon exists, loading reports that it is not built.)
 */
import type { Backend } from '../backend.ts';
import { BackendError } from '../../errors.ts';

export function loadNativeBackend(): Backend {
  throw new BackendError('the native backend is not built (build/Release/llmts_native.node is missing)');
}
