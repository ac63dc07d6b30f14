/*
 * A standalone check of one architecture's SIMD kernel table against its scalar table and
 * against plain double-precision loops written here, without Node: test/backends/cross-aarch64
 * compiles it with the AArch64 cross-compiler beside the NEON and scalar builds of every kernel
 * source and runs it under qemu-user. On x86-64 the same file checks AVX2 against scalar.
 *
 *   cc -DCHECK_TABLE=llmts_table_neon kernel-check.c <kernels>.o pool.o par.o -lm -lpthread
 *
 * Prints one line per op: "op <name> <elements> <max error>"; exits 1 on the first failure,
 * with "FAIL <name>: ..." naming the element.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../native/src/kernels.h"
#include "../../native/src/pool.h"

#ifndef CHECK_TABLE
#error "define CHECK_TABLE (llmts_table_neon or llmts_table_avx2)"
#endif

static const KernelTable *simd = &CHECK_TABLE;
static const KernelTable *scalar = &llmts_table_scalar;

/* xorshift: the same inputs on every machine */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static float uniform(float lo, float hi) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return lo + (hi - lo) * (float)((rng_state >> 40) / 16777216.0);
}
static float *randv(int64_t n, float lo, float hi) {
  float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
  for (int64_t i = 0; i < n; i++) p[i] = uniform(lo, hi);
  return p;
}
static float *zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

static int failures = 0;

/* |a - b| <= atol + rtol |b|, NaN only where the other is NaN, infinities equal */
static double compare(const char *name, const float *got, const float *want, int64_t n, double atol, double rtol) {
  double worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double a = got[i], b = want[i];
    if (isnan(a) || isnan(b)) {
      if (isnan(a) != isnan(b)) {
        printf("FAIL %s: element %lld is %g, expected %g\n", name, (long long)i, a, b);
        failures++;
        return INFINITY;
      }
      continue;
    }
    if (isinf(a) || isinf(b)) {
      if (a != b) {
        printf("FAIL %s: element %lld is %g, expected %g\n", name, (long long)i, a, b);
        failures++;
        return INFINITY;
      }
      continue;
    }
    double err = fabs(a - b), tol = atol + rtol * fabs(b);
    if (err > tol) {
      printf("FAIL %s: element %lld is %.9g, expected %.9g (error %.3g > %.3g)\n", name, (long long)i, a, b, err, tol);
      failures++;
      return err;
    }
    double rel = err / (atol + fabs(b));
    if (rel > worst) worst = rel;
  }
  return worst;
}

static void report(const char *name, int64_t n, double err) { printf("op %s %lld %.3g\n", name, (long long)n, err); }

static void check_gemm(void) {
  static const int64_t shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {33, 47, 29}, {64, 64, 64}, {5, 100, 3}, {1, 67, 130}, {19, 1, 40}};
  int64_t total = 0;
  double worst = 0;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (int acc = 0; acc < 2; acc++) {
          int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
          float *a = randv(m * k, -1, 1), *b = randv(k * n, -1, 1), *c0 = randv(m * n, -1, 1);
          float *c = malloc(sizeof(float) * (size_t)(m * n)), *ref = malloc(sizeof(float) * (size_t)(m * n));
          memcpy(c, c0, sizeof(float) * (size_t)(m * n));
          GemmArgs g = {a, b, c, 1, m, n, k, ta, tb, ta ? m : k, tb ? k : n, n, 0, 0, 0, acc};
          simd->sgemm(&g);
          for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
              double sum = acc ? c0[i * n + j] : 0;
              for (int64_t p = 0; p < k; p++) sum += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
              ref[i * n + j] = (float)sum;
            }
          double e = compare("sgemm", c, ref, m * n, 1e-5 * (double)(k + 1), 1e-5);
          if (e > worst) worst = e;
          total += m * n;
          free(a), free(b), free(c0), free(c), free(ref);
        }
  report("sgemm", total, worst);
}

