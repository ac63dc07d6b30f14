/** What the HTTP handlers share: the model, the scheduler, the metrics and the server's options. */
import type { ServeMetrics } from './metrics.ts';
import type { ApiError } from './openai/errors.ts';
import type { Scheduler } from './scheduler.ts';
import type { ServedModel } from './served-model.ts';

export interface ServeContext {
  readonly model: ServedModel;
  readonly scheduler: Scheduler;
  readonly metrics: ServeMetrics;
  readonly options: { readonly requestTimeoutMs: number };
  /** Set by a graceful shutdown: new generation requests get 503. */
  draining: boolean;
  /** Requests being generated: a graceful shutdown waits for `done`, then aborts what is left. */
  readonly inflight: Set<{ done: Promise<void>; abort(error: ApiError): void }>;
}
