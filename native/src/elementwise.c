/*
 * Elementwise float32 kernels: unary ops and their derivatives (matching
 * src/backends/reference/elementwise.ts), broadcasting binary / compare / where over a
 * strided walk, strided copies, fill.
 */
#include "kernels.h"
#include "par.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>
#include <string.h>

#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f
#define TWO_OVER_SQRT_PI 1.12837916709551257f
#define GELU_TANH_C 0.79788456080286536f

/* ---------- unary ---------- */

INL vf unary_v(int op, vf x, float p) {
  switch (op) {
    case U_NEG: return vneg(x);
    case U_EXP: return vexp(x);
    case U_LOG: return vlog(x);
    case U_SQRT: return vsqrt(x);
    case U_RSQRT: return vdiv(vset1(1.0f), vsqrt(x));
    case U_TANH: return vtanh(x);
    case U_SIGMOID: return vsigmoid(x);
    case U_RELU: return vsel(vgt(x, vzero()), x, vzero());
    case U_GELU: return vmul(x, vphi(x, NULL));
    case U_GELU_TANH: {
      /* 0.5 (1 + tanh u) = sigmoid(2u): accurate in the left tail too */
      vf u = vmul(vset1(GELU_TANH_C), vfma(vmul(vset1(0.044715f), vmul(x, x)), x, x));
      return vmul(x, vsigmoid(vadd(u, u)));
    }
    case U_SILU: return vmul(x, vsigmoid(x));
    case U_ABS: return vabs(x);
    case U_SQUARE: return vmul(x, x);
    case U_RECIPROCAL: return vdiv(vset1(1.0f), x);
    case U_SCALE: return vmul(x, vset1(p));
    case U_ADD_SCALAR: return vadd(x, vset1(p));
    case U_SIGN: {
      vf r = vsel(vgt(x, vzero()), vset1(1.0f), vzero());
      r = vsel(vlt(x, vzero()), vset1(-1.0f), r);
      return vsel(visnan(x), vzero(), r); /* the reference's x > 0 ? 1 : x < 0 ? -1 : 0 */
    }
    case U_ERF: {
      vf x2 = vmul(x, x);
      vf e, ec;
      verf_pos(vabs(x), x2, vfms(x, x, x2), &e, &ec);
      return vcopysign(e, x);
    }
    default: return x;
  }
}

/* ops without a vector form here: libm per element, in float64 where the reference is */
static float unary_s(int op, float x, float p) {
  switch (op) {
    case U_SIN: return sinf(x);
    case U_COS: return cosf(x);
    case U_POW: return (float)pow((double)x, (double)p);
    default: return x;
  }
}

typedef struct {
  int op;
  const float *x, *y, *gy;
  float *out;
  float p;
} UnaryJob;

static void unary_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const UnaryJob *j = ctx;
  const float *x = j->x;
  float *out = j->out;
  int op = j->op;
  float p = j->p;
  if (op == U_SIN || op == U_COS || (op == U_POW && p != 2.0f && p != 1.0f)) {
    for (int64_t i = lo; i < hi; i++) out[i] = unary_s(op, x[i], p);
    return;
  }
  if (op == U_POW) op = p == 2.0f ? U_SQUARE : U_SCALE; /* x^1 = x * 1 */
  int64_t i = lo;
  switch (op) {
#define UCASE(OP)                                                                  \
  case OP:                                                                         \
    for (; i + VL <= hi; i += VL) vstore(out + i, unary_v(OP, vload(x + i), p));   \
    if (i < hi) vstore_n(out + i, unary_v(OP, vload_n(x + i, hi - i), p), hi - i); \
    break;
    UCASE(U_NEG) UCASE(U_EXP) UCASE(U_LOG) UCASE(U_SQRT) UCASE(U_RSQRT) UCASE(U_TANH) UCASE(U_SIGMOID)
    UCASE(U_RELU) UCASE(U_GELU) UCASE(U_GELU_TANH) UCASE(U_SILU) UCASE(U_ABS) UCASE(U_SQUARE)
    UCASE(U_RECIPROCAL) UCASE(U_SCALE) UCASE(U_ADD_SCALAR) UCASE(U_SIGN) UCASE(U_ERF)
#undef UCASE
    default: break;
  }
}

