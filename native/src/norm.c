/*
 * LayerNorm and RMSNorm over the rows of a dense [rows, cols] float32 matrix, forward and
 * backward (reference: src/backends/reference/norm.ts). Row statistics accumulate in float64;
 * the mean is carried as a float pair (hi + lo) so x - mean stays exact for data with a large
 * offset. Weight/bias gradients are summed per fixed block of rows into float64 partials and
 * the partials are added in block order: identical results for any thread count.
 */
#include "kernels.h"
#include "par.h"
#include "pool.h"
#include "row.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>

#define RB 32 /* rows per gradient block */

INL vf load_or(const float *p, int64_t i, int64_t n, float dflt) {
  if (!p) return vset1(dflt);
  return n - i >= VL ? vload(p + i) : vload_n(p + i, n - i);
}

typedef struct {
  const float *x, *w, *b, *mean, *rstd, *gy;
  float *y, *mean_out, *rstd_out, *gx;
  int64_t rows, cols, blocks;
  float eps;
  double *pw, *pb; /* [blocks][cols] partial weight / bias gradients */
} NormJob;

static void ln_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const NormJob *j = ctx;
  int64_t n = j->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = j->x + r * n;
    float *y = j->y + r * n;
    double mu = row_sum(x, n) / (double)n;
    float mh = (float)mu, ml = (float)(mu - (double)mh);
    vf vmh = vset1(mh), vml = vset1(ml);
    vd a0 = vdzero();
    int64_t i = 0;
    for (; i + VL <= n; i += VL) {
      vf d = vsub(vsub(vload(x + i), vmh), vml);
      a0 = vdadd(a0, vmul(d, d));
    }
    if (i < n) {
      vf d = vkeep_n(vsub(vsub(vload_n(x + i, n - i), vmh), vml), n - i);
      a0 = vdadd(a0, vmul(d, d));
    }
    double var = vdhsum(a0) / (double)n;
    double rs = 1.0 / sqrt(var + (double)j->eps);
    j->mean_out[r] = mh;
    j->rstd_out[r] = (float)rs;
    vf vrs = vset1((float)rs);
    for (i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf xhat = vmul(vsub(vsub(xv, vmh), vml), vrs);
      vf out = vfma(xhat, load_or(j->w, i, n, 1.0f), load_or(j->b, i, n, 0.0f));
      if (m == VL) vstore(y + i, out);
      else vstore_n(y + i, out, m);
    }
  }
}

void FN(layer_norm)(const float *x, const float *w, const float *b, int64_t rows, int64_t cols, float eps, float *y,
                    float *mean, float *rstd) {
  NormJob j = {x, w, b, NULL, NULL, NULL, y, mean, rstd, NULL, rows, cols, 0, eps, NULL, NULL};
  llmts_par_range(rows, (1 << 13) / (cols + 1) + 1, 1, ln_rows, &j);
}

static void ln_grad_block(void *ctx, long t, int tid) {
  const NormJob *j = ctx;
  int64_t n = j->cols;
  int64_t r0 = (int64_t)t * RB, r1 = r0 + RB < j->rows ? r0 + RB : j->rows;
  double *pw = j->pw ? j->pw + t * n : NULL;
  double *pb = j->pb ? j->pb + t * n : NULL;
  for (int64_t c = 0; pw && c < n; c++) pw[c] = 0.0;
  for (int64_t c = 0; pb && c < n; c++) pb[c] = 0.0;
  for (int64_t r = r0; r < r1; r++) {
    const float *x = j->x + r * n, *gy = j->gy + r * n;
    float *gx = j->gx + r * n;
    vf mu = vset1(j->mean[r]), rs = vset1(j->rstd[r]);
    vd sg = vdzero(), sgx = vdzero();
    for (int64_t i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf gv = m == VL ? vload(gy + i) : vload_n(gy + i, m); /* padding lanes are 0 */
      vf xhat = vmul(vsub(xv, mu), rs);
      vf g = vmul(gv, load_or(j->w, i, n, 1.0f));
      sg = vdadd(sg, g);
      sgx = vdadd(sgx, vmul(g, xhat));
    }
    vf mg = vset1((float)(vdhsum(sg) / (double)n)), mgx = vset1((float)(vdhsum(sgx) / (double)n));
    for (int64_t i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf gv = m == VL ? vload(gy + i) : vload_n(gy + i, m);
      vf xhat = vmul(vsub(xv, mu), rs);
      vf g = vmul(gv, load_or(j->w, i, n, 1.0f));
      vf out = vmul(rs, vfnma(xhat, mgx, vsub(g, mg)));
      if (m == VL) {
        vstore(gx + i, out);
        if (pw) vdstore(pw + i, vdadd(vdload(pw + i), vmul(gv, xhat)));
        if (pb) vdstore(pb + i, vdadd(vdload(pb + i), gv));
      } else {
        vstore_n(gx + i, out, m);
        float tw[VL], tb[VL];
        vstore(tw, vmul(gv, xhat));
        vstore(tb, gv);
        for (int64_t k = 0; k < m; k++) {
          if (pw) pw[i + k] += tw[k];
          if (pb) pb[i + k] += tb[k];
        }
      }
    }
  }
}

typedef struct {
  const double *p;
  float *dst;
  int64_t blocks, cols;
} SumJob;

