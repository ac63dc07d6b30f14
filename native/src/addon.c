/*
 * N-API entry points. Calls are synchronous and cheap: arrays arrive as typed arrays
 * (napi_get_typedarray_info gives the data pointer), every scalar argument is read from a
 * Float64Array `args` shared with the TS wrapper (src/backends/native/index.ts writes the
 * scalars there, then calls the kernel with only its arrays). Each entry checks that the
 * arrays are large enough for the described access, so a wrapper bug throws instead of
 * corrupting memory.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "pool.h"

#define ARGS_LEN 64

/* per JS thread: each Node environment (main thread, workers) has its own buffer */
static _Thread_local double *args_buf;
static const KernelTable *table = &llmts_table_scalar;
static int best_isa = 0; /* 2 = avx512, 1 = avx2, 0 = scalar */

static const KernelTable *table_for(int level) {
  return level >= 2 ? &llmts_table_avx512 : level == 1 ? &llmts_table_avx2 : &llmts_table_scalar;
}

static int detect_isa(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
    return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

static int isa_level(const char *name) {
  if (strcmp(name, "avx512") == 0) return 2;
  if (strcmp(name, "avx2") == 0) return 1;
  if (strcmp(name, "scalar") == 0) return 0;
  return -1;
}

/* ---------- argument helpers ---------- */

typedef struct {
  void *data;
  size_t length; /* elements */
  napi_typedarray_type type;
} Arr;

static int throw_err(napi_env env, const char *msg) {
  napi_throw_error(env, "LLMTS_NATIVE", msg);
  return 0;
}

/* a typed array argument; NULL data for null/undefined when optional */
static int get_arr(napi_env env, napi_value v, Arr *out, int optional) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok) {
    if (optional) {
      out->data = NULL;
      out->length = 0;
      return 1;
    }
    return throw_err(env, "llmts native: expected a typed array argument");
  }
  out->data = data;
  out->length = len;
  out->type = type;
  return 1;
}

static int elsize_of(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 4;
  }
}

/* the array must hold indices [0, need) */
static int need(napi_env env, const Arr *a, double need_len, const char *what) {
  if (a->data == NULL) return 1;
  if (need_len > (double)a->length) {
    char msg[160];
    snprintf(msg, sizeof msg, "llmts native: %s has %zu elements, the call needs %.0f", what, a->length, need_len);
    return throw_err(env, msg);
  }
  return 1;
}

#define GET_ARGS(N)                                                              \
  napi_value argv[N];                                                            \
  size_t argc = N;                                                               \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL; \
  if (argc < N) {                                                                \
    throw_err(env, "llmts native: too few arguments");                          \
    return NULL;                                                                 \
  }
#define ARR(i, name, opt) \
  Arr name;               \
  if (!get_arr(env, argv[i], &name, opt)) return NULL;
#define NEED(arr, n, what) \
  if (!need(env, &arr, (double)(n), what)) return NULL;
#define A(i) (args_buf[i])
#define I(i) ((int64_t)args_buf[i])

/* extent of a strided walk for operand o: 1 + max offset (strides are >= 0) */
static double walk_extent(const Walk *w, int o, int64_t offset) {
  double e = (double)offset;
  for (int d = 0; d < w->ndim; d++) {
    if (w->shape[d] == 0) return 0;
    e += (double)(w->shape[d] - 1) * (double)w->strides[o][d];
  }
  return e + 1;
}

/* args: [ndim, off0, off1, off2, shape x8, strides0 x8, strides1 x8, strides2 x8] from index `at` */
static int read_walk(napi_env env, int at, int nops, Walk *w, int64_t *offs) {
  int nd = (int)args_buf[at];
  if (nd < 1 || nd > LLMTS_MAX_DIMS) return throw_err(env, "llmts native: bad walk rank");
  w->ndim = nd;
  for (int o = 0; o < 3; o++) offs[o] = (int64_t)args_buf[at + 1 + o];
  for (int d = 0; d < nd; d++) w->shape[d] = (int64_t)args_buf[at + 4 + d];
  for (int o = 0; o < nops; o++)
    for (int d = 0; d < nd; d++) {
      w->strides[o][d] = (int64_t)args_buf[at + 12 + 8 * o + d];
      if (w->strides[o][d] < 0) return throw_err(env, "llmts native: negative stride");
    }
  return 1;
}

