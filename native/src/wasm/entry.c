/*
 * The wasm module's kernel entry points: the calls of ../addon.c (same scalar-argument layout
 * in `args`, same checks) with arrays given as (pointer, element count) pairs into the linear
 * memory. src/backends/wasm/ wraps these in the NativeAddon interface, so the TypeScript
 * wrapper of the native backend (src/backends/native/index.ts) drives both.
 *
 * Each entry returns 0, or 1 after writing a one-line message to llmts_error() when an array
 * is too short for the access its arguments describe (a wrapper bug then throws instead of
 * overwriting a neighbouring tensor in the shared linear memory).
 */
#include <stdint.h>

#include "../kernels.h"
#include "../pool.h"
#include "include/math.h"
#include "include/string.h"
#include "wasm.h"

#define ARGS_LEN 64

static double args_buf[ARGS_LEN];
static char err_buf[200];
extern const KernelTable llmts_table_wasm;
static const KernelTable *const kt = &llmts_table_wasm;

EXPORT("llmts_args") double *llmts_args(void) { return args_buf; }
EXPORT("llmts_error") const char *llmts_error(void) { return err_buf; }
EXPORT("llmts_err_len") int llmts_err_len(void) { return (int)sizeof err_buf; }

typedef struct {
  void *data;
  double length; /* elements */
} Arr;

/* ---------- messages without printf ---------- */

static char *put_str(char *p, char *end, const char *s) {
  while (*s && p < end) *p++ = *s++;
  return p;
}

static char *put_num(char *p, char *end, double v) {
  char tmp[24];
  int n = 0;
  if (v < 0) {
    if (p < end) *p++ = '-';
    v = -v;
  }
  uint64_t u = v >= 1.8e19 ? UINT64_MAX : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u && n < 24);
  while (n && p < end) *p++ = tmp[--n];
  return p;
}

static int fail(const char *msg) {
  char *p = err_buf, *end = err_buf + sizeof err_buf - 1;
  p = put_str(p, end, msg);
  *p = 0;
  return 0;
}

/* the array must hold indices [0, need) */
static int need(const Arr *a, double need_len, const char *what) {
  if (a->data == NULL) return 1;
  if (need_len > a->length) {
    char *p = err_buf, *end = err_buf + sizeof err_buf - 1;
    p = put_str(p, end, "llmts wasm: ");
    p = put_str(p, end, what);
    p = put_str(p, end, " has ");
    p = put_num(p, end, a->length);
    p = put_str(p, end, " elements, the call needs ");
    p = put_num(p, end, need_len);
    *p = 0;
    return 0;
  }
  return 1;
}

#define ARR(name) void *name##_p, uint32_t name##_n
#define TAKE(name) Arr name = {name##_p, (double)name##_n};
#define NEED(arr, n, what) \
  if (!need(&arr, (double)(n), what)) return 1;
#define A(i) (args_buf[i])
#define I(i) ((int64_t)args_buf[i])

static double walk_extent(const Walk *w, int o, int64_t offset) {
  double e = (double)offset;
  for (int d = 0; d < w->ndim; d++) {
    if (w->shape[d] == 0) return 0;
    e += (double)(w->shape[d] - 1) * (double)w->strides[o][d];
  }
  return e + 1;
}

static int read_walk(int at, int nops, Walk *w, int64_t *offs) {
  int nd = (int)args_buf[at];
  if (nd < 1 || nd > LLMTS_MAX_DIMS) return fail("llmts wasm: bad walk rank");
  w->ndim = nd;
  for (int o = 0; o < 3; o++) offs[o] = (int64_t)args_buf[at + 1 + o];
  for (int d = 0; d < nd; d++) w->shape[d] = (int64_t)args_buf[at + 4 + d];
  for (int o = 0; o < nops; o++)
    for (int d = 0; d < nd; d++) {
      w->strides[o][d] = (int64_t)args_buf[at + 12 + 8 * o + d];
      if (w->strides[o][d] < 0) return fail("llmts wasm: negative stride");
    }
  return 1;
}

