/*
 * Reductions over the middle axis of a dense [outer, r, inner] float32 array (sum, max, min,
 * prod) and the sum of squares. Sums and products accumulate in float64 like the reference.
 * Work is split at fixed boundaries (not per thread), and partial results are combined in
 * order, so results are identical for any thread count.
 */
#include "kernels.h"
#include "par.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>

#define SEG 65536 /* elements of one contiguous row per task */
#define CB 256    /* columns per task when inner > 1 */

/* sum / prod / max / min of n contiguous floats; max/min give NaN if any element is NaN */
static double reduce_contig(int op, const float *x, int64_t n) {
  int64_t i = 0;
  if (op == R_SUM) {
    vd a0 = vdzero(), a1 = vdzero(), a2 = vdzero(), a3 = vdzero();
    for (; i + 4 * VL <= n; i += 4 * VL) {
      a0 = vdadd(a0, vload(x + i));
      a1 = vdadd(a1, vload(x + i + VL));
      a2 = vdadd(a2, vload(x + i + 2 * VL));
      a3 = vdadd(a3, vload(x + i + 3 * VL));
    }
    for (; i + VL <= n; i += VL) a0 = vdadd(a0, vload(x + i));
    if (i < n) a1 = vdadd(a1, vload_n(x + i, n - i));
    return vdhsum(vdsum(vdsum(a0, a1), vdsum(a2, a3)));
  }
  if (op == R_PROD) {
    double p = 1.0;
    for (; i < n; i++) p *= x[i];
    return p;
  }
  int is_max = op == R_MAX;
  vf acc = vset1(is_max ? -INFINITY : INFINITY);
  vf nan = vzero();
  for (; i + VL <= n; i += VL) {
    vf v = vload(x + i);
    nan = vadd(nan, vsel(visnan(v), vset1(1.0f), vzero()));
    acc = is_max ? vmax(v, acc) : vmin(v, acc); /* NaN in v keeps acc */
  }
  float r = is_max ? vhmax(acc) : vhmin(acc);
  int any_nan = vhsum(nan) != 0.0f;
  for (; i < n; i++) {
    float v = x[i];
    if (v != v) any_nan = 1;
    else if (is_max ? v > r : v < r) r = v;
  }
  return any_nan ? NAN : r;
}

static double combine(int op, double a, double b) {
  switch (op) {
    case R_SUM: return a + b;
    case R_PROD: return a * b;
    case R_MAX: return a != a || b != b ? NAN : (b > a ? b : a);
    default: return a != a || b != b ? NAN : (b < a ? b : a);
  }
}

static double identity(int op) {
  return op == R_SUM ? 0.0 : op == R_PROD ? 1.0 : op == R_MAX ? -INFINITY : INFINITY;
}

typedef struct {
  int op;
  const float *x;
  int64_t outer, r, inner, segs;
  float *out;
  double *partial;
} RedJob;

static void rows_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const RedJob *j = ctx;
  for (int64_t o = lo; o < hi; o++) j->out[o] = (float)reduce_contig(j->op, j->x + o * j->r, j->r);
}

static void seg_task(void *ctx, long t, int tid) {
  const RedJob *j = ctx;
  int64_t o = t / j->segs, s = t % j->segs;
  int64_t lo = s * SEG, n = j->r - lo < SEG ? j->r - lo : SEG;
  j->partial[t] = reduce_contig(j->op, j->x + o * j->r + lo, n);
}