static int64_t walk_total(const Walk *w) {
  int64_t t = 1;
  for (int d = 0; d < w->ndim; d++) t *= w->shape[d];
  return t;
}

/* ---------- kernels ---------- */

/* sgemm(a, b, c); args: batch m n k transA transB lda ldb ldc strideA strideB strideC accumulate */
static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, a, 0) ARR(1, b, 0) ARR(2, c, 0)
  GemmArgs g = {a.data, b.data, c.data, I(0), I(1), I(2), I(3), (int)A(4), (int)A(5), I(6), I(7), I(8),
                I(9), I(10), I(11), (int)A(12)};
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return NULL;
  double ar = g.trans_a ? g.k : g.m, ac = g.trans_a ? g.m : g.k;
  double br = g.trans_b ? g.n : g.k, bc = g.trans_b ? g.k : g.n;
  if (g.k > 0) {
    NEED(a, (g.batch - 1) * (double)g.stride_a + (ar - 1) * g.lda + ac, "matmul A")
    NEED(b, (g.batch - 1) * (double)g.stride_b + (br - 1) * g.ldb + bc, "matmul B")
  }
  NEED(c, (g.batch - 1) * (double)g.stride_c + (g.m - 1) * (double)g.ldc + g.n, "matmul C")
  table->sgemm(&g);
  return NULL;
}

/* unary(x, y); args: op n p */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  ARR(0, x, 0) ARR(1, y, 0)
  int64_t n = I(1);
  NEED(x, n, "unary x") NEED(y, n, "unary out")
  table->unary((int)A(0), x.data, y.data, n, (float)A(2));
  return NULL;
}

/* unaryGrad(x, y, gy, gx); args: op n p */
static napi_value js_unary_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, x, 0) ARR(1, y, 0) ARR(2, gy, 0) ARR(3, gx, 0)
  int64_t n = I(1);
  NEED(x, n, "unaryGrad x") NEED(y, n, "unaryGrad y") NEED(gy, n, "unaryGrad gy") NEED(gx, n, "unaryGrad gx")
  table->unary_grad((int)A(0), x.data, y.data, gy.data, gx.data, n, (float)A(2));
  return NULL;
}

