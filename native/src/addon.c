/*
 * N-API entry points. Calls are synchronous and cheap: arrays arrive as typed arrays
 * (napi_get_typedarray_info gives the data pointer), every scalar argument is read from a
 * Float64Array `args` shared with the TS wrapper (src/backends/native/index.ts writes the
 * scalars there, then calls the kernel with only its arrays). Each entry validates every
 * argument before a kernel runs (check.h: array kinds and byte lengths, integer ranges,
 * offsets, strides, leading dimensions, op codes, disjoint outputs), so a wrapper bug, or any
 * direct call, throws a typed error instead of reading or writing out of bounds.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "pool.h"

#define ARGS_LEN 64

/* per JS thread: each Node environment (main thread, workers) has its own buffer */
static _Thread_local double *args_buf;
static const KernelTable *table = &llmts_table_scalar;
/* 0 = scalar; x86-64: 1 = avx2, 2 = avx512; AArch64: 1 = neon. binding.gyp builds only the
 * tables of the target architecture, so the others are never referenced there. */
static int best_isa = 0;

static const KernelTable *table_for(int level) {
#if defined(__x86_64__)
  return level >= 2 ? &llmts_table_avx512 : level == 1 ? &llmts_table_avx2 : &llmts_table_scalar;
#elif defined(__aarch64__)
  return level >= 1 ? &llmts_table_neon : &llmts_table_scalar;
#else
  (void)level;
  return &llmts_table_scalar;
#endif
}

static int detect_isa(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
    return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#elif defined(__aarch64__)
  return 1; /* Advanced SIMD is part of every AArch64 (ARMv8-A) core */
#endif
  return 0;
}

static int isa_level(const char *name) {
  if (strcmp(name, "scalar") == 0) return 0;
#if defined(__x86_64__)
  if (strcmp(name, "avx512") == 0) return 2;
  if (strcmp(name, "avx2") == 0) return 1;
#elif defined(__aarch64__)
  if (strcmp(name, "neon") == 0) return 1;
#endif
  return -1;
}

/* ---------- argument handling (the checks themselves are in check.h) ---------- */

/* per JS thread, as args_buf: the error class the TS loader registered (setErrorClass) */
static _Thread_local napi_ref error_class;

/* Throws the failed check as a typed error: new ErrorClass("native.<fn>", message) when the
 * loader registered one (llmts's ArgumentError), else a TypeError/RangeError; code
 * LLMTS_NATIVE_ARGUMENT either way. Returns NULL for the entry point to return. */
static napi_value fail(napi_env env, const Check *c) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return NULL; /* already thrown */
  char op[48];
  snprintf(op, sizeof op, "native.%s", c->fn);
  napi_value ctor, argv[2], err, code;
  if (error_class != NULL && napi_get_reference_value(env, error_class, &ctor) == napi_ok && ctor != NULL &&
      napi_create_string_utf8(env, op, NAPI_AUTO_LENGTH, &argv[0]) == napi_ok &&
      napi_create_string_utf8(env, c->msg, NAPI_AUTO_LENGTH, &argv[1]) == napi_ok &&
      napi_new_instance(env, ctor, 2, argv, &err) == napi_ok) {
    napi_throw(env, err);
    return NULL;
  }
  char msg[300];
  snprintf(msg, sizeof msg, "%s: %s", op, c->msg);
  if (napi_create_string_utf8(env, "LLMTS_NATIVE_ARGUMENT", NAPI_AUTO_LENGTH, &code) != napi_ok) code = NULL;
  napi_value text;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  if (c->kind == CHECK_TYPE) napi_create_type_error(env, code, text, &err);
  else napi_create_range_error(env, code, text, &err);
  napi_throw(env, err);
  return NULL;
}

static int kind_of(napi_typedarray_type t, int *elsize) {
  switch (t) {
    case napi_float32_array: *elsize = 4; return K_F32;
    case napi_float64_array: *elsize = 8; return K_F64;
    case napi_int32_array: *elsize = 4; return K_I32;
    case napi_uint8_array: *elsize = 1; return K_U8;
    case napi_uint32_array: *elsize = 4; return K_U32;
    case napi_int8_array: case napi_uint8_clamped_array: *elsize = 1; return K_OTHER;
    case napi_uint16_array: *elsize = 2; return K_U16;
    case napi_int16_array: *elsize = 2; return K_OTHER;
    default: *elsize = 8; return K_OTHER; /* bigint arrays */
  }
}

/* argument i as a Buf; null/undefined is absent (allowed when optional), anything else that is
 * not a typed array of an accepted kind fails */
static int get_buf(napi_env env, Check *c, napi_value v, int i, const char *name, int accepted, int optional,
                   Buf *out) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  out->index = i;
  out->name = name;
  out->present = 0;
  out->data = NULL;
  out->bytes = 0;
  out->kind = 0;
  out->elsize = 1;
  /* one N-API call on the common path: it fails (napi_invalid_arg, no exception) for anything
   * that is not a typed array */
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok) {
    napi_valuetype vt = napi_undefined;
    napi_typeof(env, v, &vt);
    if (optional && (vt == napi_null || vt == napi_undefined)) return 1;
    return check_fail(c, CHECK_TYPE, "%s (argument %d) must be a typed array%s", name, i, optional ? " or null" : "");
  }
  out->present = 1;
  out->data = data;
  out->kind = kind_of(type, &out->elsize);
  out->bytes = (int64_t)len * out->elsize;
  return check_kind(c, out, accepted, optional);
}

#define GET_ARGS(N)                                                                 \
  napi_value argv[N];                                                               \
  size_t argc = N;                                                                  \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (argc < N) {                                                                   \
    check_fail(&ck, CHECK_TYPE, "takes %d arguments, got %zu", N, argc);            \
    return fail(env, &ck);                                                          \
  }