static int64_t unary_grain(int op) {
  switch (op) {
    case U_NEG: case U_ABS: case U_RELU: case U_SQUARE: case U_SCALE: case U_ADD_SCALAR: case U_SIGN:
      return 1 << 16;
    default: return 1 << 13;
  }
}

void FN(unary)(int op, const float *x, float *y, int64_t n, float p) {
  UnaryJob j = {op, x, NULL, NULL, y, p};
  llmts_par_range(n, unary_grain(op), 16, unary_range, &j);
}

/* d f(x) / dx times gy, as reference/elementwise.ts unaryDerivative */
INL vf unary_grad_v(int op, vf x, vf y, vf gy, float p) {
  vf one = vset1(1.0f);
  switch (op) {
    case U_NEG: return vneg(gy);
    case U_EXP: return vmul(gy, y);
    case U_LOG: return vdiv(gy, x);
    case U_SQRT: return vdiv(vmul(gy, vset1(0.5f)), y);
    case U_RSQRT: return vmul(gy, vmul(vset1(-0.5f), vmul(y, vmul(y, y))));
    case U_TANH: return vmul(gy, v1msq(y));
    case U_SIGMOID: return vmul(gy, vmul(y, vsub(one, y)));
    case U_RELU: return vmul(gy, vsel(vgt(x, vzero()), one, vzero()));
    case U_GELU: {
      vf g;
      vf phi = vphi(x, &g);
      return vmul(gy, vfma(vmul(x, vset1(INV_SQRT_2PI)), g, phi));
    }
    case U_GELU_TANH: {
      /* d/dx x s(2u) = s + x * 2 s (1 - s) u', with 1 - s(2u) = s(-2u) */
      /* beyond |x| = 20 the derivative is exactly 1 or 0 in float32: clamp so x^3 cannot
       * overflow into inf * 0; +-inf itself stays NaN like the reference's 0 * inf */
      vf xc = vmin(vset1(20.0f), vmax(vset1(-20.0f), x));
      vf x2 = vmul(xc, xc);
      vf u = vmul(vset1(GELU_TANH_C), vfma(vmul(vset1(0.044715f), x2), xc, xc));
      vf du = vmul(vset1(GELU_TANH_C), vfma(vset1(3.0f * 0.044715f), x2, one));
      vf s = vsigmoid(vadd(u, u));
      vf sn = vsigmoid(vneg(vadd(u, u)));
      vf d = vfma(vmul(vadd(xc, xc), vmul(s, sn)), du, s);
      return vmul(gy, vsel(veq(vabs(x), vset1(INFINITY)), vset1(NAN), d));
    }
    case U_SILU: {
      vf s = vsigmoid(x);
      return vmul(gy, vmul(s, vfma(x, vsub(one, s), one)));
    }
    case U_ABS:
    case U_SIGN: {
      if (op == U_SIGN) return vmul(gy, vzero());
      vf d = vsel(vgt(x, vzero()), one, vzero());
      d = vsel(vlt(x, vzero()), vneg(one), d);
      return vmul(gy, d);
    }
    case U_SQUARE: return vmul(gy, vadd(x, x));
    case U_RECIPROCAL: return vmul(gy, vneg(vmul(y, y)));
    case U_SCALE: return vmul(gy, vset1(p));
    case U_ADD_SCALAR: return vmul(gy, one);
    case U_ERF: {
      vf x2 = vmul(x, x);
      return vmul(gy, vmul(vset1(TWO_OVER_SQRT_PI), vexp_neg2_clamped(x2, vfms(x, x, x2))));
    }
    default: return gy;
  }
}

static float unary_grad_s(int op, float x, float gy, float p) {
  switch (op) {
    case U_SIN: return gy * cosf(x);
    case U_COS: return gy * -sinf(x);
    case U_POW: return p == 0.0f ? gy * 0.0f : (float)((double)gy * (double)p * pow((double)x, (double)p - 1.0));
    default: return gy;
  }
}