/* binary(a, b, out); args: op, walk at 1 */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, a, 0) ARR(1, b, 0) ARR(2, out, 0)
  Walk w;
  int64_t offs[3];
  if (!read_walk(env, 1, 2, &w, offs)) return NULL;
  NEED(a, walk_extent(&w, 0, offs[0]), "binary a") NEED(b, walk_extent(&w, 1, offs[1]), "binary b")
  NEED(out, walk_total(&w), "binary out")
  table->binary((int)A(0), (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return NULL;
}

static napi_value js_compare(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, a, 0) ARR(1, b, 0) ARR(2, out, 0)
  Walk w;
  int64_t offs[3];
  if (!read_walk(env, 1, 2, &w, offs)) return NULL;
  NEED(a, walk_extent(&w, 0, offs[0]), "compare a") NEED(b, walk_extent(&w, 1, offs[1]), "compare b")
  NEED(out, walk_total(&w), "compare out")
  table->compare((int)A(0), (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return NULL;
}

/* where(cond, a, b, out); walk at 1 */
static napi_value js_where(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, c, 0) ARR(1, a, 0) ARR(2, b, 0) ARR(3, out, 0)
  Walk w;
  int64_t offs[3];
  if (!read_walk(env, 1, 3, &w, offs)) return NULL;
  NEED(c, walk_extent(&w, 0, offs[0]), "where cond") NEED(a, walk_extent(&w, 1, offs[1]), "where a")
  NEED(b, walk_extent(&w, 2, offs[2]), "where b") NEED(out, walk_total(&w), "where out")
  table->where((const uint8_t *)c.data + offs[0], (const float *)a.data + offs[1], (const float *)b.data + offs[2],
               out.data, &w);
  return NULL;
}

/* copy(src, out); walk at 1 (args[0] unused; same element size on both sides) */
static napi_value js_copy(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  ARR(0, src, 0) ARR(1, out, 0)
  Walk w;
  int64_t offs[3];
  if (!read_walk(env, 1, 1, &w, offs)) return NULL;
  int es = elsize_of(src.type);
  if (es != elsize_of(out.type)) return throw_err(env, "llmts native: copy between different element sizes"), NULL;
  NEED(src, walk_extent(&w, 0, offs[0]), "copy src") NEED(out, walk_total(&w), "copy out")
  table->copy((const char *)src.data + offs[0] * es, out.data, es, &w);
  return NULL;
}

/* assign(dst, src); walk at 1 (operand 0 = dst, 1 = src; same element size) */
static napi_value js_assign(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  ARR(0, dst, 0) ARR(1, src, 0)
  Walk w;
  int64_t offs[3];
  if (!read_walk(env, 1, 2, &w, offs)) return NULL;
  int es = elsize_of(dst.type);
  if (es != elsize_of(src.type)) return throw_err(env, "llmts native: assign between different element sizes"), NULL;
  NEED(dst, walk_extent(&w, 0, offs[0]), "assign dst") NEED(src, walk_extent(&w, 1, offs[1]), "assign src")
  table->assign((char *)dst.data + offs[0] * es, (const char *)src.data + offs[1] * es, es, &w);
  return NULL;
}

/* fill(out); args: n value (float32 bits or int32 by array type) */
static napi_value js_fill(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  ARR(0, out, 0)
  int64_t n = I(0);
  NEED(out, n, "fill out")
  uint32_t bits;
  if (out.type == napi_float32_array) {
    float f = (float)A(1);
    memcpy(&bits, &f, 4);
  } else if (out.type == napi_int32_array || out.type == napi_uint32_array) {
    bits = (uint32_t)(int32_t)A(1);
  } else {
    return throw_err(env, "llmts native: fill needs a 4-byte array"), NULL;
  }
  table->fill32(out.data, n, bits);
  return NULL;
}

/* reduce(x, out); args: op outer r inner */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  ARR(0, x, 0) ARR(1, out, 0)
  int64_t outer = I(1), r = I(2), inner = I(3);
  NEED(x, (double)outer * r * inner, "reduce x") NEED(out, (double)outer * inner, "reduce out")
  table->reduce((int)A(0), x.data, outer, r, inner, out.data);
  return NULL;
}

/* sumSquares(x); args: n -> number */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  ARR(0, x, 0)
  int64_t n = I(0);
  NEED(x, n, "sumSquares x")
  napi_value r;
  napi_create_double(env, table->sum_squares(x.data, n), &r);
  return r;
}

/* softmax(x, out); args: rows cols log */
static napi_value js_softmax(napi_env env, napi_callback_info info) {
  GET_ARGS(2)
  ARR(0, x, 0) ARR(1, out, 0)
  int64_t rows = I(0), cols = I(1);
  NEED(x, (double)rows * cols, "softmax x") NEED(out, (double)rows * cols, "softmax out")
  table->softmax(x.data, rows, cols, out.data, (int)A(2));
  return NULL;
}

static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, y, 0) ARR(1, gy, 0) ARR(2, gx, 0)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(y, n, "softmaxGrad y") NEED(gy, n, "softmaxGrad gy") NEED(gx, n, "softmaxGrad gx")
  table->softmax_grad(y.data, gy.data, rows, cols, gx.data, (int)A(2));
  return NULL;
}

