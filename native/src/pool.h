/*
 * Persistent thread pool: parallel-for over a fixed number of tasks, run by the calling
 * thread (tid 0) and the workers (tid 1..threads-1). Idle workers spin briefly, then sleep
 * on a condition variable, so an idle process burns no CPU.
 */
#ifndef LLMTS_POOL_H
#define LLMTS_POOL_H

#include <stddef.h>

typedef void (*llmts_task_fn)(void *ctx, long task, int tid);

/* Starts the pool with n threads in total (the caller counts as one). */
void llmts_pool_init(int n);
void llmts_pool_set_threads(int n);
int llmts_pool_threads(void);
/* Runs fn(ctx, t, tid) for every t < ntasks; returns when all are done. Tasks are handed out
 * dynamically; a kernel that wants results independent of the thread count must make each
 * task's result depend only on the task index. */
void llmts_parallel_for(long ntasks, llmts_task_fn fn, void *ctx);
/* A per-thread scratch buffer (64-byte aligned, grown as needed, contents not kept across
 * growth). slot < LLMTS_SCRATCH_SLOTS lets one thread hold several buffers at once. */
#define LLMTS_SCRATCH_SLOTS 4
void *llmts_scratch(int tid, int slot, size_t bytes);
/* Number of tasks to split `work` units into so that each task has at least `grain` units
 * (1 when the pool has one thread or the work is small); at most max_tasks. */
long llmts_tasks_for(double work, double grain, long max_tasks);
/* Kernel thread ids of the workers (for tests that watch /proc/self/task/TID/stat); returns the count. */
int llmts_pool_worker_tids(int *out, int max);

#endif