static void unary_grad_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const UnaryJob *j = ctx;
  const float *x = j->x, *y = j->y, *gy = j->gy;
  float *gx = j->out;
  int op = j->op;
  float p = j->p;
  if (op == U_SIN || op == U_COS || op == U_POW) {
    for (int64_t i = lo; i < hi; i++) gx[i] = unary_grad_s(op, x[i], gy[i], p);
    return;
  }
  int64_t i = lo;
  switch (op) {
#define GCASE(OP)                                                                                   \
  case OP:                                                                                          \
    for (; i + VL <= hi; i += VL)                                                                   \
      vstore(gx + i, unary_grad_v(OP, vload(x + i), vload(y + i), vload(gy + i), p));               \
    if (i < hi) {                                                                                   \
      int64_t r = hi - i;                                                                           \
      vstore_n(gx + i, unary_grad_v(OP, vload_n(x + i, r), vload_n(y + i, r), vload_n(gy + i, r), p), r); \
    }                                                                                               \
    break;
    GCASE(U_NEG) GCASE(U_EXP) GCASE(U_LOG) GCASE(U_SQRT) GCASE(U_RSQRT) GCASE(U_TANH) GCASE(U_SIGMOID)
    GCASE(U_RELU) GCASE(U_GELU) GCASE(U_GELU_TANH) GCASE(U_SILU) GCASE(U_ABS) GCASE(U_SQUARE)
    GCASE(U_RECIPROCAL) GCASE(U_SCALE) GCASE(U_ADD_SCALAR) GCASE(U_SIGN) GCASE(U_ERF)
#undef GCASE
    default: break;
  }
}

void FN(unary_grad)(int op, const float *x, const float *y, const float *gy, float *gx, int64_t n, float p) {
  UnaryJob j = {op, x, y, gy, gx, p};
  llmts_par_range(n, unary_grain(op) / 2, 16, unary_grad_range, &j);
}

/* ---------- strided walks ---------- */

/* Calls row(ctx, out_offset, offsets[3], len) for each run of the innermost dimension that
 * falls in output positions [lo, hi). */
typedef void (*row_fn)(void *ctx, int64_t out, const int64_t *offs, int64_t len);

static void walk_range(const Walk *w, int nops, int64_t lo, int64_t hi, row_fn row, void *ctx) {
  int nd = w->ndim;
  int64_t inner = w->shape[nd - 1];
  int64_t idx[LLMTS_MAX_DIMS];
  int64_t offs[3] = {0, 0, 0};
  int64_t rem = lo / inner, j0 = lo % inner;
  for (int d = nd - 2; d >= 0; d--) {
    idx[d] = rem % w->shape[d];
    rem /= w->shape[d];
  }
  for (int o = 0; o < nops; o++) {
    int64_t off = j0 * w->strides[o][nd - 1];
    for (int d = 0; d < nd - 1; d++) off += idx[d] * w->strides[o][d];
    offs[o] = off;
  }
  int64_t pos = lo;
  while (pos < hi) {
    int64_t len = inner - j0 < hi - pos ? inner - j0 : hi - pos;
    row(ctx, pos, offs, len);
    pos += len;
    if (pos >= hi) break;
    /* next row: undo the partial inner advance, carry into outer dims */
    for (int o = 0; o < nops; o++) offs[o] -= j0 * w->strides[o][nd - 1];
    j0 = 0;
    for (int d = nd - 2; d >= 0; d--) {
      idx[d]++;
      for (int o = 0; o < nops; o++) offs[o] += w->strides[o][d];
      if (idx[d] < w->shape[d]) break;
      for (int o = 0; o < nops; o++) offs[o] -= idx[d] * w->strides[o][d];
      idx[d] = 0;
    }
  }
}

static int64_t walk_total(const Walk *w) {
  int64_t t = 1;
  for (int d = 0; d < w->ndim; d++) t *= w->shape[d];
  return t;
}

/* ---------- binary ---------- */

typedef struct {
  int op;
  const float *a, *b;
  float *out;
  const Walk *w;
  int64_t sa, sb; /* inner strides */
} BinJob;

INL vf binop_v(int op, vf a, vf b) {
  switch (op) {
    case B_ADD: return vadd(a, b);
    case B_SUB: return vsub(a, b);
    case B_MUL: return vmul(a, b);
    case B_DIV: return vdiv(a, b);
    /* a >= b || isNaN(a) ? a : b (so NaN in either operand wins) */
    case B_MAXIMUM: return vsel(vmor(vge(a, b), visnan(a)), a, b);
    case B_MINIMUM: return vsel(vmor(vle(a, b), visnan(a)), a, b);
    default: return a;
  }
}

