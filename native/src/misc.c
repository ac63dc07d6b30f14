/*
 * AdamW step and the index kernels (embedding lookup and its adjoint).
 * References: src/backends/reference/optim.ts, src/backends/reference/indexing.ts.
 */
#include "kernels.h"
#include "par.h"
#include "simd.h"

#include <math.h>
#include <string.h>

/* ---------- AdamW ---------- */

typedef struct {
  const AdamArgs *a;
  /* coefficients rounded once from float64 (1 - 0.9f would be off by 2e-7 relative) */
  float b1, b2, c1, c2, gs, eps, step_size, inv_sqrt_bc2, decay;
} AdamJob;

static void adam_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const AdamJob *j = ctx;
  const AdamArgs *a = j->a;
  vf b1 = vset1(j->b1), b2 = vset1(j->b2), c1 = vset1(j->c1), c2 = vset1(j->c2);
  vf gs = vset1(j->gs), eps = vset1(j->eps), isb = vset1(j->inv_sqrt_bc2), ss = vset1(j->step_size);
  vf decay = vset1(j->decay);
  for (int64_t i = lo; i < hi; i += VL) {
    int64_t n = hi - i < VL ? hi - i : VL;
    vf g, m, v, p;
    if (n == VL) {
      g = vload(a->grad + i), m = vload(a->m + i), v = vload(a->v + i), p = vload(a->param + i);
    } else {
      g = vload_n(a->grad + i, n), m = vload_n(a->m + i, n), v = vload_n(a->v + i, n), p = vload_n(a->param + i, n);
    }
    g = vmul(g, gs);
    m = vfma(b1, m, vmul(c1, g));
    v = vfma(b2, v, vmul(c2, vmul(g, g)));
    vf denom = vfma(vsqrt(v), isb, eps);
    p = vsub(vmul(p, decay), vdiv(vmul(ss, m), denom));
    if (n == VL) {
      vstore(a->m + i, m), vstore(a->v + i, v), vstore(a->param + i, p);
    } else {
      vstore_n(a->m + i, m, n), vstore_n(a->v + i, v, n), vstore_n(a->param + i, p, n);
    }
  }
}

void FN(adamw)(const AdamArgs *a) {
  double bc1 = 1.0 - pow(a->beta1, a->step);
  double bc2 = 1.0 - pow(a->beta2, a->step);
  AdamJob j = {a,
               (float)a->beta1,
               (float)a->beta2,
               (float)(1.0 - a->beta1),
               (float)(1.0 - a->beta2),
               (float)a->grad_scale,
               (float)a->eps,
               (float)(a->lr / bc1),
               (float)(1.0 / sqrt(bc2)),
               (float)(1.0 - a->lr * a->weight_decay)};
  llmts_par_range(a->n, 1 << 15, 16, adam_range, &j);
}

/* ---------- indexSelect / indexAdd ---------- */

typedef struct {
  const void *src;
  void *out;
  const int32_t *index;
  int64_t outer, src_dim, inner, n, dst_dim;
  int elsize;
  const float *fsrc;
  float *fdst;
} IndexJob;

static void select_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const IndexJob *j = ctx;
  size_t row = (size_t)j->inner * (size_t)j->elsize;
  for (int64_t t = lo; t < hi; t++) {
    int64_t o = t / j->n, i = t % j->n;
    const char *from = (const char *)j->src + ((size_t)(o * j->src_dim + j->index[i])) * row;
    memcpy((char *)j->out + (size_t)t * row, from, row);
  }
}

void FN(index_select)(const void *src, int elsize, int64_t outer, int64_t src_dim, int64_t inner,
                      const int32_t *index, int64_t n, void *out) {
  IndexJob j = {src, out, index, outer, src_dim, inner, n, 0, elsize, NULL, NULL};
  llmts_par_range(outer * n, (1 << 16) / (inner * elsize + 1) + 1, 1, select_range, &j);
}

/* dst[o, index[i], c] += src[o, i, c]: a task owns a column range of every row, so repeated
 * indices never race and each element sums in index order. */
static void add_range(void *ctx, int64_t c0, int64_t c1, int tid) {
  const IndexJob *j = ctx;
  for (int64_t o = 0; o < j->outer; o++) {
    for (int64_t i = 0; i < j->n; i++) {
      const float *s = j->fsrc + (o * j->n + i) * j->inner;
      float *d = j->fdst + (o * j->dst_dim + j->index[i]) * j->inner;
      int64_t c = c0;
      for (; c + VL <= c1; c += VL) vstore(d + c, vadd(vload(d + c), vload(s + c)));
      for (; c < c1; c++) d[c] += s[c];
    }
  }
}

void FN(index_add)(const float *src, int64_t outer, int64_t n, int64_t inner, const int32_t *index, int64_t dst_dim,
                   float *dst) {
  IndexJob j = {NULL, NULL, index, outer, 0, inner, n, dst_dim, 4, src, dst};
  int64_t grain = (1 << 15) / (outer * n + 1) + 1;
  llmts_par_range(inner, grain < 64 ? 64 : grain, 16, add_range, &j);
}