static void check_unary(void) {
  const int64_t n = 1003; /* not a multiple of any vector length: every tail path runs */
  float *x = randv(n, -12, 12);
  x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = 0.0f, x[4] = -0.0f, x[5] = 1e-30f, x[6] = 88.0f, x[7] = -100.0f;
  float *xpos = malloc(sizeof(float) * n);
  for (int64_t i = 0; i < n; i++) xpos[i] = fabsf(x[i]) + 1e-3f;
  static const char *names[] = {"neg", "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh",
                                "silu", "abs", "sin", "cos", "square", "reciprocal", "pow", "scale", "add_scalar",
                                "sign", "erf"};
  for (int op = 0; op < U_COUNT; op++) {
    const float *in = (op == U_LOG || op == U_SQRT || op == U_RSQRT || op == U_POW) ? xpos : x;
    float *y = zeros(n), *ys = zeros(n), *gy = randv(n, -1, 1), *gx = zeros(n), *gxs = zeros(n);
    float p = op == U_POW ? 1.7f : op == U_SCALE ? -0.37f : op == U_ADD_SCALAR ? 2.5f : 0.0f;
    simd->unary(op, in, y, n, p);
    scalar->unary(op, in, ys, n, p);
    char name[48];
    snprintf(name, sizeof name, "unary_%s", names[op]);
    /* sin/cos of |x| up to 12: a few ulps of a result near 0 */
    report(name, n, compare(name, y, ys, n, 1e-6, 2e-6));
    simd->unary_grad(op, in, ys, gy, gx, n, p);
    scalar->unary_grad(op, in, ys, gy, gxs, n, p);
    snprintf(name, sizeof name, "unary_grad_%s", names[op]);
    report(name, n, compare(name, gx, gxs, n, 1e-6, 2e-6));
    free(y), free(ys), free(gy), free(gx), free(gxs);
  }
  free(x), free(xpos);
}

static void check_binary(void) {
  const int64_t n = 517;
  float *a = randv(n, -3, 3), *b = randv(n, 0.5f, 3);
  a[0] = NAN, b[1] = NAN, a[2] = 1.0f, b[2] = 1.0f;
  static const char *names[] = {"add", "sub", "mul", "div", "maximum", "minimum", "pow"};
  for (int op = 0; op < B_COUNT; op++) {
    float *aa = a;
    float *pa = NULL;
    if (op == B_POW) { /* positive bases */
      pa = malloc(sizeof(float) * n);
      for (int64_t i = 0; i < n; i++) pa[i] = fabsf(a[i]) + 0.1f;
      pa[0] = NAN;
      aa = pa;
    }
    float *o = zeros(n), *os = zeros(n);
    /* b broadcast along a second dim for half of the cases: [11, 47] with b [1, 47] */
    Walk w = {0};
    w.ndim = 2, w.shape[0] = 11, w.shape[1] = 47;
    w.strides[0][0] = 47, w.strides[0][1] = 1, w.strides[1][0] = op % 2 ? 0 : 47, w.strides[1][1] = 1;
    simd->binary(op, aa, b, o, &w);
    scalar->binary(op, aa, b, os, &w);
    char name[48];
    snprintf(name, sizeof name, "binary_%s", names[op]);
    report(name, n, compare(name, o, os, n, 1e-6, 1e-6));
    free(o), free(os), free(pa);
  }
  free(a), free(b);
}

static void check_reduce(void) {
  static const int64_t shapes[][3] = {{1, 1003, 1}, {7, 37, 1}, {3, 19, 9}, {1, 64, 33}};
  static const char *names[] = {"sum", "max", "min", "prod"};
  for (int op = 0; op < R_COUNT; op++) {
    double worst = 0;
    int64_t total = 0;
    for (size_t s = 0; s < 4; s++) {
      int64_t outer = shapes[s][0], r = shapes[s][1], inner = shapes[s][2];
      float *x = randv(outer * r * inner, op == R_PROD ? 0.9f : -2, op == R_PROD ? 1.1f : 2);
      if (s == 1) x[3 * r + 5] = NAN; /* NaN handling (vmax/vmin's operand rule) in one row */
      float *o = zeros(outer * inner), *os = zeros(outer * inner);
      simd->reduce(op, x, outer, r, inner, o);
      scalar->reduce(op, x, outer, r, inner, os);
      double e = compare(names[op], o, os, outer * inner, 1e-5, 1e-5);
      if (e > worst) worst = e;
      total += outer * inner;
      free(x), free(o), free(os);
    }
    char name[48];
    snprintf(name, sizeof name, "reduce_%s", names[op]);
    report(name, total, worst);
  }
  float *x = randv(1003, -2, 2);
  double a = simd->sum_squares(x, 1003), b = 0;
  for (int i = 0; i < 1003; i++) b += (double)x[i] * x[i];
  float fa = (float)a, fb = (float)b;
  report("sum_squares", 1, compare("sum_squares", &fa, &fb, 1, 1e-6, 1e-6));
  free(x);
}