/* layerNorm(x, w, b, y, mean, rstd); args: rows cols eps */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  GET_ARGS(6)
  ARR(0, x, 0) ARR(1, w, 1) ARR(2, b, 1) ARR(3, y, 0) ARR(4, mean, 0) ARR(5, rstd, 0)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "layerNorm x") NEED(y, n, "layerNorm y") NEED(w, cols, "layerNorm w") NEED(b, cols, "layerNorm b")
  NEED(mean, rows, "layerNorm mean") NEED(rstd, rows, "layerNorm rstd")
  table->layer_norm(x.data, w.data, b.data, rows, cols, (float)A(2), y.data, mean.data, rstd.data);
  return NULL;
}

/* layerNormGrad(x, w, mean, rstd, gy, gx, gw, gb); args: rows cols */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(8)
  ARR(0, x, 0) ARR(1, w, 1) ARR(2, mean, 0) ARR(3, rstd, 0) ARR(4, gy, 0) ARR(5, gx, 0) ARR(6, gw, 1) ARR(7, gb, 1)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "layerNormGrad x") NEED(gy, n, "layerNormGrad gy") NEED(gx, n, "layerNormGrad gx")
  NEED(w, cols, "layerNormGrad w") NEED(gw, cols, "layerNormGrad gw") NEED(gb, cols, "layerNormGrad gb")
  NEED(mean, rows, "layerNormGrad mean") NEED(rstd, rows, "layerNormGrad rstd")
  table->layer_norm_grad(x.data, w.data, mean.data, rstd.data, gy.data, rows, cols, gx.data, gw.data, gb.data);
  return NULL;
}

/* rmsNorm(x, w, y, rstd); args: rows cols eps */
static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, x, 0) ARR(1, w, 1) ARR(2, y, 0) ARR(3, rstd, 0)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "rmsNorm x") NEED(y, n, "rmsNorm y") NEED(w, cols, "rmsNorm w") NEED(rstd, rows, "rmsNorm rstd")
  table->rms_norm(x.data, w.data, rows, cols, (float)A(2), y.data, rstd.data);
  return NULL;
}

/* rmsNormGrad(x, w, rstd, gy, gx, gw); args: rows cols */
static napi_value js_rms_norm_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(6)
  ARR(0, x, 0) ARR(1, w, 1) ARR(2, rstd, 0) ARR(3, gy, 0) ARR(4, gx, 0) ARR(5, gw, 1)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "rmsNormGrad x") NEED(gy, n, "rmsNormGrad gy") NEED(gx, n, "rmsNormGrad gx")
  NEED(w, cols, "rmsNormGrad w") NEED(gw, cols, "rmsNormGrad gw") NEED(rstd, rows, "rmsNormGrad rstd")
  table->rms_norm_grad(x.data, w.data, rstd.data, gy.data, rows, cols, gx.data, gw.data);
  return NULL;
}

static int check_targets(napi_env env, const Arr *t, int64_t rows, int64_t classes, int32_t ignore) {
  const int32_t *p = t->data;
  for (int64_t r = 0; r < rows; r++)
    if (p[r] != ignore && (p[r] < 0 || p[r] >= classes)) return throw_err(env, "llmts native: crossEntropy target out of range");
  return 1;
}

/* crossEntropy(logits, targets, losses, lse); args: rows classes ignore smoothing */
static napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, x, 0) ARR(1, t, 0) ARR(2, losses, 0) ARR(3, lse, 0)
  int64_t rows = I(0), classes = I(1);
  NEED(x, (double)rows * classes, "crossEntropy logits") NEED(t, rows, "crossEntropy targets")
  NEED(losses, rows, "crossEntropy losses") NEED(lse, rows, "crossEntropy lse")
  if (!check_targets(env, &t, rows, classes, (int32_t)A(2))) return NULL;
  table->cross_entropy(x.data, t.data, rows, classes, (int32_t)A(2), (float)A(3), losses.data, lse.data);
  return NULL;
}

