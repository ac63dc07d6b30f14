/*
 * Fused cross-entropy over [rows, classes] float32 logits with int32 targets, label smoothing
 * and ignoreIndex (reference: src/backends/reference/loss.ts). Rows split over threads;
 * one row of 50k classes is three passes over 200 KB (max, sum of exp, and the gradient).
 */
#include "kernels.h"
#include "par.h"
#include "row.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>

typedef struct {
  const float *logits, *lse, *gloss;
  const int32_t *targets;
  float *losses, *lse_out, *gx;
  int64_t classes;
  int32_t ignore;
  float smoothing;
} CEJob;

static void ce_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const CEJob *j = ctx;
  int64_t n = j->classes;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = j->logits + r * n;
    float mx = row_max(x, n);
    /* the reference does not special-case an all -inf row: max + log(0 summed NaNs) */
    double l = (double)mx + log(row_sum_exp(x, n, mx, NULL));
    j->lse_out[r] = (float)l;
    int32_t t = j->targets[r];
    if (t == j->ignore) {
      j->losses[r] = 0.0f;
      continue;
    }
    double loss = (1.0 - (double)j->smoothing) * (l - (double)x[t]);
    if (j->smoothing > 0.0f) loss += (double)j->smoothing * (l - row_sum(x, n) / (double)n);
    j->losses[r] = (float)loss;
  }
}

void FN(cross_entropy)(const float *logits, const int32_t *targets, int64_t rows, int64_t classes, int32_t ignore,
                       float smoothing, float *losses, float *lse) {
  CEJob j = {logits, NULL, NULL, targets, losses, lse, NULL, classes, ignore, smoothing};
  llmts_par_range(rows, (1 << 13) / (classes + 1) + 1, 1, ce_rows, &j);
}

static void ce_grad_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const CEJob *j = ctx;
  int64_t n = j->classes;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = j->logits + r * n;
    float *gx = j->gx + r * n;
    int32_t t = j->targets[r];
    int64_t i = 0;
    if (t == j->ignore) {
      for (; i < n; i++) gx[i] = 0.0f;
      continue;
    }
    float g = j->gloss[r];
    vf l = vset1(j->lse[r]), gv = vset1(g), u = vset1(j->smoothing / (float)n);
    /* gx = g * (exp(x - lse) - s/C - [j == t] (1 - s)) */
    for (; i + VL <= n; i += VL) vstore(gx + i, vmul(gv, vsub(vexp_flush(vsub(vload(x + i), l)), u)));
    if (i < n) vstore_n(gx + i, vmul(gv, vsub(vexp_flush(vsub(vload_n(x + i, n - i), l)), u)), n - i);
    double p = exp((double)x[t] - (double)j->lse[r]);
    gx[t] = (float)((double)g * (p - (double)j->smoothing / (double)n - (1.0 - (double)j->smoothing)));
  }
}

void FN(cross_entropy_grad)(const float *logits, const int32_t *targets, const float *lse, const float *gloss,
                            int64_t rows, int64_t classes, int32_t ignore, float smoothing, float *gx) {
  CEJob j = {logits, lse, gloss, targets, NULL, NULL, gx, classes, ignore, smoothing};
  llmts_par_range(rows, (1 << 13) / (classes + 1) + 1, 1, ce_grad_rows, &j);
}