/* the start of every entry point: its name (for messages) and its N array arguments */
#define ENTRY(NAME, N) \
  Check ck;            \
  ck.fn = NAME;        \
  ck.kind = 0;         \
  GET_ARGS(N)
/* array argument i of the accepted kinds (K_ bits); opt: null allowed */
#define ARR(i, name, kinds, opt) \
  Buf name;                      \
  if (!get_buf(env, &ck, argv[i], i, #name, kinds, opt, &name)) return fail(env, &ck);
/* the scalar args[i] as an integer in [lo, hi] */
#define INT(name, i, lo, hi) \
  int64_t name = 0;          \
  if (!check_int(&ck, args_buf, i, lo, hi, #name, &name)) return fail(env, &ck);
#define SIZE(name, i) INT(name, i, 0, LLMTS_MAX_INT)
#define FLAG(name, i) INT(name, i, 0, 1)
/* the array holds `elems` elements of its kind */
#define NEED(buf, elems) \
  if (!check_need(&ck, &buf, (double)(elems))) return fail(env, &ck);
#define CHECK(expr) \
  if (!(expr)) return fail(env, &ck);
#define A(i) (args_buf[i])

/* ---------- kernels ---------- */

/* sgemm(a, b, c); args: batch m n k transA transB lda ldb ldc strideA strideB strideC accumulate.
 * Row-major, leading dimensions at least the stored columns (BLAS's rule), C written once per
 * element across the batch. */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  ENTRY("sgemm", 3)
  ARR(0, a, K_F32, 0) ARR(1, b, K_F32, 0) ARR(2, c, K_F32, 0)
  SIZE(batch, 0) SIZE(m, 1) SIZE(n, 2) SIZE(k, 3) FLAG(trans_a, 4) FLAG(trans_b, 5)
  SIZE(lda, 6) SIZE(ldb, 7) SIZE(ldc, 8) SIZE(stride_a, 9) SIZE(stride_b, 10) SIZE(stride_c, 11) FLAG(accumulate, 12)
  if (batch == 0 || m == 0 || n == 0) return NULL; /* C is empty */
  int64_t ar = trans_a ? k : m, ac = trans_a ? m : k, br = trans_b ? n : k, bc = trans_b ? k : n;
  if (lda < ac || ldb < bc || ldc < n) {
    check_fail(&ck, CHECK_RANGE, "leading dimensions lda %lld, ldb %lld, ldc %lld must be at least the stored columns (%lld, %lld, %lld)",
               (long long)lda, (long long)ldb, (long long)ldc, (long long)ac, (long long)bc, (long long)n);
    return fail(env, &ck);
  }
  int64_t c_size[3] = {batch, m, n}, c_stride[3] = {stride_c, ldc, 1};
  CHECK(check_disjoint(&ck, "matmul C", 3, c_size, c_stride))
  if (k > 0) {
    int64_t a_size[3] = {batch, ar, ac}, a_stride[3] = {stride_a, lda, 1};
    int64_t b_size[3] = {batch, br, bc}, b_stride[3] = {stride_b, ldb, 1};
    NEED(a, span_of(3, a_size, a_stride, 0)) NEED(b, span_of(3, b_size, b_stride, 0))
  }
  NEED(c, span_of(3, c_size, c_stride, 0))
  GemmArgs g = {a.data, b.data, c.data, batch, m, n, k, (int)trans_a, (int)trans_b, lda, ldb, ldc,
                stride_a, stride_b, stride_c, (int)accumulate};
  table->sgemm(&g);
  return NULL;
}

/* unary(x, y); args: op n p */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  ENTRY("unary", 2)
  ARR(0, x, K_F32, 0) ARR(1, y, K_F32, 0)
  INT(op, 0, 0, U_COUNT - 1) SIZE(n, 1)
  NEED(x, n) NEED(y, n)
  if (n > 0) table->unary((int)op, x.data, y.data, n, (float)A(2));
  return NULL;
}

/* unaryGrad(x, y, gy, gx); args: op n p */
static napi_value js_unary_grad(napi_env env, napi_callback_info info) {
  ENTRY("unaryGrad", 4)
  ARR(0, x, K_F32, 0) ARR(1, y, K_F32, 0) ARR(2, gy, K_F32, 0) ARR(3, gx, K_F32, 0)
  INT(op, 0, 0, U_COUNT - 1) SIZE(n, 1)
  NEED(x, n) NEED(y, n) NEED(gy, n) NEED(gx, n)
  if (n > 0) table->unary_grad((int)op, x.data, y.data, gy.data, gx.data, n, (float)A(2));
  return NULL;
}

/* binary(a, b, out); args: op, walk at 1 (operands a, b; out dense) */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  ENTRY("binary", 3)
  ARR(0, a, K_F32, 0) ARR(1, b, K_F32, 0) ARR(2, out, K_F32, 0)
  INT(op, 0, 0, B_COUNT - 1)
  Walk w;
  int64_t offs[3];
  double total;
  CHECK(check_walk(&ck, args_buf, 1, 2, &w, offs, &total))
  if (total == 0) return NULL;
  NEED(a, walk_span(&w, 0, offs[0])) NEED(b, walk_span(&w, 1, offs[1])) NEED(out, total)
  table->binary((int)op, (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return NULL;
}

/* compare(a, b, out); args: op, walk at 1 */
static napi_value js_compare(napi_env env, napi_callback_info info) {
  ENTRY("compare", 3)
  ARR(0, a, K_F32, 0) ARR(1, b, K_F32, 0) ARR(2, out, K_U8, 0)
  INT(op, 0, 0, C_COUNT - 1)
  Walk w;
  int64_t offs[3];
  double total;
  CHECK(check_walk(&ck, args_buf, 1, 2, &w, offs, &total))
  if (total == 0) return NULL;
  NEED(a, walk_span(&w, 0, offs[0])) NEED(b, walk_span(&w, 1, offs[1])) NEED(out, total)
  table->compare((int)op, (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return NULL;
}

/* where(cond, a, b, out); walk at 1 (operands cond, a, b) */
static napi_value js_where(napi_env env, napi_callback_info info) {
  ENTRY("where", 4)
  ARR(0, cond, K_U8, 0) ARR(1, a, K_F32, 0) ARR(2, b, K_F32, 0) ARR(3, out, K_F32, 0)
  Walk w;
  int64_t offs[3];
  double total;
  CHECK(check_walk(&ck, args_buf, 1, 3, &w, offs, &total))
  if (total == 0) return NULL;
  NEED(cond, walk_span(&w, 0, offs[0])) NEED(a, walk_span(&w, 1, offs[1])) NEED(b, walk_span(&w, 2, offs[2]))
  NEED(out, total)
  table->where((const uint8_t *)cond.data + offs[0], (const float *)a.data + offs[1], (const float *)b.data + offs[2],
               out.data, &w);
  return NULL;
}

static int same_kind(Check *c, const Buf *x, const Buf *y) {
  if (x->kind == y->kind) return 1;
  return check_fail(c, CHECK_TYPE, "%s is a %s but %s is a %s (they must match)", x->name, kind_name(x->kind), y->name,
                    kind_name(y->kind));
}

/* copy(src, out); walk at 1 (operand src; out dense; same kind on both sides) */
static napi_value js_copy(napi_env env, napi_callback_info info) {
  ENTRY("copy", 2)
  ARR(0, src, K_DATA, 0) ARR(1, out, K_DATA, 0)
  CHECK(same_kind(&ck, &src, &out))
  Walk w;
  int64_t offs[3];
  double total;
  CHECK(check_walk(&ck, args_buf, 1, 1, &w, offs, &total))
  if (total == 0) return NULL;
  NEED(src, walk_span(&w, 0, offs[0])) NEED(out, total)
  table->copy((const char *)src.data + offs[0] * src.elsize, out.data, src.elsize, &w);
  return NULL;
}

/* assign(dst, src); walk at 1 (operand 0 = dst, written once per element; 1 = src; same kind) */
static napi_value js_assign(napi_env env, napi_callback_info info) {
  ENTRY("assign", 2)
  ARR(0, dst, K_DATA, 0) ARR(1, src, K_DATA, 0)
  CHECK(same_kind(&ck, &dst, &src))
  Walk w;
  int64_t offs[3];
  double total;
  CHECK(check_walk(&ck, args_buf, 1, 2, &w, offs, &total))
  if (total == 0) return NULL;
  CHECK(check_disjoint(&ck, "assign dst", w.ndim, w.shape, w.strides[0]))
  NEED(dst, walk_span(&w, 0, offs[0])) NEED(src, walk_span(&w, 1, offs[1]))
  table->assign((char *)dst.data + offs[0] * dst.elsize, (const char *)src.data + offs[1] * src.elsize, dst.elsize, &w);
  return NULL;
}

/* fill(out); args: n value (float32, or int32 for an Int32Array) */
static napi_value js_fill(napi_env env, napi_callback_info info) {
  ENTRY("fill", 1)
  ARR(0, out, K_F32 | K_I32, 0)
  SIZE(n, 0)
  NEED(out, n)
  uint32_t bits;
  if (out.kind == K_F32) {
    float f = (float)A(1);
    memcpy(&bits, &f, 4);
  } else {
    INT(value, 1, INT32_MIN, INT32_MAX)
    bits = (uint32_t)(int32_t)value;
  }
  if (n > 0) table->fill32(out.data, n, bits);
  return NULL;
}

/* reduce(x, out); args: op outer r inner (x [outer, r, inner] -> out [outer, inner]) */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  ENTRY("reduce", 2)
  ARR(0, x, K_F32, 0) ARR(1, out, K_F32, 0)
  INT(op, 0, 0, R_COUNT - 1) SIZE(outer, 1) SIZE(r, 2) SIZE(inner, 3)
  if (outer == 0 || inner == 0) return NULL; /* out is empty */
  NEED(x, (double)outer * r * inner) NEED(out, (double)outer * inner)
  table->reduce((int)op, x.data, outer, r, inner, out.data);
  return NULL;
}

/* sumSquares(x); args: n -> number */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  ENTRY("sumSquares", 1)
  ARR(0, x, K_F32, 0)
  SIZE(n, 0)
  NEED(x, n)
  napi_value r;
  napi_create_double(env, n > 0 ? table->sum_squares(x.data, n) : 0.0, &r);
  return r;
}

/* softmax(x, out); args: rows cols log */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  ENTRY("softmax", 2)
  ARR(0, x, K_F32, 0) ARR(1, out, K_F32, 0)
  SIZE(rows, 0) SIZE(cols, 1) FLAG(log, 2)
  if (rows == 0 || cols == 0) return NULL;
  NEED(x, (double)rows * cols) NEED(out, (double)rows * cols)
  table->softmax(x.data, rows, cols, out.data, (int)log);
  return NULL;
}

/* softmaxGrad(y, gy, gx); args: rows cols log */
static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  ENTRY("softmaxGrad", 3)
  ARR(0, y, K_F32, 0) ARR(1, gy, K_F32, 0) ARR(2, gx, K_F32, 0)
  SIZE(rows, 0) SIZE(cols, 1) FLAG(log, 2)
  if (rows == 0 || cols == 0) return NULL;
  double n = (double)rows * cols;
  NEED(y, n) NEED(gy, n) NEED(gx, n)
  table->softmax_grad(y.data, gy.data, rows, cols, gx.data, (int)log);
  return NULL;
}

/* layerNorm(x, w, b, y, mean, rstd); args: rows cols eps (w, b may be null) */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  ENTRY("layerNorm", 6)
  ARR(0, x, K_F32, 0) ARR(1, w, K_F32, 1) ARR(2, b, K_F32, 1) ARR(3, y, K_F32, 0) ARR(4, mean, K_F32, 0)
  ARR(5, rstd, K_F32, 0)
  SIZE(rows, 0) SIZE(cols, 1)
  if (rows == 0) return NULL;
  double n = (double)rows * cols;
  NEED(x, n) NEED(y, n) NEED(w, cols) NEED(b, cols) NEED(mean, rows) NEED(rstd, rows)
  table->layer_norm(x.data, w.present ? w.data : NULL, b.present ? b.data : NULL, rows, cols, (float)A(2), y.data,
                    mean.data, rstd.data);
  return NULL;
}