static void check_softmax_norms(void) {
  const int64_t rows = 9, cols = 131, n = rows * cols;
  float *x = randv(n, -8, 8), *gy = randv(n, -1, 1);
  for (int log = 0; log < 2; log++) {
    float *y = zeros(n), *ref = zeros(n), *gx = zeros(n), *gxs = zeros(n);
    simd->softmax(x, rows, cols, y, log);
    for (int64_t r = 0; r < rows; r++) {
      double mx = -INFINITY, sum = 0;
      for (int64_t c = 0; c < cols; c++) mx = fmax(mx, x[r * cols + c]);
      for (int64_t c = 0; c < cols; c++) sum += exp(x[r * cols + c] - mx);
      for (int64_t c = 0; c < cols; c++)
        ref[r * cols + c] = log ? (float)(x[r * cols + c] - mx - log1p(sum - 1)) : (float)(exp(x[r * cols + c] - mx) / sum);
    }
    const char *name = log ? "log_softmax" : "softmax";
    report(name, n, compare(name, y, ref, n, 1e-6, 1e-5));
    simd->softmax_grad(ref, gy, rows, cols, gx, log);
    scalar->softmax_grad(ref, gy, rows, cols, gxs, log);
    report(log ? "log_softmax_grad" : "softmax_grad", n, compare("softmax_grad", gx, gxs, n, 1e-6, 1e-5));
    free(y), free(ref), free(gx), free(gxs);
  }
  float *w = randv(cols, 0.5f, 1.5f), *b = randv(cols, -0.5f, 0.5f);
  float *y = zeros(n), *ys = zeros(n), *mean = zeros(rows), *rstd = zeros(rows), *means = zeros(rows),
        *rstds = zeros(rows);
  simd->layer_norm(x, w, b, rows, cols, 1e-5f, y, mean, rstd);
  scalar->layer_norm(x, w, b, rows, cols, 1e-5f, ys, means, rstds);
  report("layer_norm", n, compare("layer_norm", y, ys, n, 1e-5, 1e-5));
  float *gx = zeros(n), *gxs = zeros(n), *gw = zeros(cols), *gws = zeros(cols), *gb = zeros(cols), *gbs = zeros(cols);
  simd->layer_norm_grad(x, w, means, rstds, gy, rows, cols, gx, gw, gb);
  scalar->layer_norm_grad(x, w, means, rstds, gy, rows, cols, gxs, gws, gbs);
  report("layer_norm_grad", n, compare("layer_norm_grad", gx, gxs, n, 1e-5, 1e-5));
  report("layer_norm_grad_w", cols, compare("layer_norm_grad_w", gw, gws, cols, 1e-5, 1e-5));
  simd->rms_norm(x, w, rows, cols, 1e-6f, y, rstd);
  scalar->rms_norm(x, w, rows, cols, 1e-6f, ys, rstds);
  report("rms_norm", n, compare("rms_norm", y, ys, n, 1e-5, 1e-5));
  memset(gw, 0, sizeof(float) * cols), memset(gws, 0, sizeof(float) * cols);
  simd->rms_norm_grad(x, w, rstds, gy, rows, cols, gx, gw);
  scalar->rms_norm_grad(x, w, rstds, gy, rows, cols, gxs, gws);
  report("rms_norm_grad", n, compare("rms_norm_grad", gx, gxs, n, 1e-5, 1e-5));
  free(x), free(gy), free(w), free(b), free(y), free(ys), free(mean), free(rstd), free(means), free(rstds);
  free(gx), free(gxs), free(gw), free(gws), free(gb), free(gbs);
}

static void check_cross_entropy(void) {
  const int64_t rows = 6, classes = 203;
  float *logits = randv(rows * classes, -5, 5), *loss = zeros(rows), *losss = zeros(rows), *lse = zeros(rows),
        *lses = zeros(rows), *gl = randv(rows, 0.5f, 1), *gx = zeros(rows * classes), *gxs = zeros(rows * classes);
  int32_t targets[6] = {0, 5, 202, -100, 77, 1};
  simd->cross_entropy(logits, targets, rows, classes, -100, 0.1f, loss, lse);
  scalar->cross_entropy(logits, targets, rows, classes, -100, 0.1f, losss, lses);
  report("cross_entropy", rows, compare("cross_entropy", loss, losss, rows, 1e-5, 1e-5));
  simd->cross_entropy_grad(logits, targets, lses, gl, rows, classes, -100, 0.1f, gx);
  scalar->cross_entropy_grad(logits, targets, lses, gl, rows, classes, -100, 0.1f, gxs);
  report("cross_entropy_grad", rows * classes, compare("cross_entropy_grad", gx, gxs, rows * classes, 1e-6, 1e-5));
  free(logits), free(loss), free(losss), free(lse), free(lses), free(gl), free(gx), free(gxs);
}