static int64_t walk_total(const Walk *w) {
  int64_t t = 1;
  for (int d = 0; d < w->ndim; d++) t *= w->shape[d];
  return t;
}

/* ---------- kernels ---------- */

EXPORT("sgemm") int sgemm(ARR(a), ARR(b), ARR(c)) {
  TAKE(a) TAKE(b) TAKE(c)
  GemmArgs g = {a.data, b.data, c.data, I(0), I(1), I(2), I(3), (int)A(4), (int)A(5), I(6), I(7), I(8),
                I(9), I(10), I(11), (int)A(12)};
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return 0;
  double ar = g.trans_a ? g.k : g.m, ac = g.trans_a ? g.m : g.k;
  double br = g.trans_b ? g.n : g.k, bc = g.trans_b ? g.k : g.n;
  if (g.k > 0) {
    NEED(a, (g.batch - 1) * (double)g.stride_a + (ar - 1) * g.lda + ac, "matmul A")
    NEED(b, (g.batch - 1) * (double)g.stride_b + (br - 1) * g.ldb + bc, "matmul B")
  }
  NEED(c, (g.batch - 1) * (double)g.stride_c + (g.m - 1) * (double)g.ldc + g.n, "matmul C")
  kt->sgemm(&g);
  return 0;
}

EXPORT("unary") int unary(ARR(x), ARR(y)) {
  TAKE(x) TAKE(y)
  int64_t n = I(1);
  NEED(x, n, "unary x") NEED(y, n, "unary out")
  kt->unary((int)A(0), x.data, y.data, n, (float)A(2));
  return 0;
}

EXPORT("unaryGrad") int unary_grad(ARR(x), ARR(y), ARR(gy), ARR(gx)) {
  TAKE(x) TAKE(y) TAKE(gy) TAKE(gx)
  int64_t n = I(1);
  NEED(x, n, "unaryGrad x") NEED(y, n, "unaryGrad y") NEED(gy, n, "unaryGrad gy") NEED(gx, n, "unaryGrad gx")
  kt->unary_grad((int)A(0), x.data, y.data, gy.data, gx.data, n, (float)A(2));
  return 0;
}

