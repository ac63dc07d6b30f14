/*
 * A STREAM-like read of a buffer (bench/generate.ts measures the machine's read bandwidth with
 * it in the same run as decoding): the sum of n floats, split over the pool in fixed chunks,
 * four vector accumulators per chunk so the loads, not the adds, bound it.
 */
#include "kernels.h"
#include "par.h"
#include "pool.h"
#include "simd.h"

#define SR_CHUNK (1 << 16)
#define SR_MAX_CHUNKS 65536

typedef struct {
  const float *x;
  int64_t n;
  float *partial;
} StreamJob;

static void stream_range(void *ctx, int64_t c0, int64_t c1, int tid) {
  (void)tid;
  const StreamJob *J = ctx;
  for (int64_t c = c0; c < c1; c++) {
    const int64_t lo = c * SR_CHUNK, hi = lo + SR_CHUNK < J->n ? lo + SR_CHUNK : J->n;
    vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    int64_t i = lo;
    for (; i + 4 * VL <= hi; i += 4 * VL) {
      a0 = vadd(a0, vload(J->x + i));
      a1 = vadd(a1, vload(J->x + i + VL));
      a2 = vadd(a2, vload(J->x + i + 2 * VL));
      a3 = vadd(a3, vload(J->x + i + 3 * VL));
    }
    float s = vhsum(vadd(vadd(a0, a1), vadd(a2, a3)));
    for (; i < hi; i++) s += J->x[i];
    J->partial[c] = s;
  }
}

double FN(stream_read)(const float *x, int64_t n) {
  const int64_t chunks = (n + SR_CHUNK - 1) / SR_CHUNK;
  if (chunks <= 0 || chunks > SR_MAX_CHUNKS) return 0.0;
  float *partial = llmts_scratch(0, 3, sizeof(float) * (size_t)chunks);
  if (!partial) return 0.0;
  StreamJob J = {x, n, partial};
  llmts_par_range(chunks, 1, 1, stream_range, &J);
  double s = 0.0;
  for (int64_t c = 0; c < chunks; c++) s += partial[c];
  return s;
}