/* crossEntropyGrad(logits, targets, lse, gloss, gx); args: rows classes ignore smoothing */
static napi_value js_cross_entropy_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(5)
  ARR(0, x, 0) ARR(1, t, 0) ARR(2, lse, 0) ARR(3, gl, 0) ARR(4, gx, 0)
  int64_t rows = I(0), classes = I(1);
  double n = (double)rows * classes;
  NEED(x, n, "crossEntropyGrad logits") NEED(gx, n, "crossEntropyGrad gx") NEED(t, rows, "crossEntropyGrad targets")
  NEED(lse, rows, "crossEntropyGrad lse") NEED(gl, rows, "crossEntropyGrad gradLoss")
  if (!check_targets(env, &t, rows, classes, (int32_t)A(2))) return NULL;
  table->cross_entropy_grad(x.data, t.data, lse.data, gl.data, rows, classes, (int32_t)A(2), (float)A(3), gx.data);
  return NULL;
}

static int check_index(napi_env env, const Arr *idx, int64_t n, int64_t dim) {
  const int32_t *p = idx->data;
  for (int64_t i = 0; i < n; i++)
    if (p[i] < 0 || p[i] >= dim) return throw_err(env, "llmts native: index out of range");
  return 1;
}

/* indexSelect(src, index, out); args: outer srcDim inner n */
static napi_value js_index_select(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, src, 0) ARR(1, idx, 0) ARR(2, out, 0)
  int64_t outer = I(0), dim = I(1), inner = I(2), n = I(3);
  int es = elsize_of(src.type);
  if (es != elsize_of(out.type)) return throw_err(env, "llmts native: indexSelect element sizes differ"), NULL;
  NEED(src, (double)outer * dim * inner, "indexSelect src") NEED(idx, n, "indexSelect index")
  NEED(out, (double)outer * n * inner, "indexSelect out")
  if (!check_index(env, &idx, n, dim)) return NULL;
  table->index_select(src.data, es, outer, dim, inner, idx.data, n, out.data);
  return NULL;
}

/* indexAdd(src, index, dst); args: outer n inner dstDim */
static napi_value js_index_add(napi_env env, napi_callback_info info) {
  GET_ARGS(3)
  ARR(0, src, 0) ARR(1, idx, 0) ARR(2, dst, 0)
  int64_t outer = I(0), n = I(1), inner = I(2), dim = I(3);
  NEED(src, (double)outer * n * inner, "indexAdd src") NEED(idx, n, "indexAdd index")
  NEED(dst, (double)outer * dim * inner, "indexAdd dst")
  if (!check_index(env, &idx, n, dim)) return NULL;
  table->index_add(src.data, outer, n, inner, idx.data, dim, dst.data);
  return NULL;
}

/* attention args: batch heads kvHeads tq tk d scale causal, q(sB sH sT), k(...), v(...), o(...), mask(sB sH sT sS),
 * then for the backward gradQ(sB sH sT), gradK(...), gradV(...) */
static int read_attn(napi_env env, AttnArgs *a) {
  a->batch = I(0), a->heads = I(1), a->kv_heads = I(2), a->tq = I(3), a->tk = I(4), a->d = I(5);
  a->scale = (float)A(6), a->causal = (int)A(7);
  a->q_sb = I(8), a->q_sh = I(9), a->q_st = I(10);
  a->k_sb = I(11), a->k_sh = I(12), a->k_st = I(13);
  a->v_sb = I(14), a->v_sh = I(15), a->v_st = I(16);
  a->o_sb = I(17), a->o_sh = I(18), a->o_st = I(19);
  a->m_sb = I(20), a->m_sh = I(21), a->m_st = I(22), a->m_ss = I(23);
  a->gq_sb = I(24), a->gq_sh = I(25), a->gq_st = I(26);
  a->gk_sb = I(27), a->gk_sh = I(28), a->gk_st = I(29);
  a->gv_sb = I(30), a->gv_sh = I(31), a->gv_st = I(32);
  if (a->kv_heads <= 0 || a->heads % a->kv_heads != 0) return throw_err(env, "llmts native: heads must be a multiple of kvHeads");
  return 1;
}