/* layerNormGrad(x, w, mean, rstd, gy, gx, gw, gb); args: rows cols (w, gw, gb may be null) */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  ENTRY("layerNormGrad", 8)
  ARR(0, x, K_F32, 0) ARR(1, w, K_F32, 1) ARR(2, mean, K_F32, 0) ARR(3, rstd, K_F32, 0) ARR(4, gy, K_F32, 0)
  ARR(5, gx, K_F32, 0) ARR(6, gw, K_F32, 1) ARR(7, gb, K_F32, 1)
  SIZE(rows, 0) SIZE(cols, 1)
  if (cols == 0) return NULL; /* every output is empty */
  double n = (double)rows * cols;
  NEED(x, n) NEED(gy, n) NEED(gx, n) NEED(w, cols) NEED(gw, cols) NEED(gb, cols) NEED(mean, rows) NEED(rstd, rows)
  table->layer_norm_grad(x.data, w.present ? w.data : NULL, mean.data, rstd.data, gy.data, rows, cols, gx.data,
                         gw.present ? gw.data : NULL, gb.present ? gb.data : NULL);
  return NULL;
}

/* rmsNorm(x, w, y, rstd); args: rows cols eps (w may be null) */
static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  ENTRY("rmsNorm", 4)
  ARR(0, x, K_F32, 0) ARR(1, w, K_F32, 1) ARR(2, y, K_F32, 0) ARR(3, rstd, K_F32, 0)
  SIZE(rows, 0) SIZE(cols, 1)
  if (rows == 0) return NULL;
  double n = (double)rows * cols;
  NEED(x, n) NEED(y, n) NEED(w, cols) NEED(rstd, rows)
  table->rms_norm(x.data, w.present ? w.data : NULL, rows, cols, (float)A(2), y.data, rstd.data);
  return NULL;
}