/* one outer index, columns [c0, c0+w) */
static void cols_task(void *ctx, long t, int tid) {
  const RedJob *j = ctx;
  int64_t cblocks = (j->inner + CB - 1) / CB;
  int64_t o = t / cblocks, c0 = (t % cblocks) * CB;
  int64_t w = j->inner - c0 < CB ? j->inner - c0 : CB;
  const float *x = j->x + o * j->r * j->inner + c0;
  float *out = j->out + o * j->inner + c0;
  if (j->op == R_SUM) {
    double acc[CB] __attribute__((aligned(64)));
    for (int64_t c = 0; c < w; c++) acc[c] = 0.0;
    for (int64_t k = 0; k < j->r; k++) {
      const float *row = x + k * j->inner;
      int64_t c = 0;
      for (; c + VL <= w; c += VL) vdstore(acc + c, vdadd(vdload(acc + c), vload(row + c)));
      for (; c < w; c++) acc[c] += row[c];
    }
    for (int64_t c = 0; c < w; c++) out[c] = (float)acc[c];
  } else if (j->op == R_PROD) {
    double acc[CB];
    for (int64_t c = 0; c < w; c++) acc[c] = 1.0;
    for (int64_t k = 0; k < j->r; k++)
      for (int64_t c = 0; c < w; c++) acc[c] *= x[k * j->inner + c];
    for (int64_t c = 0; c < w; c++) out[c] = (float)acc[c];
  } else {
    int is_max = j->op == R_MAX;
    float acc[CB] __attribute__((aligned(64)));
    float nan[CB] __attribute__((aligned(64)));
    for (int64_t c = 0; c < w; c++) {
      acc[c] = is_max ? -INFINITY : INFINITY;
      nan[c] = 0.0f;
    }
    for (int64_t k = 0; k < j->r; k++) {
      const float *row = x + k * j->inner;
      int64_t c = 0;
      for (; c + VL <= w; c += VL) {
        vf v = vload(row + c);
        vstore(nan + c, vadd(vload(nan + c), vsel(visnan(v), vset1(1.0f), vzero())));
        vstore(acc + c, is_max ? vmax(v, vload(acc + c)) : vmin(v, vload(acc + c)));
      }
      for (; c < w; c++) {
        float v = row[c];
        if (v != v) nan[c] = 1.0f;
        else if (is_max ? v > acc[c] : v < acc[c]) acc[c] = v;
      }
    }
    for (int64_t c = 0; c < w; c++) out[c] = nan[c] != 0.0f ? NAN : acc[c];
  }
}

void FN(reduce)(int op, const float *x, int64_t outer, int64_t r, int64_t inner, float *out) {
  if (outer == 0 || inner == 0) return;
  if (r == 0) {
    for (int64_t i = 0; i < outer * inner; i++) out[i] = (float)identity(op);
    return;
  }
  RedJob j = {op, x, outer, r, inner, 1, out, NULL};
  if (inner == 1) {
    if (r <= SEG) {
      llmts_par_range(outer, (1 << 15) / r + 1, 1, rows_range, &j);
      return;
    }
    j.segs = (r + SEG - 1) / SEG;
    double *partial = malloc(sizeof(double) * (size_t)(outer * j.segs));
    if (!partial) {
      rows_range(&j, 0, outer, 0);
      return;
    }
    j.partial = partial;
    llmts_parallel_for((long)(outer * j.segs), seg_task, &j);
    for (int64_t o = 0; o < outer; o++) {
      double acc = partial[o * j.segs];
      for (int64_t s = 1; s < j.segs; s++) acc = combine(op, acc, partial[o * j.segs + s]);
      out[o] = (float)acc;
    }
    free(partial);
    return;
  }
  long tasks = (long)(outer * ((inner + CB - 1) / CB));
  if ((double)outer * r * inner < (1 << 15)) {
    for (long t = 0; t < tasks; t++) cols_task(&j, t, 0);
  } else {
    llmts_parallel_for(tasks, cols_task, &j);
  }
}

/* ---------- sum of squares (gradient-norm clipping) ---------- */

typedef struct {
  const float *x;
  int64_t n;
  double *partial;
} SqJob;

static double sq_contig(const float *x, int64_t n) {
  vd a0 = vdzero(), a1 = vdzero();
  int64_t i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    vf u = vload(x + i), v = vload(x + i + VL);
    a0 = vdadd(a0, vmul(u, u)); /* x*x in float32 is exact to 2^-24; summed in float64 */
    a1 = vdadd(a1, vmul(v, v));
  }
  for (; i + VL <= n; i += VL) {
    vf u = vload(x + i);
    a0 = vdadd(a0, vmul(u, u));
  }
  if (i < n) {
    vf u = vload_n(x + i, n - i);
    a1 = vdadd(a1, vmul(u, u));
  }
  return vdhsum(vdsum(a0, a1));
}

static void sq_task(void *ctx, long t, int tid) {
  const SqJob *j = ctx;
  int64_t lo = (int64_t)t * SEG, n = j->n - lo < SEG ? j->n - lo : SEG;
  j->partial[t] = sq_contig(j->x + lo, n);
}

double FN(sum_squares)(const float *x, int64_t n) {
  if (n <= SEG) return sq_contig(x, n);
  int64_t segs = (n + SEG - 1) / SEG;
  double stack[64];
  double *partial = segs <= 64 ? stack : malloc(sizeof(double) * (size_t)segs);
  if (!partial) return sq_contig(x, n);
  SqJob j = {x, n, partial};
  llmts_parallel_for((long)segs, sq_task, &j);
  double acc = 0.0;
  for (int64_t s = 0; s < segs; s++) acc += partial[s];
  if (partial != stack) free(partial);
  return acc;
}
