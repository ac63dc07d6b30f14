/*
 * The thread pool of the wasm build (the API of ../pool.h). The threads are Web Workers (or
 * Node worker_threads) that instantiate the same module on the same shared memory and call
 * llmts_worker_main(id) once, which never returns until the pool shrinks below id (see
 * src/backends/wasm/threads.ts). One job at a time, as in ../pool.c: the caller publishes
 * (fn, ctx, ntasks), opens the job and bumps the generation; everyone, caller included, claims
 * task indices from an atomic counter; the caller then closes the job and waits until no
 * worker is inside it.
 *
 * Differences from the pthread pool: idle workers spin ~2 ms, then sleep in memory.atomic.wait32
 * on the generation (the caller notifies when there are sleepers); the caller never sleeps (a
 * browser's main thread may not block), it spins while the last workers finish. Workers start
 * asynchronously: until one has started, the caller simply runs its share (the split of every
 * kernel depends on the thread count, never on who takes a task, so results are the same).
 * A worker whose task aborts (out of memory) reports it through llmts_worker_abandon, and the
 * caller aborts once the job is over.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "../pool.h"
#include "include/stdlib.h"
#include "wasm.h"

#define MAX_THREADS 64
#define SPIN_MS 2.0

IMPORT("now") double llmts_host_now(void); /* milliseconds (performance.now) */

typedef struct {
  void *ptr[LLMTS_SCRATCH_SLOTS];
  size_t size[LLMTS_SCRATCH_SLOTS];
} Scratch;

static struct {
  atomic_int gen; /* an int: memory.atomic.wait32 waits on it */
  atomic_int sleepers;
  atomic_int open;
  atomic_int inside;
  atomic_int busy;
  atomic_int failed;
  atomic_int threads;
  atomic_long next;
  atomic_int in_task[MAX_THREADS];
  llmts_task_fn fn;
  void *ctx;
  long ntasks;
  Scratch scratch[MAX_THREADS];
} P = {.threads = 1};

static void run_tasks(int tid) {
  llmts_task_fn fn = P.fn;
  void *ctx = P.ctx;
  long n = P.ntasks;
  for (;;) {
    long t = atomic_fetch_add_explicit(&P.next, 1, memory_order_relaxed);
    if (t >= n) break;
    fn(ctx, t, tid);
  }
}

static void free_scratch(int tid) {
  for (int s = 0; s < LLMTS_SCRATCH_SLOTS; s++) {
    free(P.scratch[tid].ptr[s]);
    P.scratch[tid].ptr[s] = NULL;
    P.scratch[tid].size[s] = 0;
  }
}

static void wake_all(void) { __builtin_wasm_memory_atomic_notify((int *)&P.gen, 0xFFFFFFFFu); }

/* Runs jobs as thread `id` (1 .. MAX_THREADS-1) until the pool has at most id threads. */
EXPORT("llmts_worker_main") void llmts_worker_main(int id) {
  if (id < 1 || id >= MAX_THREADS) return;
  int seen = atomic_load(&P.gen);
  for (;;) {
    if (id >= atomic_load(&P.threads)) break;
    int g = atomic_load(&P.gen);
    if (g == seen) {
      double start = llmts_host_now();
      for (int spins = 1; (g = atomic_load(&P.gen)) == seen; spins++) {
        if (id >= atomic_load(&P.threads)) break;
        if ((spins & 255) == 0 && llmts_host_now() - start > SPIN_MS) {
          atomic_fetch_add(&P.sleepers, 1);
          while ((g = atomic_load(&P.gen)) == seen && id < atomic_load(&P.threads))
            __builtin_wasm_memory_atomic_wait32((int *)&P.gen, seen, -1);
          atomic_fetch_sub(&P.sleepers, 1);
          break;
        }
      }
      if (id >= atomic_load(&P.threads)) break;
    }
    seen = g;
    atomic_fetch_add(&P.inside, 1);
    if (atomic_load(&P.open)) {
      atomic_store(&P.in_task[id], 1);
      run_tasks(id);
      atomic_store(&P.in_task[id], 0);
    }
    atomic_fetch_sub(&P.inside, 1);
  }
  free_scratch(id);
}

/* Called by a worker's JavaScript when a task threw (abort): leaves the job, marks it failed. */
EXPORT("llmts_worker_abandon") void llmts_worker_abandon(int id) {
  if (id < 1 || id >= MAX_THREADS) return;
  if (atomic_exchange(&P.in_task[id], 0)) {
    atomic_store(&P.failed, 1);
    atomic_fetch_sub(&P.inside, 1);
  }
}

/* After a kernel threw on the calling thread (abort): closes the job so the pool works again. */
EXPORT("llmts_pool_recover") void llmts_pool_recover(void) {
  atomic_store(&P.open, 0);
  while (atomic_load(&P.inside) > 0) {
  }
  atomic_store(&P.failed, 0);
  atomic_store(&P.busy, 0);
}

void llmts_pool_init(int n) { llmts_pool_set_threads(n); }

void llmts_pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  atomic_store(&P.threads, n);
  wake_all(); /* workers at or above n leave */
}

int llmts_pool_threads(void) { return atomic_load(&P.threads); }

EXPORT("llmts_set_threads") int llmts_set_threads_export(int n) {
  llmts_pool_set_threads(n);
  return llmts_pool_threads();
}
EXPORT("llmts_threads") int llmts_threads_export(void) { return llmts_pool_threads(); }
EXPORT("llmts_max_threads") int llmts_max_threads(void) { return MAX_THREADS; }

void llmts_parallel_for(long ntasks, llmts_task_fn fn, void *ctx) {
  if (ntasks <= 0) return;
  if (ntasks == 1 || atomic_load(&P.threads) == 1 || atomic_exchange(&P.busy, 1)) {
    /* serial: one task, one thread, or the pool is busy (a nested call) */
    for (long t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  P.fn = fn;
  P.ctx = ctx;
  P.ntasks = ntasks;
  atomic_store_explicit(&P.next, 0, memory_order_relaxed);
  atomic_store(&P.open, 1);
  atomic_fetch_add(&P.gen, 1);
  if (atomic_load(&P.sleepers) > 0) wake_all();
  run_tasks(0);
  atomic_store(&P.open, 0);
  while (atomic_load(&P.inside) > 0) {
  }
  int failed = atomic_exchange(&P.failed, 0);
  atomic_store(&P.busy, 0);
  if (failed) abort();
}

static void *scratch_get(Scratch *s, int slot, size_t bytes) {
  if (bytes == 0) bytes = 64;
  if (s->size[slot] < bytes) {
    free(s->ptr[slot]);
    size_t want = (bytes + bytes / 4 + 4095) & ~(size_t)4095;
    void *p = malloc(want);
    s->ptr[slot] = p;
    s->size[slot] = p ? want : 0;
  }
  return s->ptr[slot];
}

void *llmts_scratch(int tid, int slot, size_t bytes) {
  if (tid < 0 || tid >= MAX_THREADS) return NULL;
  return scratch_get(&P.scratch[tid], slot, bytes);
}

long llmts_tasks_for(double work, double grain, long max_tasks) {
  if (atomic_load(&P.threads) == 1 || work < 2 * grain) return 1;
  long t = (long)(work / grain);
  if (t > max_tasks) t = max_tasks;
  return t < 1 ? 1 : t;
}

int llmts_pool_worker_tids(int *out, int max) {
  (void)out;
  (void)max;
  return 0;
}
