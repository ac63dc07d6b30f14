/*
 * Row-wise softmax / log-softmax of a dense [rows, cols] float32 matrix and their gradients
 * (reference: src/backends/reference/softmax.ts). Sums accumulate in float64. Rows are
 * independent, so rows are split over threads.
 */
#include "kernels.h"
#include "par.h"
#include "row.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>

typedef struct {
  const float *x, *gy;
  float *out;
  int64_t cols;
  int log;
} SoftJob;

static void softmax_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const SoftJob *j = ctx;
  int64_t n = j->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = j->x + r * n;
    float *y = j->out + r * n;
    float mx = row_max(x, n);
    if (mx == -INFINITY) {
      /* an all -inf row: PyTorch gives NaN */
      for (int64_t i = 0; i < n; i++) y[i] = NAN;
      continue;
    }
    if (j->log) {
      double lse = (double)mx + log(row_sum_exp(x, n, mx, NULL));
      float hi_ = (float)lse, lo_ = (float)(lse - (double)hi_);
      vf h = vset1(hi_), l = vset1(lo_);
      int64_t i = 0;
      for (; i + VL <= n; i += VL) vstore(y + i, vsub(vsub(vload(x + i), h), l));
      if (i < n) vstore_n(y + i, vsub(vsub(vload_n(x + i, n - i), h), l), n - i);
    } else {
      double sum = row_sum_exp(x, n, mx, y); /* y holds exp(x - max) */
      row_scale(y, n, (float)(1.0 / sum));
    }
  }
}

void FN(softmax)(const float *x, int64_t rows, int64_t cols, float *out, int log) {
  SoftJob j = {x, NULL, out, cols, log};
  llmts_par_range(rows, (1 << 13) / (cols + 1) + 1, 1, softmax_rows, &j);
}

static void softmax_grad_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const SoftJob *j = ctx;
  int64_t n = j->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *y = j->x + r * n, *gy = j->gy + r * n;
    float *gx = j->out + r * n;
    int64_t i = 0;
    if (j->log) {
      /* gx = gy - softmax * sum(gy), softmax = exp(y) */
      vf s = vset1((float)row_sum(gy, n));
      for (; i + VL <= n; i += VL) vstore(gx + i, vfnma(vexp_flush(vload(y + i)), s, vload(gy + i)));
      if (i < n) vstore_n(gx + i, vfnma(vexp_flush(vload_n(y + i, n - i)), s, vload_n(gy + i, n - i)), n - i);
    } else {
      /* gx = y * (gy - sum(gy * y)) */
      vf d = vset1((float)row_dot(gy, y, n));
      for (; i + VL <= n; i += VL) vstore(gx + i, vmul(vload(y + i), vsub(vload(gy + i), d)));
      if (i < n) vstore_n(gx + i, vmul(vload_n(y + i, n - i), vsub(vload_n(gy + i, n - i), d)), n - i);
    }
  }
}

void FN(softmax_grad)(const float *y, const float *gy, int64_t rows, int64_t cols, float *gx, int log) {
  SoftJob j = {y, gy, gx, cols, log};
  llmts_par_range(rows, (1 << 13) / (cols + 1) + 1, 1, softmax_grad_rows, &j);
}