static double attn_extent(int64_t b, int64_t h, int64_t t, int64_t d, int64_t sb, int64_t sh, int64_t st) {
  if (b == 0 || h == 0 || t == 0) return 0;
  return (double)(b - 1) * sb + (double)(h - 1) * sh + (double)(t - 1) * st + d;
}

static int check_attn(napi_env env, const AttnArgs *a, const Arr *q, const Arr *k, const Arr *v, const Arr *o,
                      const Arr *lse, const Arr *mask) {
  if (!need(env, q, attn_extent(a->batch, a->heads, a->tq, a->d, a->q_sb, a->q_sh, a->q_st), "attention q")) return 0;
  if (!need(env, k, attn_extent(a->batch, a->kv_heads, a->tk, a->d, a->k_sb, a->k_sh, a->k_st), "attention k")) return 0;
  if (!need(env, v, attn_extent(a->batch, a->kv_heads, a->tk, a->d, a->v_sb, a->v_sh, a->v_st), "attention v")) return 0;
  if (!need(env, o, attn_extent(a->batch, a->heads, a->tq, a->d, a->o_sb, a->o_sh, a->o_st), "attention out")) return 0;
  if (!need(env, lse, (double)a->batch * a->heads * a->tq, "attention lse")) return 0;
  if (mask->data && a->batch > 0 && a->heads > 0 && a->tq > 0 && a->tk > 0 &&
      !need(env, mask,
            (double)(a->batch - 1) * a->m_sb + (double)(a->heads - 1) * a->m_sh + (double)(a->tq - 1) * a->m_st +
                (double)(a->tk - 1) * a->m_ss + 1,
            "attention mask"))
    return 0;
  return 1;
}

/* attention(q, k, v, out, lse, mask); args as read_attn */
static napi_value js_attention(napi_env env, napi_callback_info info) {
  GET_ARGS(6)
  ARR(0, q, 0) ARR(1, k, 0) ARR(2, v, 0) ARR(3, o, 0) ARR(4, lse, 0) ARR(5, mask, 1)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  if (!read_attn(env, &a)) return NULL;
  if (!check_attn(env, &a, &q, &k, &v, &o, &lse, &mask)) return NULL;
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = o.data, a.lse = lse.data, a.mask = mask.data;
  table->attention(&a);
  return NULL;
}

/* attentionGrad(q, k, v, out, lse, mask, gout, gq, gk, gv) */
static napi_value js_attention_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(10)
  ARR(0, q, 0) ARR(1, k, 0) ARR(2, v, 0) ARR(3, o, 0) ARR(4, lse, 0) ARR(5, mask, 1)
  ARR(6, go, 0) ARR(7, gq, 0) ARR(8, gk, 0) ARR(9, gv, 0)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  if (!read_attn(env, &a)) return NULL;
  if (!check_attn(env, &a, &q, &k, &v, &o, &lse, &mask)) return NULL;
  if (!need(env, &go, attn_extent(a.batch, a.heads, a.tq, a.d, a.o_sb, a.o_sh, a.o_st), "attention gradOut") ||
      !need(env, &gq, attn_extent(a.batch, a.heads, a.tq, a.d, a.gq_sb, a.gq_sh, a.gq_st), "attention gradQ") ||
      !need(env, &gk, attn_extent(a.batch, a.kv_heads, a.tk, a.d, a.gk_sb, a.gk_sh, a.gk_st), "attention gradK") ||
      !need(env, &gv, attn_extent(a.batch, a.kv_heads, a.tk, a.d, a.gv_sb, a.gv_sh, a.gv_st), "attention gradV"))
    return NULL;
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = o.data, a.lse = lse.data, a.mask = mask.data;
  a.gout = go.data, a.gq = gq.data, a.gk = gk.data, a.gv = gv.data;
  table->attention_grad(&a);
  return NULL;
}

