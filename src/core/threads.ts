/**
 * How many threads llmts uses, chosen in one place: LLMTS_THREADS (as OMP_NUM_THREADS is to
 * OpenMP; the CLI's global --threads sets it), else one per core. The native kernels' pool, the
 * data pipeline's workers and anything else that starts threads take their default from here.
 */
import { availableParallelism } from 'node:os';
import { BackendError } from './errors.ts';

/** LLMTS_THREADS, or undefined when unset; a value that is not an integer in [1, 1024] is an error. */
export function threadsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env['LLMTS_THREADS'];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new BackendError(`LLMTS_THREADS must be an integer from 1 to 1024, got "${raw}"`);
  return n;
}

/** LLMTS_THREADS, else the number of cores. */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  return threadsFromEnv(env) ?? availableParallelism();
}
