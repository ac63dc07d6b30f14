/* Helpers for kernels that split a 1-D range over the pool. */
#ifndef LLMTS_PAR_H
#define LLMTS_PAR_H

#include <stdint.h>

#include "pool.h"

typedef void (*llmts_range_fn)(void *ctx, int64_t lo, int64_t hi, int tid);

/* Runs fn over [0, n) in chunks of at least `grain` items (chunk starts are multiples of
 * `align`); on one thread when n is small. Chunks are independent, so use this only where
 * a chunk's result does not depend on where the chunk boundaries fall. */
void llmts_par_range(int64_t n, int64_t grain, int64_t align, llmts_range_fn fn, void *ctx);

#endif