/* pagedAttention(q, kPages, vPages, out, pageTable, tokenRow, tokenPos, alibi); args: tokens heads kvHeads d
 * pageSize pages pagesPerRow rows scale qTokenStride qHeadStride. Every page a token will read must exist. */
static napi_value js_paged_attention(napi_env env, napi_callback_info info) {
  GET_ARGS(8)
  ARR(0, q, 0) ARR(1, kp, 0) ARR(2, vp, 0) ARR(3, o, 0) ARR(4, table_arr, 0) ARR(5, row, 0) ARR(6, pos, 0)
  ARR(7, alibi, 1)
  PagedArgs a;
  memset(&a, 0, sizeof a);
  a.tokens = I(0), a.heads = I(1), a.kv_heads = I(2), a.d = I(3), a.page = I(4), a.pages = I(5), a.per_row = I(6);
  int64_t rows = I(7);
  a.scale = (float)A(8), a.q_st = I(9), a.q_sh = I(10);
  if (q.type != napi_float32_array || kp.type != napi_float32_array || vp.type != napi_float32_array ||
      o.type != napi_float32_array || (alibi.data && alibi.type != napi_float32_array))
    return throw_err(env, "llmts native: pagedAttention needs float32 arrays"), NULL;
  if (table_arr.type != napi_int32_array || row.type != napi_int32_array || pos.type != napi_int32_array)
    return throw_err(env, "llmts native: pagedAttention needs int32 page table, rows and positions"), NULL;
  if (a.tokens < 0 || a.heads <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0 || a.d <= 0 || a.page <= 0 ||
      a.pages < 0 || a.per_row < 0 || rows < 0 || a.q_st < 0 || a.q_sh < 0)
    return throw_err(env, "llmts native: pagedAttention sizes out of range"), NULL;
  if (a.tokens == 0) return NULL;
  NEED(q, (double)(a.tokens - 1) * a.q_st + (double)(a.heads - 1) * a.q_sh + a.d, "pagedAttention q")
  NEED(o, (double)a.tokens * a.heads * a.d, "pagedAttention out")
  NEED(kp, (double)a.pages * a.page * a.kv_heads * a.d, "pagedAttention kPages")
  NEED(vp, (double)a.pages * a.page * a.kv_heads * a.d, "pagedAttention vPages")
  NEED(table_arr, (double)rows * a.per_row, "pagedAttention pageTable")
  NEED(row, a.tokens, "pagedAttention tokenRow") NEED(pos, a.tokens, "pagedAttention tokenPos")
  if (alibi.data) NEED(alibi, a.heads, "pagedAttention alibi")
  const int32_t *t = table_arr.data, *r = row.data, *p = pos.data;
  for (int64_t n = 0; n < a.tokens; n++) {
    if (r[n] < 0 || r[n] >= rows || p[n] < 0 || (int64_t)p[n] >= a.per_row * a.page)
      return throw_err(env, "llmts native: pagedAttention token row or position out of range"), NULL;
    for (int64_t j = 0; j <= p[n] / a.page; j++) {
      int32_t page = t[(int64_t)r[n] * a.per_row + j];
      if (page < 0 || page >= a.pages) return throw_err(env, "llmts native: pagedAttention page id out of range"), NULL;
    }
  }
  a.q = q.data, a.kp = kp.data, a.vp = vp.data, a.out = o.data, a.alibi = alibi.data;
  a.table = t, a.row = r, a.pos = p;
  table->paged_attention(&a);
  return NULL;
}