EXPORT("binary") int binary(ARR(a), ARR(b), ARR(out)) {
  TAKE(a) TAKE(b) TAKE(out)
  Walk w;
  int64_t offs[3];
  if (!read_walk(1, 2, &w, offs)) return 1;
  NEED(a, walk_extent(&w, 0, offs[0]), "binary a") NEED(b, walk_extent(&w, 1, offs[1]), "binary b")
  NEED(out, walk_total(&w), "binary out")
  kt->binary((int)A(0), (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return 0;
}

EXPORT("compare") int compare(ARR(a), ARR(b), ARR(out)) {
  TAKE(a) TAKE(b) TAKE(out)
  Walk w;
  int64_t offs[3];
  if (!read_walk(1, 2, &w, offs)) return 1;
  NEED(a, walk_extent(&w, 0, offs[0]), "compare a") NEED(b, walk_extent(&w, 1, offs[1]), "compare b")
  NEED(out, walk_total(&w), "compare out")
  kt->compare((int)A(0), (const float *)a.data + offs[0], (const float *)b.data + offs[1], out.data, &w);
  return 0;
}

EXPORT("where") int where(ARR(c), ARR(a), ARR(b), ARR(out)) {
  TAKE(c) TAKE(a) TAKE(b) TAKE(out)
  Walk w;
  int64_t offs[3];
  if (!read_walk(1, 3, &w, offs)) return 1;
  NEED(c, walk_extent(&w, 0, offs[0]), "where cond") NEED(a, walk_extent(&w, 1, offs[1]), "where a")
  NEED(b, walk_extent(&w, 2, offs[2]), "where b") NEED(out, walk_total(&w), "where out")
  kt->where((const uint8_t *)c.data + offs[0], (const float *)a.data + offs[1], (const float *)b.data + offs[2],
               out.data, &w);
  return 0;
}

/* copy(src, out, elsize): same element size on both sides */
EXPORT("copy") int copy(ARR(src), ARR(out), int es) {
  TAKE(src) TAKE(out)
  Walk w;
  int64_t offs[3];
  if (!read_walk(1, 1, &w, offs)) return 1;
  if (es != 1 && es != 4 && es != 8) return !fail("llmts wasm: copy of an unsupported element size");
  NEED(src, walk_extent(&w, 0, offs[0]), "copy src") NEED(out, walk_total(&w), "copy out")
  kt->copy((const char *)src.data + offs[0] * es, out.data, es, &w);
  return 0;
}

EXPORT("assign") int assign(ARR(dst), ARR(src), int es) {
  TAKE(dst) TAKE(src)
  Walk w;
  int64_t offs[3];
  if (!read_walk(1, 2, &w, offs)) return 1;
  if (es != 1 && es != 4 && es != 8) return !fail("llmts wasm: assign of an unsupported element size");
  NEED(dst, walk_extent(&w, 0, offs[0]), "assign dst") NEED(src, walk_extent(&w, 1, offs[1]), "assign src")
  kt->assign((char *)dst.data + offs[0] * es, (const char *)src.data + offs[1] * es, es, &w);
  return 0;
}

/* fill(out, isInt); args: n value */
EXPORT("fill") int fill(ARR(out), int is_int) {
  TAKE(out)
  int64_t n = I(0);
  NEED(out, n, "fill out")
  uint32_t bits;
  if (is_int) {
    bits = (uint32_t)(int32_t)A(1);
  } else {
    float f = (float)A(1);
    memcpy(&bits, &f, 4);
  }
  kt->fill32(out.data, n, bits);
  return 0;
}

EXPORT("reduce") int reduce(ARR(x), ARR(out)) {
  TAKE(x) TAKE(out)
  int64_t outer = I(1), r = I(2), inner = I(3);
  NEED(x, (double)outer * r * inner, "reduce x") NEED(out, (double)outer * inner, "reduce out")
  kt->reduce((int)A(0), x.data, outer, r, inner, out.data);
  return 0;
}

/* sumSquares(x); args: n; the result goes to args[63] */
EXPORT("sumSquares") int sum_squares(ARR(x)) {
  TAKE(x)
  int64_t n = I(0);
  NEED(x, n, "sumSquares x")
  args_buf[ARGS_LEN - 1] = kt->sum_squares(x.data, n);
  return 0;
}

EXPORT("softmax") int softmax(ARR(x), ARR(out)) {
  TAKE(x) TAKE(out)
  int64_t rows = I(0), cols = I(1);
  NEED(x, (double)rows * cols, "softmax x") NEED(out, (double)rows * cols, "softmax out")
  kt->softmax(x.data, rows, cols, out.data, (int)A(2));
  return 0;
}

EXPORT("softmaxGrad") int softmax_grad(ARR(y), ARR(gy), ARR(gx)) {
  TAKE(y) TAKE(gy) TAKE(gx)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(y, n, "softmaxGrad y") NEED(gy, n, "softmaxGrad gy") NEED(gx, n, "softmaxGrad gx")
  kt->softmax_grad(y.data, gy.data, rows, cols, gx.data, (int)A(2));
  return 0;
}

EXPORT("layerNorm") int layer_norm(ARR(x), ARR(w), ARR(b), ARR(y), ARR(mean), ARR(rstd)) {
  TAKE(x) TAKE(w) TAKE(b) TAKE(y) TAKE(mean) TAKE(rstd)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "layerNorm x") NEED(y, n, "layerNorm y") NEED(w, cols, "layerNorm w") NEED(b, cols, "layerNorm b")
  NEED(mean, rows, "layerNorm mean") NEED(rstd, rows, "layerNorm rstd")
  kt->layer_norm(x.data, w.data, b.data, rows, cols, (float)A(2), y.data, mean.data, rstd.data);
  return 0;
}

EXPORT("layerNormGrad")
int layer_norm_grad(ARR(x), ARR(w), ARR(mean), ARR(rstd), ARR(gy), ARR(gx), ARR(gw), ARR(gb)) {
  TAKE(x) TAKE(w) TAKE(mean) TAKE(rstd) TAKE(gy) TAKE(gx) TAKE(gw) TAKE(gb)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "layerNormGrad x") NEED(gy, n, "layerNormGrad gy") NEED(gx, n, "layerNormGrad gx")
  NEED(w, cols, "layerNormGrad w") NEED(gw, cols, "layerNormGrad gw") NEED(gb, cols, "layerNormGrad gb")
  NEED(mean, rows, "layerNormGrad mean") NEED(rstd, rows, "layerNormGrad rstd")
  kt->layer_norm_grad(x.data, w.data, mean.data, rstd.data, gy.data, rows, cols, gx.data, gw.data, gb.data);
  return 0;
}