static void sum_partials(void *ctx, int64_t lo, int64_t hi, int tid) {
  const SumJob *s = ctx;
  for (int64_t c = lo; c < hi; c++) {
    double acc = 0.0;
    for (int64_t b = 0; b < s->blocks; b++) acc += s->p[b * s->cols + c];
    s->dst[c] = (float)((double)s->dst[c] + acc);
  }
}

static void add_partials(const double *p, float *dst, int64_t blocks, int64_t cols) {
  SumJob s = {p, dst, blocks, cols};
  llmts_par_range(cols, (1 << 16) / (blocks + 1) + 1, 16, sum_partials, &s);
}

void FN(layer_norm_grad)(const float *x, const float *w, const float *mean, const float *rstd, const float *gy,
                         int64_t rows, int64_t cols, float *gx, float *gw, float *gb) {
  int64_t blocks = (rows + RB - 1) / RB;
  double *part = NULL;
  int np = (gw != NULL) + (gb != NULL);
  if (np > 0) {
    part = malloc(sizeof(double) * (size_t)(np * blocks * cols));
    if (!part) abort();
  }
  NormJob j = {x, w, NULL, mean, rstd, gy, NULL, NULL, NULL, gx, rows, cols, blocks, 0.0f, NULL, NULL};
  if (gw) j.pw = part;
  if (gb) j.pb = part + (gw ? blocks * cols : 0);
  if ((double)rows * cols < (1 << 14)) {
    for (long t = 0; t < blocks; t++) ln_grad_block(&j, t, 0);
  } else {
    llmts_parallel_for((long)blocks, ln_grad_block, &j);
  }
  if (gw) add_partials(j.pw, gw, blocks, cols);
  if (gb) add_partials(j.pb, gb, blocks, cols);
  free(part);
}

static void rms_rows(void *ctx, int64_t lo, int64_t hi, int tid) {
  const NormJob *j = ctx;
  int64_t n = j->cols;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = j->x + r * n;
    float *y = j->y + r * n;
    double rs = 1.0 / sqrt(row_dot(x, x, n) / (double)n + (double)j->eps);
    j->rstd_out[r] = (float)rs;
    vf vrs = vset1((float)rs);
    for (int64_t i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf out = vmul(vmul(xv, vrs), load_or(j->w, i, n, 1.0f));
      if (m == VL) vstore(y + i, out);
      else vstore_n(y + i, out, m);
    }
  }
}

void FN(rms_norm)(const float *x, const float *w, int64_t rows, int64_t cols, float eps, float *y, float *rstd) {
  NormJob j = {x, w, NULL, NULL, NULL, NULL, y, NULL, rstd, NULL, rows, cols, 0, eps, NULL, NULL};
  llmts_par_range(rows, (1 << 13) / (cols + 1) + 1, 1, rms_rows, &j);
}

static void rms_grad_block(void *ctx, long t, int tid) {
  const NormJob *j = ctx;
  int64_t n = j->cols;
  int64_t r0 = (int64_t)t * RB, r1 = r0 + RB < j->rows ? r0 + RB : j->rows;
  double *pw = j->pw ? j->pw + t * n : NULL;
  for (int64_t c = 0; pw && c < n; c++) pw[c] = 0.0;
  for (int64_t r = r0; r < r1; r++) {
    const float *x = j->x + r * n, *gy = j->gy + r * n;
    float *gx = j->gx + r * n;
    float rsf = j->rstd[r];
    vf rs = vset1(rsf);
    vd dot = vdzero();
    for (int64_t i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf gv = m == VL ? vload(gy + i) : vload_n(gy + i, m);
      dot = vdadd(dot, vmul(vmul(gv, load_or(j->w, i, n, 1.0f)), xv));
    }
    vf c = vset1((float)(vdhsum(dot) / (double)n * (double)rsf * (double)rsf));
    for (int64_t i = 0; i < n; i += VL) {
      int64_t m = n - i < VL ? n - i : VL;
      vf xv = m == VL ? vload(x + i) : vload_n(x + i, m);
      vf gv = m == VL ? vload(gy + i) : vload_n(gy + i, m);
      vf g = vmul(gv, load_or(j->w, i, n, 1.0f));
      vf out = vmul(rs, vfnma(xv, c, g));
      vf tw = vmul(vmul(gv, xv), rs);
      if (m == VL) {
        vstore(gx + i, out);
        if (pw) vdstore(pw + i, vdadd(vdload(pw + i), tw));
      } else {
        vstore_n(gx + i, out, m);
        float t2[VL];
        vstore(t2, tw);
        for (int64_t k = 0; pw && k < m; k++) pw[i + k] += t2[k];
      }
    }
  }
}

void FN(rms_norm_grad)(const float *x, const float *w, const float *rstd, const float *gy, int64_t rows, int64_t cols,
                       float *gx, float *gw) {
  int64_t blocks = (rows + RB - 1) / RB;
  double *part = NULL;
  if (gw) {
    part = malloc(sizeof(double) * (size_t)(blocks * cols));
    if (!part) abort();
  }
  NormJob j = {x, w, NULL, NULL, rstd, gy, NULL, NULL, NULL, gx, rows, cols, blocks, 0.0f, part, NULL};
  if ((double)rows * cols < (1 << 14)) {
    for (long t = 0; t < blocks; t++) rms_grad_block(&j, t, 0);
  } else {
    llmts_parallel_for((long)blocks, rms_grad_block, &j);
  }
  if (gw) add_partials(part, gw, blocks, cols);
  free(part);
}