/* qmatmul(a, wq, wd, c); args: scheme m n k lda ldc accumulate (see QMatArgs) */
static napi_value js_qmatmul(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, a, 0) ARR(1, wq, 0) ARR(2, wd, 0) ARR(3, c, 0)
  QMatArgs q;
  memset(&q, 0, sizeof q);
  q.scheme = (int)I(0), q.m = I(1), q.n = I(2), q.k = I(3), q.lda = I(4), q.ldc = I(5), q.accumulate = I(6) != 0;
  if (a.type != napi_float32_array || c.type != napi_float32_array)
    return throw_err(env, "llmts native: qmatmul needs float32 activations and output"), NULL;
  if (wq.type != napi_uint8_array || wd.type != napi_uint16_array)
    return throw_err(env, "llmts native: qmatmul needs uint8 quants and uint16 (fp16) scales"), NULL;
  if ((q.scheme != 0 && q.scheme != 1) || q.m < 0 || q.n < 0 || q.k <= 0 || q.k % 32 != 0 || q.lda < q.k ||
      q.ldc < q.n)
    return throw_err(env, "llmts native: qmatmul sizes out of range (k must be a positive multiple of 32)"), NULL;
  if (q.m == 0 || q.n == 0) return NULL;
  NEED(a, (double)(q.m - 1) * q.lda + q.k, "qmatmul a")
  NEED(c, (double)(q.m - 1) * q.ldc + q.n, "qmatmul c")
  NEED(wq, (double)q.n * (q.scheme == 0 ? q.k : q.k / 2), "qmatmul quants")
  NEED(wd, (double)q.n * (q.k / 32), "qmatmul scales")
  q.a = a.data, q.wq = wq.data, q.wd = wd.data, q.c = c.data;
  table->qmatmul(&q);
  return NULL;
}

/* quantVnni(want): -1 asks, 1/0 turns the AVX-512 VNNI quantized path on/off; returns whether it is on */
static napi_value js_quant_vnni(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  int32_t want = -1;
  napi_get_value_int32(env, argv[0], &want);
  napi_value out;
  napi_get_boolean(env, table->quant_vnni(want) != 0, &out);
  return out;
}

/* streamRead(x): the sum of x, read once over the pool (bench: read bandwidth) */
static napi_value js_stream_read(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  ARR(0, x, 0)
  if (x.type != napi_float32_array) return throw_err(env, "llmts native: streamRead needs a Float32Array"), NULL;
  if (x.length > ((size_t)1 << 32)) return throw_err(env, "llmts native: streamRead buffer too large"), NULL;
  napi_value out;
  napi_create_double(env, table->stream_read(x.data, (int64_t)x.length), &out);
  return out;
}

/* adamw(param, grad, m, v); args: n lr beta1 beta2 eps weightDecay step gradScale */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  GET_ARGS(4)
  ARR(0, p, 0) ARR(1, g, 0) ARR(2, m, 0) ARR(3, v, 0)
  int64_t n = I(0);
  NEED(p, n, "adamw param") NEED(g, n, "adamw grad") NEED(m, n, "adamw m") NEED(v, n, "adamw v")
  AdamArgs a = {p.data, g.data, m.data, v.data, n, A(1), A(2), A(3), A(4), A(5), A(7), A(6)};
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
  GET_ARGS(1)
  char name[32];
  size_t len;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    throw_err(env, "llmts native: setIsa needs a string");
    return NULL;
  }
  int lvl = isa_level(name);
  if (lvl < 0) {
    throw_err(env, "llmts native: ISA must be avx512, avx2 or scalar");
    return NULL;
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
  GET_ARGS(1)
  int32_t n;
  if (napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    throw_err(env, "llmts native: setThreads needs a positive integer");
    return NULL;
  }
  llmts_pool_set_threads(n);
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
  GET_ARGS(2)
  ARR(0, a, 0) ARR(1, b, 0)
  (void)a, (void)b;
  return NULL;
}

/* the data address of a typed array modulo 64 (the TS side places large arrays on cache lines) */
static napi_value js_address_mod64(napi_env env, napi_callback_info info) {
  GET_ARGS(1)
  ARR(0, a, 0)
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