static float binop_s(int op, float a, float b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAXIMUM: return a >= b || a != a ? a : b;
    case B_MINIMUM: return a <= b || a != a ? a : b;
    case B_POW: return (float)pow((double)a, (double)b);
    default: return a;
  }
}

#define BIN_ROW(NAME, OP)                                                                   \
  static void NAME(const float *a, int64_t sa, const float *b, int64_t sb, float *o, int64_t n) { \
    int64_t i = 0;                                                                          \
    if (sa == 1 && sb == 1) {                                                               \
      for (; i + VL <= n; i += VL) vstore(o + i, binop_v(OP, vload(a + i), vload(b + i))); \
      if (i < n) vstore_n(o + i, binop_v(OP, vload_n(a + i, n - i), vload_n(b + i, n - i)), n - i); \
    } else if (sa == 1 && sb == 0) {                                                        \
      vf bv = vset1(*b);                                                                    \
      for (; i + VL <= n; i += VL) vstore(o + i, binop_v(OP, vload(a + i), bv));            \
      if (i < n) vstore_n(o + i, binop_v(OP, vload_n(a + i, n - i), bv), n - i);            \
    } else if (sa == 0 && sb == 1) {                                                        \
      vf av = vset1(*a);                                                                    \
      for (; i + VL <= n; i += VL) vstore(o + i, binop_v(OP, av, vload(b + i)));            \
      if (i < n) vstore_n(o + i, binop_v(OP, av, vload_n(b + i, n - i)), n - i);            \
    } else {                                                                                \
      for (; i < n; i++) o[i] = binop_s(OP, a[i * sa], b[i * sb]);                          \
    }                                                                                       \
  }
BIN_ROW(bin_add, B_ADD)
BIN_ROW(bin_sub, B_SUB)
BIN_ROW(bin_mul, B_MUL)
BIN_ROW(bin_div, B_DIV)
BIN_ROW(bin_max, B_MAXIMUM)
BIN_ROW(bin_min, B_MINIMUM)
#undef BIN_ROW

static void bin_row(void *ctx, int64_t out, const int64_t *offs, int64_t len) {
  const BinJob *j = ctx;
  const float *a = j->a + offs[0], *b = j->b + offs[1];
  float *o = j->out + out;
  switch (j->op) {
    case B_ADD: bin_add(a, j->sa, b, j->sb, o, len); break;
    case B_SUB: bin_sub(a, j->sa, b, j->sb, o, len); break;
    case B_MUL: bin_mul(a, j->sa, b, j->sb, o, len); break;
    case B_DIV: bin_div(a, j->sa, b, j->sb, o, len); break;
    case B_MAXIMUM: bin_max(a, j->sa, b, j->sb, o, len); break;
    case B_MINIMUM: bin_min(a, j->sa, b, j->sb, o, len); break;
    default:
      for (int64_t i = 0; i < len; i++) o[i] = binop_s(j->op, a[i * j->sa], b[i * j->sb]);
  }
}

static void bin_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const BinJob *j = ctx;
  walk_range(j->w, 2, lo, hi, bin_row, ctx);
}

void FN(binary)(int op, const float *a, const float *b, float *out, const Walk *w) {
  int nd = w->ndim;
  BinJob j = {op, a, b, out, w, w->strides[0][nd - 1], w->strides[1][nd - 1]};
  llmts_par_range(walk_total(w), op == B_POW ? 1 << 12 : 1 << 15, 16, bin_range, &j);
}

/* ---------- compare, where ---------- */

typedef struct {
  int op;
  const void *a, *b, *c;
  void *out;
  const Walk *w;
} WalkJob;

static void cmp_row(void *ctx, int64_t out, const int64_t *offs, int64_t len) {
  const WalkJob *j = ctx;
  const float *a = (const float *)j->a + offs[0], *b = (const float *)j->b + offs[1];
  int64_t sa = j->w->strides[0][j->w->ndim - 1], sb = j->w->strides[1][j->w->ndim - 1];
  uint8_t *o = (uint8_t *)j->out + out;
  switch (j->op) {
#define CCASE(OP, EXPR) \
  case OP: for (int64_t i = 0; i < len; i++) { float x = a[i * sa], y = b[i * sb]; o[i] = (EXPR) ? 1 : 0; } break;
    CCASE(C_EQ, x == y) CCASE(C_NE, x != y) CCASE(C_LT, x < y) CCASE(C_LE, x <= y) CCASE(C_GT, x > y) CCASE(C_GE, x >= y)
#undef CCASE
    default: break;
  }
}

