/**
 * Prometheus metrics (prom-client, text format at GET /metrics), one registry per server:
 * requests by endpoint and status, prompt and generated tokens, queue depth, running batch
 * size, KV pages in use, time to first token, inter-token latency, step time and batch size,
 * preemptions and cancellations (by reason), and the process's own metrics.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CancelReason, Scheduler, SchedulerObserver } from './scheduler.ts';

const LATENCY_BUCKETS = [0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30];

export class ServeMetrics implements SchedulerObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'llmts_requests_total',
    help: 'HTTP requests by endpoint and status code',
    labelNames: ['endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly promptTokens = new Counter({
    name: 'llmts_prompt_tokens_total',
    help: 'Prompt tokens of accepted requests',
    registers: [this.registry],
  });
  readonly generationTokens = new Counter({
    name: 'llmts_generation_tokens_total',
    help: 'Tokens generated',
    registers: [this.registry],
  });
  readonly ttft = new Histogram({
    name: 'llmts_time_to_first_token_seconds',
    help: 'From the request reaching the scheduler to its first generated token',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly itl = new Histogram({
    name: 'llmts_inter_token_latency_seconds',
    help: 'Between two consecutive tokens of one sequence',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly stepSeconds = new Histogram({
    name: 'llmts_step_seconds',
    help: 'One batched forward pass and its sampling',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly stepSequences = new Histogram({
    name: 'llmts_step_sequences',
    help: 'Sequences in one step (the running batch size)',
    buckets: [1, 2, 4, 8, 16, 24, 32, 48, 64, 128],
    registers: [this.registry],
  });
  readonly preemptions = new Counter({
    name: 'llmts_preemptions_total',
    help: 'Sequences preempted (KV pages freed, recomputed later) because the KV pool was full',
    registers: [this.registry],
  });
  readonly cancellations = new Counter({
    name: 'llmts_cancelled_requests_total',
    help: 'Requests cancelled before they finished, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(scheduler: () => Scheduler | null) {
    collectDefaultMetrics({ register: this.registry, prefix: 'llmts_process_' });
    const gauge = (name: string, help: string, value: (s: Scheduler) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const s = scheduler();
          this.set(s === null ? 0 : value(s));
        },
      });
    };
    gauge('llmts_queue_depth', 'Sequences waiting for a batch slot', (s) => s.queued);
    gauge('llmts_running_sequences', 'Sequences in the running batch', (s) => s.active);
    gauge('llmts_kv_pages_used', 'KV-cache pages held by sequences', (s) => s.pages.usedCount);
    gauge('llmts_kv_pages_total', 'KV-cache pages in the pool', (s) => s.pages.numPages);
    gauge(
      'llmts_kv_memory_used_bytes',
      'KV-cache bytes held by sequences',
      (s) => (s.pages.usedCount / s.pages.numPages) * s.model.kvBytes,
    );
  }

  firstToken(seconds: number): void {
    this.ttft.observe(seconds);
  }
  interToken(seconds: number): void {
    this.itl.observe(seconds);
  }
  stepDone(info: { seconds: number; sequences: number }): void {
    this.stepSeconds.observe(info.seconds);
    this.stepSequences.observe(info.sequences);
  }
  generated(tokens: number): void {
    this.generationTokens.inc(tokens);
  }
  preempted(): void {
    this.preemptions.inc();
  }
  cancelled(reason: CancelReason): void {
    this.cancellations.inc({ reason });
  }
}