/* rmsNormGrad(x, w, rstd, gy, gx, gw); args: rows cols (w, gw may be null) */
static napi_value js_rms_norm_grad(napi_env env, napi_callback_info info) {
  ENTRY("rmsNormGrad", 6)
  ARR(0, x, K_F32, 0) ARR(1, w, K_F32, 1) ARR(2, rstd, K_F32, 0) ARR(3, gy, K_F32, 0) ARR(4, gx, K_F32, 0)
  ARR(5, gw, K_F32, 1)
  SIZE(rows, 0) SIZE(cols, 1)
  if (cols == 0) return NULL;
  double n = (double)rows * cols;
  NEED(x, n) NEED(gy, n) NEED(gx, n) NEED(w, cols) NEED(gw, cols) NEED(rstd, rows)
  table->rms_norm_grad(x.data, w.present ? w.data : NULL, rstd.data, gy.data, rows, cols, gx.data,
                       gw.present ? gw.data : NULL);
  return NULL;
}

static int check_targets(Check *c, const Buf *t, int64_t rows, int64_t classes, int64_t ignore) {
  const int32_t *p = t->data;
  for (int64_t r = 0; r < rows; r++)
    if (p[r] != ignore && (p[r] < 0 || p[r] >= classes))
      return check_fail(c, CHECK_RANGE, "targets[%lld] = %d is outside [0, %lld) and not the ignore index %lld",
                        (long long)r, p[r], (long long)classes, (long long)ignore);
  return 1;
}

/* crossEntropy(logits, targets, losses, lse); args: rows classes ignore smoothing */
static napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  ENTRY("crossEntropy", 4)
  ARR(0, logits, K_F32, 0) ARR(1, targets, K_I32, 0) ARR(2, losses, K_F32, 0) ARR(3, lse, K_F32, 0)
  SIZE(rows, 0) INT(classes, 1, 1, LLMTS_MAX_INT) INT(ignore, 2, INT32_MIN, INT32_MAX)
  if (rows == 0) return NULL;
  NEED(logits, (double)rows * classes) NEED(targets, rows) NEED(losses, rows) NEED(lse, rows)
  CHECK(check_targets(&ck, &targets, rows, classes, ignore))
  table->cross_entropy(logits.data, targets.data, rows, classes, (int32_t)ignore, (float)A(3), losses.data, lse.data);
  return NULL;
}

/* crossEntropyGrad(logits, targets, lse, gradLoss, gx); args: rows classes ignore smoothing */
static napi_value js_cross_entropy_grad(napi_env env, napi_callback_info info) {
  ENTRY("crossEntropyGrad", 5)
  ARR(0, logits, K_F32, 0) ARR(1, targets, K_I32, 0) ARR(2, lse, K_F32, 0) ARR(3, gradLoss, K_F32, 0)
  ARR(4, gx, K_F32, 0)
  SIZE(rows, 0) INT(classes, 1, 1, LLMTS_MAX_INT) INT(ignore, 2, INT32_MIN, INT32_MAX)
  if (rows == 0) return NULL;
  double n = (double)rows * classes;
  NEED(logits, n) NEED(gx, n) NEED(targets, rows) NEED(lse, rows) NEED(gradLoss, rows)
  CHECK(check_targets(&ck, &targets, rows, classes, ignore))
  table->cross_entropy_grad(logits.data, targets.data, lse.data, gradLoss.data, rows, classes, (int32_t)ignore,
                            (float)A(3), gx.data);
  return NULL;
}

