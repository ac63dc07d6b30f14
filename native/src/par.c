/* 1-D ranges over the pool (par.h); shared by the native pool (pool.c) and the wasm pool. */
#include "par.h"

typedef struct {
  llmts_range_fn fn;
  void *ctx;
  int64_t n, chunk;
} RangeJob;

static void range_task(void *ctx, long t, int tid) {
  const RangeJob *j = ctx;
  int64_t lo = (int64_t)t * j->chunk;
  int64_t hi = lo + j->chunk < j->n ? lo + j->chunk : j->n;
  if (lo < hi) j->fn(j->ctx, lo, hi, tid);
}

void llmts_par_range(int64_t n, int64_t grain, int64_t align, llmts_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int threads = llmts_pool_threads();
  if (threads == 1 || n < 2 * grain) {
    fn(ctx, 0, n, 0);
    return;
  }
  /* a few chunks per thread balance load when a core is busy with something else */
  long tasks = llmts_tasks_for((double)n, (double)grain, 4L * threads);
  int64_t chunk = (n + tasks - 1) / tasks;
  if (align > 1) chunk = (chunk + align - 1) / align * align;
  RangeJob j = {fn, ctx, n, chunk};
  llmts_parallel_for((long)((n + chunk - 1) / chunk), range_task, &j);
}