static void check_attention(void) {
  const int64_t B = 2, H = 4, KVH = 2, T = 13, D = 24;
  float *q = randv(B * H * T * D, -1, 1), *k = randv(B * KVH * T * D, -1, 1), *v = randv(B * KVH * T * D, -1, 1);
  float *o = zeros(B * H * T * D), *ref = zeros(B * H * T * D), *lse = zeros(B * H * T);
  AttnArgs a;
  memset(&a, 0, sizeof a);
  a.q = q, a.k = k, a.v = v, a.out = o, a.lse = lse;
  /* dense [B, heads, T, D] layouts */
  a.q_sb = H * T * D, a.q_sh = T * D, a.q_st = D;
  a.k_sb = KVH * T * D, a.k_sh = T * D, a.k_st = D;
  a.v_sb = KVH * T * D, a.v_sh = T * D, a.v_st = D;
  a.o_sb = H * T * D, a.o_sh = T * D, a.o_st = D;
  a.batch = B, a.heads = H, a.kv_heads = KVH, a.tq = T, a.tk = T, a.d = D;
  a.scale = 1.0f / sqrtf((float)D), a.causal = 1;
  simd->attention(&a);
  for (int64_t b = 0; b < B; b++)
    for (int64_t h = 0; h < H; h++)
      for (int64_t i = 0; i < T; i++) {
        const int64_t kh = h / (H / KVH);
        double s[64], mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j <= i; j++) {
          double dot = 0;
          for (int64_t c = 0; c < D; c++) dot += (double)q[b * a.q_sb + h * a.q_sh + i * D + c] * k[b * a.k_sb + kh * a.k_sh + j * D + c];
          s[j] = dot * a.scale;
          mx = fmax(mx, s[j]);
        }
        for (int64_t j = 0; j <= i; j++) sum += (s[j] = exp(s[j] - mx));
        for (int64_t c = 0; c < D; c++) {
          double acc = 0;
          for (int64_t j = 0; j <= i; j++) acc += s[j] / sum * v[b * a.v_sb + kh * a.v_sh + j * D + c];
          ref[b * a.o_sb + h * a.o_sh + i * D + c] = (float)acc;
        }
      }
  report("attention", B * H * T * D, compare("attention", o, ref, B * H * T * D, 1e-5, 1e-4));
  free(q), free(k), free(v), free(o), free(ref), free(lse);
}

static void check_adamw(void) {
  const int64_t n = 1001;
  float *p = randv(n, -1, 1), *g = randv(n, -1, 1), *m = randv(n, -0.1f, 0.1f), *v = randv(n, 0, 0.01f);
  float *ps = malloc(sizeof(float) * n), *ms = malloc(sizeof(float) * n), *vs = malloc(sizeof(float) * n);
  memcpy(ps, p, sizeof(float) * n), memcpy(ms, m, sizeof(float) * n), memcpy(vs, v, sizeof(float) * n);
  AdamArgs a = {p, g, m, v, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, 1.0, 7};
  AdamArgs s = {ps, g, ms, vs, n, 1e-3, 0.9, 0.95, 1e-8, 0.1, 1.0, 7};
  simd->adamw(&a);
  scalar->adamw(&s);
  report("adamw", n, compare("adamw", p, ps, n, 1e-7, 1e-6));
  free(p), free(g), free(m), free(v), free(ps), free(ms), free(vs);
}

int main(void) {
  llmts_pool_init(2);
  printf("table %s vs %s\n", simd->name, scalar->name);
  check_gemm();
  check_unary();
  check_binary();
  check_reduce();
  check_softmax_norms();
  check_cross_entropy();
  check_attention();
  check_adamw();
  printf(failures ? "FAILED %d\n" : "ok\n", failures);
  return failures ? 1 : 0;
}