static int check_index(Check *c, const Buf *idx, int64_t n, int64_t dim) {
  const int32_t *p = idx->data;
  for (int64_t i = 0; i < n; i++)
    if (p[i] < 0 || p[i] >= dim)
      return check_fail(c, CHECK_RANGE, "index[%lld] = %d is outside [0, %lld)", (long long)i, p[i], (long long)dim);
  return 1;
}

/* indexSelect(src, index, out); args: outer srcDim inner n (src [outer, srcDim, inner] -> out [outer, n, inner]) */
static napi_value js_index_select(napi_env env, napi_callback_info info) {
  ENTRY("indexSelect", 3)
  ARR(0, src, K_DATA, 0) ARR(1, index, K_I32, 0) ARR(2, out, K_DATA, 0)
  CHECK(same_kind(&ck, &src, &out))
  SIZE(outer, 0) SIZE(dim, 1) SIZE(inner, 2) SIZE(n, 3)
  if (outer == 0 || n == 0 || inner == 0) return NULL; /* out is empty */
  NEED(index, n) NEED(src, (double)outer * dim * inner) NEED(out, (double)outer * n * inner)
  CHECK(check_index(&ck, &index, n, dim))
  table->index_select(src.data, src.elsize, outer, dim, inner, index.data, n, out.data);
  return NULL;
}

/* indexAdd(src, index, dst); args: outer n inner dstDim (dst[:, index[i], :] += src[:, i, :]) */
static napi_value js_index_add(napi_env env, napi_callback_info info) {
  ENTRY("indexAdd", 3)
  ARR(0, src, K_F32, 0) ARR(1, index, K_I32, 0) ARR(2, dst, K_F32, 0)
  SIZE(outer, 0) SIZE(n, 1) SIZE(inner, 2) SIZE(dim, 3)
  if (outer == 0 || n == 0 || inner == 0) return NULL; /* nothing to add */
  NEED(index, n) NEED(src, (double)outer * n * inner) NEED(dst, (double)outer * dim * inner)
  CHECK(check_index(&ck, &index, n, dim))
  table->index_add(src.data, outer, n, inner, index.data, dim, dst.data);
  return NULL;
}

/* attention args: batch heads kvHeads tq tk d scale causal, q(sB sH sT), k(...), v(...), o(...), mask(sB sH sT sS),
 * then for the backward gradQ(sB sH sT), gradK(...), gradV(...). Every operand is [batch, heads, t, d] with
 * element stride 1 along d. */
static int read_attn(Check *c, int backward, AttnArgs *a) {
  int64_t v[33];
  static const char *names[33] = {"batch", "heads", "kvHeads", "tq", "tk", "headDim", "scale", "causal",
                                  "q.sB", "q.sH", "q.sT", "k.sB", "k.sH", "k.sT", "v.sB", "v.sH", "v.sT",
                                  "out.sB", "out.sH", "out.sT", "mask.sB", "mask.sH", "mask.sT", "mask.sS",
                                  "gradQ.sB", "gradQ.sH", "gradQ.sT", "gradK.sB", "gradK.sH", "gradK.sT",
                                  "gradV.sB", "gradV.sH", "gradV.sT"};
  int count = backward ? 33 : 24;
  for (int i = 0; i < count; i++) {
    if (i == 6) continue; /* scale is a float */
    if (!check_int(c, args_buf, i, 0, i == 7 ? 1 : LLMTS_MAX_INT, names[i], &v[i])) return 0;
  }
  if (v[2] < 1 || v[1] % v[2] != 0)
    return check_fail(c, CHECK_RANGE, "heads (%lld) must be a multiple of kvHeads (%lld >= 1)", (long long)v[1],
                      (long long)v[2]);
  if (v[5] < 1) return check_fail(c, CHECK_RANGE, "headDim must be at least 1");
  a->batch = v[0], a->heads = v[1], a->kv_heads = v[2], a->tq = v[3], a->tk = v[4], a->d = v[5];
  a->scale = (float)A(6), a->causal = (int)v[7];
  a->q_sb = v[8], a->q_sh = v[9], a->q_st = v[10];
  a->k_sb = v[11], a->k_sh = v[12], a->k_st = v[13];
  a->v_sb = v[14], a->v_sh = v[15], a->v_st = v[16];
  a->o_sb = v[17], a->o_sh = v[18], a->o_st = v[19];
  a->m_sb = v[20], a->m_sh = v[21], a->m_st = v[22], a->m_ss = v[23];
  if (backward) {
    a->gq_sb = v[24], a->gq_sh = v[25], a->gq_st = v[26];
    a->gk_sb = v[27], a->gk_sh = v[28], a->gk_st = v[29];
    a->gv_sb = v[30], a->gv_sh = v[31], a->gv_st = v[32];
  }
  return 1;
}

/* operand [b, h, t, d] at strides (sb, sh, st, 1): in bounds, and for an output no two
 * (b, h, t, e) at one element */
static int check_bhtd(Check *c, const Buf *buf, const char *what, int64_t b, int64_t h, int64_t t, int64_t d,
                      int64_t sb, int64_t sh, int64_t st, int disjoint) {
  int64_t size[4] = {b, h, t, d}, stride[4] = {sb, sh, st, 1};
  if (disjoint && !check_disjoint(c, what, 4, size, stride)) return 0;
  return check_need(c, buf, span_of(4, size, stride, 0));
}