EXPORT("rmsNorm") int rms_norm(ARR(x), ARR(w), ARR(y), ARR(rstd)) {
  TAKE(x) TAKE(w) TAKE(y) TAKE(rstd)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "rmsNorm x") NEED(y, n, "rmsNorm y") NEED(w, cols, "rmsNorm w") NEED(rstd, rows, "rmsNorm rstd")
  kt->rms_norm(x.data, w.data, rows, cols, (float)A(2), y.data, rstd.data);
  return 0;
}

EXPORT("rmsNormGrad") int rms_norm_grad(ARR(x), ARR(w), ARR(rstd), ARR(gy), ARR(gx), ARR(gw)) {
  TAKE(x) TAKE(w) TAKE(rstd) TAKE(gy) TAKE(gx) TAKE(gw)
  int64_t rows = I(0), cols = I(1);
  double n = (double)rows * cols;
  NEED(x, n, "rmsNormGrad x") NEED(gy, n, "rmsNormGrad gy") NEED(gx, n, "rmsNormGrad gx")
  NEED(w, cols, "rmsNormGrad w") NEED(gw, cols, "rmsNormGrad gw") NEED(rstd, rows, "rmsNormGrad rstd")
  kt->rms_norm_grad(x.data, w.data, rstd.data, gy.data, rows, cols, gx.data, gw.data);
  return 0;
}

static int check_targets(const Arr *t, int64_t rows, int64_t classes, int32_t ignore) {
  const int32_t *p = t->data;
  for (int64_t r = 0; r < rows; r++)
    if (p[r] != ignore && (p[r] < 0 || p[r] >= classes)) return fail("llmts wasm: crossEntropy target out of range");
  return 1;
}

EXPORT("crossEntropy") int cross_entropy(ARR(x), ARR(t), ARR(losses), ARR(lse)) {
  TAKE(x) TAKE(t) TAKE(losses) TAKE(lse)
  int64_t rows = I(0), classes = I(1);
  NEED(x, (double)rows * classes, "crossEntropy logits") NEED(t, rows, "crossEntropy targets")
  NEED(losses, rows, "crossEntropy losses") NEED(lse, rows, "crossEntropy lse")
  if (!check_targets(&t, rows, classes, (int32_t)A(2))) return 1;
  kt->cross_entropy(x.data, t.data, rows, classes, (int32_t)A(2), (float)A(3), losses.data, lse.data);
  return 0;
}