static void cmp_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const WalkJob *j = ctx;
  walk_range(j->w, 2, lo, hi, cmp_row, ctx);
}

void FN(compare)(int op, const float *a, const float *b, uint8_t *out, const Walk *w) {
  WalkJob j = {op, a, b, NULL, out, w};
  llmts_par_range(walk_total(w), 1 << 15, 64, cmp_range, &j);
}

static void where_row(void *ctx, int64_t out, const int64_t *offs, int64_t len) {
  const WalkJob *j = ctx;
  int nd = j->w->ndim;
  const uint8_t *c = (const uint8_t *)j->c + offs[0];
  const float *a = (const float *)j->a + offs[1], *b = (const float *)j->b + offs[2];
  int64_t sc = j->w->strides[0][nd - 1], sa = j->w->strides[1][nd - 1], sb = j->w->strides[2][nd - 1];
  float *o = (float *)j->out + out;
  if (sc == 1 && sa == 1 && sb == 1) {
    for (int64_t i = 0; i < len; i++) o[i] = c[i] ? a[i] : b[i];
  } else {
    for (int64_t i = 0; i < len; i++) o[i] = c[i * sc] ? a[i * sa] : b[i * sb];
  }
}

static void where_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const WalkJob *j = ctx;
  walk_range(j->w, 3, lo, hi, where_row, ctx);
}

void FN(where)(const uint8_t *cond, const float *a, const float *b, float *out, const Walk *w) {
  WalkJob j = {0, a, b, cond, out, w};
  llmts_par_range(walk_total(w), 1 << 15, 16, where_range, &j);
}

/* ---------- strided copy ---------- */

typedef struct {
  const void *src;
  void *out;
  int elsize;
  const Walk *w;
} CopyJob;

static void copy_row(void *ctx, int64_t out, const int64_t *offs, int64_t len) {
  const CopyJob *j = ctx;
  int64_t s = j->w->strides[0][j->w->ndim - 1];
  switch (j->elsize) {
    case 4: {
      const uint32_t *src = (const uint32_t *)j->src + offs[0];
      uint32_t *o = (uint32_t *)j->out + out;
      if (s == 1) memcpy(o, src, (size_t)len * 4);
      else if (s == 0) for (int64_t i = 0; i < len; i++) o[i] = src[0];
      else for (int64_t i = 0; i < len; i++) o[i] = src[i * s];
      break;
    }
    case 8: {
      const uint64_t *src = (const uint64_t *)j->src + offs[0];
      uint64_t *o = (uint64_t *)j->out + out;
      if (s == 1) memcpy(o, src, (size_t)len * 8);
      else for (int64_t i = 0; i < len; i++) o[i] = src[i * s];
      break;
    }
    default: {
      const uint8_t *src = (const uint8_t *)j->src + offs[0];
      uint8_t *o = (uint8_t *)j->out + out;
      if (s == 1) memcpy(o, src, (size_t)len);
      else for (int64_t i = 0; i < len; i++) o[i] = src[i * s];
    }
  }
}

static void copy_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const CopyJob *j = ctx;
  walk_range(j->w, 1, lo, hi, copy_row, ctx);
}

/* A transpose-like copy (the source is contiguous along output dim nd-2, strided along the
 * last): copy 32x32 tiles so both sides stay in cache. Task = one outer index x row block. */
typedef struct {
  const uint32_t *src;
  uint32_t *out;
  const Walk *w;
  int64_t rows, cols, sr, sc, outer, rblocks;
} TransJob;