static int check_attn(Check *c, const AttnArgs *a, const Buf *q, const Buf *k, const Buf *v, const Buf *o,
                      const Buf *lse, const Buf *mask) {
  /* keys must step along t (no output bounds tk; with sT >= 1 the arrays' lengths do), while
   * q, k and v may broadcast over batch and heads (stride 0) */
  if (a->tk > 1 && (a->k_st < 1 || a->v_st < 1))
    return check_fail(c, CHECK_RANGE, "k.sT (%lld) and v.sT (%lld) must be at least 1", (long long)a->k_st,
                      (long long)a->v_st);
  if (!check_bhtd(c, q, "q", a->batch, a->heads, a->tq, a->d, a->q_sb, a->q_sh, a->q_st, 0)) return 0;
  if (!check_bhtd(c, k, "k", a->batch, a->kv_heads, a->tk, a->d, a->k_sb, a->k_sh, a->k_st, 0)) return 0;
  if (!check_bhtd(c, v, "v", a->batch, a->kv_heads, a->tk, a->d, a->v_sb, a->v_sh, a->v_st, 0)) return 0;
  if (!check_bhtd(c, o, "out", a->batch, a->heads, a->tq, a->d, a->o_sb, a->o_sh, a->o_st, 1)) return 0;
  if (!check_need(c, lse, (double)a->batch * a->heads * a->tq)) return 0;
  if (mask->present) {
    int64_t size[4] = {a->batch, a->heads, a->tq, a->tk}, stride[4] = {a->m_sb, a->m_sh, a->m_st, a->m_ss};
    if (!check_need(c, mask, span_of(4, size, stride, 0))) return 0;
  }
  return 1;
}

/* attention(q, k, v, out, lse, mask); args as read_attn */
static napi_value js_attention(napi_env env, napi_callback_info info) {
  ENTRY("attention", 6)
  ARR(0, q, K_F32, 0) ARR(1, k, K_F32, 0) ARR(2, v, K_F32, 0) ARR(3, out, K_F32, 0) ARR(4, lse, K_F32, 0)
  ARR(5, mask, K_F32, 1)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  CHECK(read_attn(&ck, 0, &a))
  if (a.batch == 0 || a.heads == 0 || a.tq == 0) return NULL; /* out is empty */
  CHECK(check_attn(&ck, &a, &q, &k, &v, &out, &lse, &mask))
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = out.data, a.lse = lse.data, a.mask = mask.present ? mask.data : NULL;
  table->attention(&a);
  return NULL;
}

/* attentionGrad(q, k, v, out, lse, mask, gradOut, gradQ, gradK, gradV); gradOut uses out's layout */
static napi_value js_attention_grad(napi_env env, napi_callback_info info) {
  ENTRY("attentionGrad", 10)
  ARR(0, q, K_F32, 0) ARR(1, k, K_F32, 0) ARR(2, v, K_F32, 0) ARR(3, out, K_F32, 0) ARR(4, lse, K_F32, 0)
  ARR(5, mask, K_F32, 1) ARR(6, gradOut, K_F32, 0) ARR(7, gradQ, K_F32, 0) ARR(8, gradK, K_F32, 0)
  ARR(9, gradV, K_F32, 0)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  CHECK(read_attn(&ck, 1, &a))
  if (a.batch == 0 || a.heads == 0 || (a.tq == 0 && a.tk == 0)) return NULL; /* every gradient is empty */
  CHECK(check_attn(&ck, &a, &q, &k, &v, &out, &lse, &mask))
  CHECK(check_bhtd(&ck, &gradOut, "gradOut", a.batch, a.heads, a.tq, a.d, a.o_sb, a.o_sh, a.o_st, 0))
  CHECK(check_bhtd(&ck, &gradQ, "gradQ", a.batch, a.heads, a.tq, a.d, a.gq_sb, a.gq_sh, a.gq_st, 1))
  CHECK(check_bhtd(&ck, &gradK, "gradK", a.batch, a.kv_heads, a.tk, a.d, a.gk_sb, a.gk_sh, a.gk_st, 1))
  CHECK(check_bhtd(&ck, &gradV, "gradV", a.batch, a.kv_heads, a.tk, a.d, a.gv_sb, a.gv_sh, a.gv_st, 1))
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = out.data, a.lse = lse.data, a.mask = mask.present ? mask.data : NULL;
  a.gout = gradOut.data, a.gq = gradQ.data, a.gk = gradK.data, a.gv = gradV.data;
  table->attention_grad(&a);
  return NULL;
}

/* pagedAttention(q, kPages, vPages, out, pageTable, tokenRow, tokenPos, alibi); args: tokens heads kvHeads d
 * pageSize pages pagesPerRow rows scale qTokenStride qHeadStride. Every page a token will read must exist. */