EXPORT("crossEntropyGrad") int cross_entropy_grad(ARR(x), ARR(t), ARR(lse), ARR(gl), ARR(gx)) {
  TAKE(x) TAKE(t) TAKE(lse) TAKE(gl) TAKE(gx)
  int64_t rows = I(0), classes = I(1);
  double n = (double)rows * classes;
  NEED(x, n, "crossEntropyGrad logits") NEED(gx, n, "crossEntropyGrad gx") NEED(t, rows, "crossEntropyGrad targets")
  NEED(lse, rows, "crossEntropyGrad lse") NEED(gl, rows, "crossEntropyGrad gradLoss")
  if (!check_targets(&t, rows, classes, (int32_t)A(2))) return 1;
  kt->cross_entropy_grad(x.data, t.data, lse.data, gl.data, rows, classes, (int32_t)A(2), (float)A(3), gx.data);
  return 0;
}

static int check_index(const Arr *idx, int64_t n, int64_t dim) {
  const int32_t *p = idx->data;
  for (int64_t i = 0; i < n; i++)
    if (p[i] < 0 || p[i] >= dim) return fail("llmts wasm: index out of range");
  return 1;
}

EXPORT("indexSelect") int index_select(ARR(src), ARR(idx), ARR(out), int es) {
  TAKE(src) TAKE(idx) TAKE(out)
  int64_t outer = I(0), dim = I(1), inner = I(2), n = I(3);
  if (es != 1 && es != 4 && es != 8) return !fail("llmts wasm: indexSelect of an unsupported element size");
  NEED(src, (double)outer * dim * inner, "indexSelect src") NEED(idx, n, "indexSelect index")
  NEED(out, (double)outer * n * inner, "indexSelect out")
  if (!check_index(&idx, n, dim)) return 1;
  kt->index_select(src.data, es, outer, dim, inner, idx.data, n, out.data);
  return 0;
}

EXPORT("indexAdd") int index_add(ARR(src), ARR(idx), ARR(dst)) {
  TAKE(src) TAKE(idx) TAKE(dst)
  int64_t outer = I(0), n = I(1), inner = I(2), dim = I(3);
  NEED(src, (double)outer * n * inner, "indexAdd src") NEED(idx, n, "indexAdd index")
  NEED(dst, (double)outer * dim * inner, "indexAdd dst")
  if (!check_index(&idx, n, dim)) return 1;
  kt->index_add(src.data, outer, n, inner, idx.data, dim, dst.data);
  return 0;
}

static int read_attn(AttnArgs *a) {
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
  if (a->kv_heads <= 0 || a->heads % a->kv_heads != 0) return fail("llmts wasm: heads must be a multiple of kvHeads");
  return 1;
}

static double attn_extent(int64_t b, int64_t h, int64_t t, int64_t d, int64_t sb, int64_t sh, int64_t st) {
  if (b == 0 || h == 0 || t == 0) return 0;
  return (double)(b - 1) * sb + (double)(h - 1) * sh + (double)(t - 1) * st + d;
}

static int check_attn(const AttnArgs *a, const Arr *q, const Arr *k, const Arr *v, const Arr *o, const Arr *lse,
                      const Arr *mask) {
  if (!need(q, attn_extent(a->batch, a->heads, a->tq, a->d, a->q_sb, a->q_sh, a->q_st), "attention q")) return 0;
  if (!need(k, attn_extent(a->batch, a->kv_heads, a->tk, a->d, a->k_sb, a->k_sh, a->k_st), "attention k")) return 0;
  if (!need(v, attn_extent(a->batch, a->kv_heads, a->tk, a->d, a->v_sb, a->v_sh, a->v_st), "attention v")) return 0;
  if (!need(o, attn_extent(a->batch, a->heads, a->tq, a->d, a->o_sb, a->o_sh, a->o_st), "attention out")) return 0;
  if (!need(lse, (double)a->batch * a->heads * a->tq, "attention lse")) return 0;
  if (mask->data && a->batch > 0 && a->heads > 0 && a->tq > 0 && a->tk > 0 &&
      !need(mask,
            (double)(a->batch - 1) * a->m_sb + (double)(a->heads - 1) * a->m_sh + (double)(a->tq - 1) * a->m_st +
                (double)(a->tk - 1) * a->m_ss + 1,
            "attention mask"))
    return 0;
  return 1;
}