#define TT 16
static void trans_task(void *ctx, long t, int tid) {
  const TransJob *j = ctx;
  const Walk *w = j->w;
  int nd = w->ndim;
  int64_t o = t / j->rblocks, rb = t % j->rblocks;
  /* source offset of outer index o */
  int64_t off = 0, rem = o;
  for (int d = nd - 3; d >= 0; d--) {
    off += (rem % w->shape[d]) * w->strides[0][d];
    rem /= w->shape[d];
  }
  const uint32_t *src = j->src + off;
  uint32_t *dst = j->out + o * j->rows * j->cols;
  int64_t r0 = rb * TT, r1 = r0 + TT < j->rows ? r0 + TT : j->rows;
  /* through a small dense tile: the strided side touches whole cache lines, and power-of-two
   * strides cannot make the tile's lines collide in one cache set */
  uint32_t tile[TT][TT];
  for (int64_t c0 = 0; c0 < j->cols; c0 += TT) {
    int64_t c1 = c0 + TT < j->cols ? c0 + TT : j->cols;
    for (int64_t c = c0; c < c1; c++) {
      const uint32_t *s = src + r0 * j->sr + c * j->sc;
      for (int64_t r = 0; r < r1 - r0; r++) tile[c - c0][r] = s[r * j->sr];
    }
    for (int64_t r = r0; r < r1; r++) {
      uint32_t *d = dst + r * j->cols + c0;
      for (int64_t c = 0; c < c1 - c0; c++) d[c] = tile[c][r - r0];
    }
  }
}

void FN(copy)(const void *src, void *out, int elsize, const Walk *w) {
  int nd = w->ndim;
  int64_t total = walk_total(w);
  if (total == 0) return;
  if (elsize == 4 && nd >= 2 && w->strides[0][nd - 2] == 1 && w->strides[0][nd - 1] != 1 && w->shape[nd - 1] >= 8 &&
      w->shape[nd - 2] >= 8) {
    int64_t rows = w->shape[nd - 2], cols = w->shape[nd - 1];
    TransJob j = {src, out, w, rows, cols, 1, w->strides[0][nd - 1], total / (rows * cols), (rows + TT - 1) / TT};
    long tasks = (long)(j.outer * j.rblocks);
    if (llmts_pool_threads() == 1 || total < (1 << 16)) {
      for (long t = 0; t < tasks; t++) trans_task(&j, t, 0);
    } else {
      llmts_parallel_for(tasks, trans_task, &j);
    }
    return;
  }
  CopyJob j = {src, out, elsize, w};
  llmts_par_range(total, (1 << 17) / elsize, 16, copy_range, &j);
}

/* ---------- assign (strided destination) ---------- */

typedef struct {
  void *dst;
  const void *src;
  int elsize;
  const Walk *w;
} AssignJob;

static void assign_row(void *ctx, int64_t out, const int64_t *offs, int64_t len) {
  const AssignJob *j = ctx;
  int nd = j->w->ndim;
  int64_t sd = j->w->strides[0][nd - 1], ss = j->w->strides[1][nd - 1];
  switch (j->elsize) {
    case 4: {
      uint32_t *d = (uint32_t *)j->dst + offs[0];
      const uint32_t *s = (const uint32_t *)j->src + offs[1];
      if (sd == 1 && ss == 1) memmove(d, s, (size_t)len * 4);
      else for (int64_t i = 0; i < len; i++) d[i * sd] = s[i * ss];
      break;
    }
    case 8: {
      uint64_t *d = (uint64_t *)j->dst + offs[0];
      const uint64_t *s = (const uint64_t *)j->src + offs[1];
      if (sd == 1 && ss == 1) memmove(d, s, (size_t)len * 8);
      else for (int64_t i = 0; i < len; i++) d[i * sd] = s[i * ss];
      break;
    }
    default: {
      uint8_t *d = (uint8_t *)j->dst + offs[0];
      const uint8_t *s = (const uint8_t *)j->src + offs[1];
      if (sd == 1 && ss == 1) memmove(d, s, (size_t)len);
      else for (int64_t i = 0; i < len; i++) d[i * sd] = s[i * ss];
    }
  }
}

static void assign_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const AssignJob *j = ctx;
  walk_range(j->w, 2, lo, hi, assign_row, ctx);
}

void FN(assign)(void *dst, const void *src, int elsize, const Walk *w) {
  AssignJob j = {dst, src, elsize, w};
  llmts_par_range(walk_total(w), (1 << 17) / elsize, 16, assign_range, &j);
}

/* ---------- fill ---------- */

typedef struct {
  uint32_t *out;
  uint32_t bits;
} FillJob;

static void fill_range(void *ctx, int64_t lo, int64_t hi, int tid) {
  const FillJob *j = ctx;
  for (int64_t i = lo; i < hi; i++) j->out[i] = j->bits;
}

void FN(fill32)(uint32_t *out, int64_t n, uint32_t bits) {
  FillJob j = {out, bits};
  llmts_par_range(n, 1 << 18, 16, fill_range, &j);
}