static napi_value js_paged_attention(napi_env env, napi_callback_info info) {
  ENTRY("pagedAttention", 8)
  ARR(0, q, K_F32, 0) ARR(1, kPages, K_F32, 0) ARR(2, vPages, K_F32, 0) ARR(3, out, K_F32, 0)
  ARR(4, pageTable, K_I32, 0) ARR(5, tokenRow, K_I32, 0) ARR(6, tokenPos, K_I32, 0) ARR(7, alibi, K_F32, 1)
  SIZE(tokens, 0) INT(heads, 1, 1, LLMTS_MAX_INT) INT(kv_heads, 2, 1, LLMTS_MAX_INT) INT(d, 3, 1, LLMTS_MAX_INT)
  INT(page, 4, 1, LLMTS_MAX_INT) SIZE(pages, 5) SIZE(per_row, 6) SIZE(rows, 7) SIZE(q_st, 9) SIZE(q_sh, 10)
  if (heads % kv_heads != 0) {
    check_fail(&ck, CHECK_RANGE, "heads (%lld) must be a multiple of kvHeads (%lld)", (long long)heads, (long long)kv_heads);
    return fail(env, &ck);
  }
  if (tokens == 0) return NULL;
  int64_t q_size[3] = {tokens, heads, d}, q_stride[3] = {q_st, q_sh, 1};
  NEED(q, span_of(3, q_size, q_stride, 0))
  NEED(out, (double)tokens * heads * d)
  NEED(kPages, (double)pages * page * kv_heads * d) NEED(vPages, (double)pages * page * kv_heads * d)
  NEED(pageTable, (double)rows * per_row) NEED(tokenRow, tokens) NEED(tokenPos, tokens) NEED(alibi, heads)
  const int32_t *t = pageTable.data, *r = tokenRow.data, *p = tokenPos.data;
  for (int64_t i = 0; i < tokens; i++) {
    if (r[i] < 0 || r[i] >= rows || p[i] < 0 || (double)p[i] >= (double)per_row * page) {
      check_fail(&ck, CHECK_RANGE, "token %lld: row %d or position %d out of range", (long long)i, r[i], p[i]);
      return fail(env, &ck);
    }
    for (int64_t j = 0; j <= p[i] / page; j++) {
      int32_t pg = t[(int64_t)r[i] * per_row + j];
      if (pg < 0 || pg >= pages) {
        check_fail(&ck, CHECK_RANGE, "page id out of range: %d (row %d, slot %lld) is not in [0, %lld)", pg, r[i],
                   (long long)j, (long long)pages);
        return fail(env, &ck);
      }
    }
  }
  PagedArgs a;
  memset(&a, 0, sizeof a);
  a.tokens = tokens, a.heads = heads, a.kv_heads = kv_heads, a.d = d, a.page = page, a.pages = pages;
  a.per_row = per_row, a.scale = (float)A(8), a.q_st = q_st, a.q_sh = q_sh;
  a.q = q.data, a.kp = kPages.data, a.vp = vPages.data, a.out = out.data, a.alibi = alibi.present ? alibi.data : NULL;
  a.table = t, a.row = r, a.pos = p;
  table->paged_attention(&a);
  return NULL;
}

/* qmatmul(a, wq, wd, c); args: scheme m n k lda ldc accumulate (see QMatArgs): a [m, k] row stride lda,
 * wq the n rows' quants (k or k/2 bytes each), wd their fp16 scales (k/32 each), c [m, n] row stride ldc */
static napi_value js_qmatmul(napi_env env, napi_callback_info info) {
  ENTRY("qmatmul", 4)
  ARR(0, a, K_F32, 0) ARR(1, wq, K_U8, 0) ARR(2, wd, K_U16, 0) ARR(3, c, K_F32, 0)
  FLAG(scheme, 0) SIZE(m, 1) SIZE(n, 2) INT(k, 3, 32, LLMTS_MAX_INT) SIZE(lda, 4) SIZE(ldc, 5) FLAG(accumulate, 6)
  if (k % 32 != 0 || lda < k || ldc < n) {
    check_fail(&ck, CHECK_RANGE, "k (%lld) must be a multiple of 32, lda (%lld) >= k, ldc (%lld) >= n (%lld)",
               (long long)k, (long long)lda, (long long)ldc, (long long)n);
    return fail(env, &ck);
  }
  if (m == 0 || n == 0) return NULL;
  NEED(a, (double)(m - 1) * lda + k) NEED(c, (double)(m - 1) * ldc + n)
  NEED(wq, (double)n * (scheme == 0 ? k : k / 2)) NEED(wd, (double)n * (k / 32))
  QMatArgs q;
  memset(&q, 0, sizeof q);
  q.scheme = (int)scheme, q.m = m, q.n = n, q.k = k, q.lda = lda, q.ldc = ldc, q.accumulate = (int)accumulate;
  q.a = a.data, q.wq = wq.data, q.wd = wd.data, q.c = c.data;
  table->qmatmul(&q);
  return NULL;
}

/* quantVnni(want): -1 asks, 1/0 turns the AVX-512 VNNI quantized path on/off; returns whether it is on */
static napi_value js_quant_vnni(napi_env env, napi_callback_info info) {
  ENTRY("quantVnni", 1)
  double want = 0;
  if (napi_get_value_double(env, argv[0], &want) != napi_ok || !(want == -1 || want == 0 || want == 1)) {
    check_fail(&ck, CHECK_RANGE, "needs -1 (ask), 0 (off) or 1 (on), got %.17g", want);
    return fail(env, &ck);
  }
  napi_value out;
  napi_get_boolean(env, table->quant_vnni((int)want) != 0, &out);
  return out;
}

/* streamRead(x): the sum of x, read once over the pool (bench: read bandwidth) */
static napi_value js_stream_read(napi_env env, napi_callback_info info) {
  ENTRY("streamRead", 1)
  ARR(0, x, K_F32, 0)
  int64_t n = x.bytes / 4;
  if (n > ((int64_t)1 << 32)) {
    check_fail(&ck, CHECK_RANGE, "x has %lld elements, at most 2^32", (long long)n);
    return fail(env, &ck);
  }
  napi_value out;
  napi_create_double(env, n > 0 ? table->stream_read(x.data, n) : 0.0, &out);
  return out;
}

/* adamw(param, grad, m, v); args: n lr beta1 beta2 eps weightDecay step gradScale */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  ENTRY("adamw", 4)
  ARR(0, param, K_F32, 0) ARR(1, grad, K_F32, 0) ARR(2, m, K_F32, 0) ARR(3, v, K_F32, 0)
  SIZE(n, 0) INT(step, 6, 1, LLMTS_MAX_INT)
  NEED(param, n) NEED(grad, n) NEED(m, n) NEED(v, n)
  if (n == 0) return NULL;
  AdamArgs a = {param.data, grad.data, m.data, v.data, n, A(1), A(2), A(3), A(4), A(5), A(7), (double)step};
  table->adamw(&a);
  return NULL;
}

/* ---------- control ---------- */