EXPORT("attention") int attention(ARR(q), ARR(k), ARR(v), ARR(o), ARR(lse), ARR(mask)) {
  TAKE(q) TAKE(k) TAKE(v) TAKE(o) TAKE(lse) TAKE(mask)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  if (!read_attn(&a) || !check_attn(&a, &q, &k, &v, &o, &lse, &mask)) return 1;
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = o.data, a.lse = lse.data, a.mask = mask.data;
  kt->attention(&a);
  return 0;
}

EXPORT("attentionGrad")
int attention_grad(ARR(q), ARR(k), ARR(v), ARR(o), ARR(lse), ARR(mask), ARR(go), ARR(gq), ARR(gk), ARR(gv)) {
  TAKE(q) TAKE(k) TAKE(v) TAKE(o) TAKE(lse) TAKE(mask) TAKE(go) TAKE(gq) TAKE(gk) TAKE(gv)
  AttnArgs a;
  memset(&a, 0, sizeof a);
  if (!read_attn(&a) || !check_attn(&a, &q, &k, &v, &o, &lse, &mask)) return 1;
  if (!need(&go, attn_extent(a.batch, a.heads, a.tq, a.d, a.o_sb, a.o_sh, a.o_st), "attention gradOut") ||
      !need(&gq, attn_extent(a.batch, a.heads, a.tq, a.d, a.gq_sb, a.gq_sh, a.gq_st), "attention gradQ") ||
      !need(&gk, attn_extent(a.batch, a.kv_heads, a.tk, a.d, a.gk_sb, a.gk_sh, a.gk_st), "attention gradK") ||
      !need(&gv, attn_extent(a.batch, a.kv_heads, a.tk, a.d, a.gv_sb, a.gv_sh, a.gv_st), "attention gradV"))
    return 1;
  a.q = q.data, a.k = k.data, a.v = v.data, a.out = o.data, a.lse = lse.data, a.mask = mask.data;
  a.gout = go.data, a.gq = gq.data, a.gk = gk.data, a.gv = gv.data;
  kt->attention_grad(&a);
  return 0;
}

/* pagedAttention(q, kp, vp, out, table, row, pos, alibi); args: tokens heads kvHeads d page pages perRow rows
 * scale qSt qSh (the dtypes are the adapter's: it passes only float32 / int32 arrays here) */
EXPORT("pagedAttention")
int paged_attention(ARR(q), ARR(kp), ARR(vp), ARR(o), ARR(tbl), ARR(row), ARR(pos), ARR(alibi)) {
  TAKE(q) TAKE(kp) TAKE(vp) TAKE(o) TAKE(tbl) TAKE(row) TAKE(pos) TAKE(alibi)
  PagedArgs a;
  memset(&a, 0, sizeof a);
  a.tokens = I(0), a.heads = I(1), a.kv_heads = I(2), a.d = I(3), a.page = I(4), a.pages = I(5), a.per_row = I(6);
  int64_t rows = I(7);
  a.scale = (float)A(8), a.q_st = I(9), a.q_sh = I(10);
  if (a.tokens < 0 || a.heads <= 0 || a.kv_heads <= 0 || a.heads % a.kv_heads != 0 || a.d <= 0 || a.page <= 0 ||
      a.pages < 0 || a.per_row < 0 || rows < 0 || a.q_st < 0 || a.q_sh < 0)
    return !fail("llmts wasm: pagedAttention sizes out of range");
  if (a.tokens == 0) return 0;
  NEED(q, (double)(a.tokens - 1) * a.q_st + (double)(a.heads - 1) * a.q_sh + a.d, "pagedAttention q")
  NEED(o, (double)a.tokens * a.heads * a.d, "pagedAttention out")
  NEED(kp, (double)a.pages * a.page * a.kv_heads * a.d, "pagedAttention kPages")
  NEED(vp, (double)a.pages * a.page * a.kv_heads * a.d, "pagedAttention vPages")
  NEED(tbl, (double)rows * a.per_row, "pagedAttention pageTable")
  NEED(row, a.tokens, "pagedAttention tokenRow") NEED(pos, a.tokens, "pagedAttention tokenPos")
  if (alibi.data) NEED(alibi, a.heads, "pagedAttention alibi")
  const int32_t *t = tbl.data, *r = row.data, *p = pos.data;
  for (int64_t n = 0; n < a.tokens; n++) {
    if (r[n] < 0 || r[n] >= rows || p[n] < 0 || (int64_t)p[n] >= a.per_row * a.page)
      return !fail("llmts wasm: pagedAttention token row or position out of range");
    for (int64_t j = 0; j <= p[n] / a.page; j++) {
      int32_t page = t[(int64_t)r[n] * a.per_row + j];
      if (page < 0 || page >= a.pages) return !fail("llmts wasm: pagedAttention page id out of range");
    }
  }
  a.q = q.data, a.kp = kp.data, a.vp = vp.data, a.out = o.data, a.alibi = alibi.data;
  a.table = t, a.row = r, a.pos = p;
  kt->paged_attention(&a);
  return 0;
}

/* qmatmul(a, wq, wd, c); args: scheme m n k lda ldc accumulate (see QMatArgs) */
EXPORT("qmatmul") int qmatmul(ARR(a), ARR(wq), ARR(wd), ARR(c)) {
  TAKE(a) TAKE(wq) TAKE(wd) TAKE(c)
  QMatArgs q;
  memset(&q, 0, sizeof q);
  q.scheme = (int)I(0), q.m = I(1), q.n = I(2), q.k = I(3), q.lda = I(4), q.ldc = I(5), q.accumulate = I(6) != 0;
  if ((q.scheme != 0 && q.scheme != 1) || q.m < 0 || q.n < 0 || q.k <= 0 || q.k % 32 != 0 || q.lda < q.k ||
      q.ldc < q.n)
    return !fail("llmts wasm: qmatmul sizes out of range (k must be a positive multiple of 32)");
  if (q.m == 0 || q.n == 0) return 0;
  NEED(a, (double)(q.m - 1) * q.lda + q.k, "qmatmul a")
  NEED(c, (double)(q.m - 1) * q.ldc + q.n, "qmatmul c")
  NEED(wq, (double)q.n * (q.scheme == 0 ? q.k : q.k / 2), "qmatmul quants")
  NEED(wd, (double)q.n * (q.k / 32), "qmatmul scales")
  q.a = a.data, q.wq = wq.data, q.wd = wd.data, q.c = c.data;
  kt->qmatmul(&q);
  return 0;
}

/* streamRead(x): the sum of x read once over the pool, into args[63] */
EXPORT("streamRead") int stream_read(ARR(x)) {
  TAKE(x)
  args_buf[ARGS_LEN - 1] = kt->stream_read(x.data, (int64_t)x.length);
  return 0;
}

EXPORT("adamw") int adamw(ARR(p), ARR(g), ARR(m), ARR(v)) {
  TAKE(p) TAKE(g) TAKE(m) TAKE(v)
  int64_t n = I(0);
  NEED(p, n, "adamw param") NEED(g, n, "adamw grad") NEED(m, n, "adamw m") NEED(v, n, "adamw v")
  AdamArgs a = {p.data, g.data, m.data, v.data, n, A(1), A(2), A(3), A(4), A(5), A(7), A(6)};
  kt->adamw(&a);
  return 0;
}

/* nothing, with two arrays: the per-call overhead */
EXPORT("noop") int noop(ARR(a), ARR(b)) {
  (void)a_p, (void)a_n, (void)b_p, (void)b_n;
  return 0;
}