static napi_value str(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value js_isa(napi_env env, napi_callback_info info) { return str(env, table->name); }

static napi_value js_best_isa(napi_env env, napi_callback_info info) { return str(env, table_for(best_isa)->name); }

/* setIsa(name): selects a path no better than the CPU's best; returns the active name */
static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  ENTRY("setIsa", 1)
  char name[32];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    check_fail(&ck, CHECK_TYPE, "needs a string");
    return fail(env, &ck);
  }
  int lvl = isa_level(name);
  if (lvl < 0) {
    check_fail(&ck, CHECK_RANGE, "ISA must be one this build has (avx512, avx2, scalar on x86-64; neon, scalar on AArch64), got \"%s\"", name);
    return fail(env, &ck);
  }
  if (lvl > best_isa) lvl = best_isa;
  table = table_for(lvl);
  return str(env, table->name);
}

static napi_value js_threads(napi_env env, napi_callback_info info) {
  napi_value v;
  napi_create_int32(env, llmts_pool_threads(), &v);
  return v;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  ENTRY("setThreads", 1)
  double n = 0;
  if (napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 1 && n <= 1024) || n != floor(n)) {
    check_fail(&ck, CHECK_RANGE, "needs an integer from 1 to 1024, got %.17g", n);
    return fail(env, &ck);
  }
  llmts_pool_set_threads((int)n);
  return js_threads(env, info);
}

static napi_value js_worker_tids(napi_env env, napi_callback_info info) {
  int tids[256];
  int n = llmts_pool_worker_tids(tids, 256);
  napi_value arr;
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; i < n; i++) {
    napi_value v;
    napi_create_int32(env, tids[i], &v);
    napi_set_element(env, arr, (uint32_t)i, v);
  }
  return arr;
}

/* a no-op taking two typed arrays, to measure the per-call overhead */
static napi_value js_noop(napi_env env, napi_callback_info info) {
  ENTRY("noop", 2)
  ARR(0, a, K_F32, 0) ARR(1, b, K_F32, 0)
  (void)a, (void)b;
  return NULL;
}

/* setErrorClass(ctor): argument errors are thrown as `new ctor(op, message)` from now on (the
 * TS loader registers llmts's ArgumentError; per JS thread, like the argument buffer) */
static napi_value js_set_error_class(napi_env env, napi_callback_info info) {
  ENTRY("setErrorClass", 1)
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    check_fail(&ck, CHECK_TYPE, "needs a constructor");
    return fail(env, &ck);
  }
  if (error_class != NULL) napi_delete_reference(env, error_class);
  error_class = NULL;
  napi_create_reference(env, argv[0], 1, &error_class);
  return NULL;
}

/* the data address of a typed array modulo 64 (the TS side places large arrays on cache lines) */
static napi_value js_address_mod64(napi_env env, napi_callback_info info) {
  ENTRY("addressMod64", 1)
  ARR(0, a, K_ANY, 0)
  napi_value out;
  napi_create_int32(env, (int32_t)((uintptr_t)a.data & 63), &out);
  return out;
}

static int pool_started = 0;

static napi_value init(napi_env env, napi_value exports) {
  best_isa = detect_isa();
  int lvl = best_isa;
  const char *want = getenv("LLMTS_NATIVE_ISA");
  if (want && *want) {
    int w = isa_level(want);
    if (w >= 0 && w < lvl) lvl = w;
  }
  table = table_for(lvl);
  if (!pool_started) {
    /* the TS wrapper sets the real count (os.availableParallelism()) right after loading */
    llmts_pool_init(1);
    pool_started = 1;
  }
  napi_property_descriptor props[] = {
#define FNP(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}
    FNP("sgemm", js_sgemm),
    FNP("unary", js_unary),
    FNP("unaryGrad", js_unary_grad),
    FNP("binary", js_binary),
    FNP("compare", js_compare),
    FNP("where", js_where),
    FNP("copy", js_copy),
    FNP("assign", js_assign),
    FNP("fill", js_fill),
    FNP("reduce", js_reduce),
    FNP("sumSquares", js_sum_squares),
    FNP("softmax", js_softmax),
    FNP("softmaxGrad", js_softmax_grad),
    FNP("layerNorm", js_layer_norm),
    FNP("layerNormGrad", js_layer_norm_grad),
    FNP("rmsNorm", js_rms_norm),
    FNP("rmsNormGrad", js_rms_norm_grad),
    FNP("crossEntropy", js_cross_entropy),
    FNP("crossEntropyGrad", js_cross_entropy_grad),
    FNP("indexSelect", js_index_select),
    FNP("indexAdd", js_index_add),
    FNP("attention", js_attention),
    FNP("attentionGrad", js_attention_grad),
    FNP("pagedAttention", js_paged_attention),
    FNP("qmatmul", js_qmatmul),
    FNP("quantVnni", js_quant_vnni),
    FNP("streamRead", js_stream_read),
    FNP("adamw", js_adamw),
    FNP("isa", js_isa),
    FNP("bestIsa", js_best_isa),
    FNP("setIsa", js_set_isa),
    FNP("threads", js_threads),
    FNP("setThreads", js_set_threads),
    FNP("workerTids", js_worker_tids),
    FNP("noop", js_noop),
    FNP("addressMod64", js_address_mod64),
    FNP("setErrorClass", js_set_error_class),
#undef FNP
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  /* the scalar-argument buffer of this environment, viewed from JS as a Float64Array */
  napi_value ab, f64;
  void *data = NULL;
  napi_ref ref;
  if (napi_create_arraybuffer(env, ARGS_LEN * sizeof(double), &data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, ARGS_LEN, ab, 0, &f64) != napi_ok ||
      napi_create_reference(env, ab, 1, &ref) != napi_ok) {
    napi_throw_error(env, "LLMTS_NATIVE", "llmts native: cannot allocate the argument buffer");
    return NULL;
  }
  args_buf = data;
  napi_set_named_property(env, exports, "args", f64);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
