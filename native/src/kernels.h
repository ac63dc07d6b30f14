/*
 * The native kernels, one table per ISA (AVX-512, AVX2+FMA, scalar). Every kernel source is
 * compiled once per ISA (see binding.gyp); addon.c picks a table at load.
 * Sizes and strides are in elements (int64). Float kernels are float32 only: the TS wrapper
 * sends other dtypes to the reference backend.
 */
#ifndef LLMTS_KERNELS_H
#define LLMTS_KERNELS_H

#include <stdint.h>

#define LLMTS_MAX_DIMS 8

typedef struct {
  const float *a, *b;
  float *c;
  int64_t batch, m, n, k;
  int trans_a, trans_b;
  int64_t lda, ldb, ldc;
  int64_t stride_a, stride_b, stride_c;
  int accumulate;
} GemmArgs;

/* A strided walk over an output of `ndim` dims: operand o's element for multi-index i is
 * base_o + sum_d i_d * strides[o][d]; the output is dense. */
typedef struct {
  int ndim;
  int64_t shape[LLMTS_MAX_DIMS];
  int64_t strides[3][LLMTS_MAX_DIMS];
} Walk;

typedef struct {
  const float *q, *k, *v, *mask;
  float *out, *lse;
  const float *gout;
  float *gq, *gk, *gv;
  int64_t q_sb, q_sh, q_st, k_sb, k_sh, k_st, v_sb, v_sh, v_st, o_sb, o_sh, o_st;
  int64_t m_sb, m_sh, m_st, m_ss;
  /* gradient layouts (gout uses the out layout) */
  int64_t gq_sb, gq_sh, gq_st, gk_sb, gk_sh, gk_st, gv_sb, gv_sh, gv_st;
  int64_t batch, heads, kv_heads, tq, tk, d;
  float scale;
  int causal;
} AttnArgs;

/* attention over a paged KV cache (paged_attention.c): q token n head h at n q_st + h q_sh;
 * out dense [tokens, heads, d]; kp/vp dense [pages, page, kv_heads, d]; table [rows, per_row];
 * row/pos [tokens]; alibi [heads] or NULL */
typedef struct {
  const float *q, *kp, *vp, *alibi;
  float *out;
  const int32_t *table, *row, *pos;
  int64_t q_st, q_sh, tokens, heads, kv_heads, d, page, pages, per_row;
  float scale;
} PagedArgs;

typedef struct {
  float *param;
  const float *grad;
  float *m, *v;
  int64_t n;
  double lr, beta1, beta2, eps, weight_decay, grad_scale, step;
} AdamArgs;

/* op codes shared with src/backends/native/codes.ts */
enum {
  U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_RELU, U_GELU, U_GELU_TANH, U_SILU, U_ABS,
  U_SIN, U_COS, U_SQUARE, U_RECIPROCAL, U_POW, U_SCALE, U_ADD_SCALAR, U_SIGN, U_ERF, U_COUNT
};
enum { B_ADD, B_SUB, B_MUL, B_DIV, B_MAXIMUM, B_MINIMUM, B_POW, B_COUNT };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE, C_COUNT };
enum { R_SUM, R_MAX, R_MIN, R_PROD, R_COUNT };

/* weight-only quantized matmul (quant.c): c[i, j] (+)= a[i, :] . dequant(W[j, :]), W [n, k] in
 * blocks of 32 along k; scheme 0 = q8_0 (wq: k int8 per row), 1 = q4_0 (wq: k/2 bytes per row);
 * wd: n * k/32 fp16 scales. k must be a multiple of 32. */
typedef struct {
  int scheme;
  const float *a;
  const uint8_t *wq;
  const uint16_t *wd;
  float *c;
  int64_t m, n, k, lda, ldc;
  int accumulate;
} QMatArgs;

typedef struct {
  const char *name;
  void (*sgemm)(const GemmArgs *g);
  void (*unary)(int op, const float *x, float *y, int64_t n, float p);
  void (*unary_grad)(int op, const float *x, const float *y, const float *gy, float *gx, int64_t n, float p);
  /* out = a op b over the walk (operands 0 = a, 1 = b) */
  void (*binary)(int op, const float *a, const float *b, float *out, const Walk *w);
  void (*compare)(int op, const float *a, const float *b, uint8_t *out, const Walk *w);
  /* operands 0 = cond, 1 = a, 2 = b */
  void (*where)(const uint8_t *cond, const float *a, const float *b, float *out, const Walk *w);
  /* dense copy of a strided view, element size 1, 4 or 8 bytes (operand 0) */
  void (*copy)(const void *src, void *out, int elsize, const Walk *w);
  /* strided to strided copy: operand 0 = dst, 1 = src */
  void (*assign)(void *dst, const void *src, int elsize, const Walk *w);
  void (*fill32)(uint32_t *out, int64_t n, uint32_t bits);
  void (*reduce)(int op, const float *x, int64_t outer, int64_t r, int64_t inner, float *out);
  double (*sum_squares)(const float *x, int64_t n);
  void (*softmax)(const float *x, int64_t rows, int64_t cols, float *out, int log);
  void (*softmax_grad)(const float *y, const float *gy, int64_t rows, int64_t cols, float *gx, int log);
  void (*layer_norm)(const float *x, const float *w, const float *b, int64_t rows, int64_t cols, float eps,
                     float *y, float *mean, float *rstd);
  void (*layer_norm_grad)(const float *x, const float *w, const float *mean, const float *rstd, const float *gy,
                          int64_t rows, int64_t cols, float *gx, float *gw, float *gb);
  void (*rms_norm)(const float *x, const float *w, int64_t rows, int64_t cols, float eps, float *y, float *rstd);
  void (*rms_norm_grad)(const float *x, const float *w, const float *rstd, const float *gy, int64_t rows, int64_t cols,
                        float *gx, float *gw);
  void (*cross_entropy)(const float *logits, const int32_t *targets, int64_t rows, int64_t classes, int32_t ignore,
                        float smoothing, float *losses, float *lse);
  void (*cross_entropy_grad)(const float *logits, const int32_t *targets, const float *lse, const float *gloss,
                             int64_t rows, int64_t classes, int32_t ignore, float smoothing, float *gx);
  void (*index_select)(const void *src, int elsize, int64_t outer, int64_t src_dim, int64_t inner,
                       const int32_t *index, int64_t n, void *out);
  void (*index_add)(const float *src, int64_t outer, int64_t n, int64_t inner, const int32_t *index, int64_t dst_dim,
                    float *dst);
  void (*attention)(const AttnArgs *a);
  void (*attention_grad)(const AttnArgs *a);
  void (*paged_attention)(const PagedArgs *a);
  void (*adamw)(const AdamArgs *a);
  void (*qmatmul)(const QMatArgs *q);
  /* want = 1/0 turns the AVX-512 VNNI path on/off (only if the CPU has it), -1 asks; returns whether it is on */
  int (*quant_vnni)(int want);
  /* sum of n floats read once (stream.c: the benchmark's read-bandwidth probe); n <= 2^32 */
  double (*stream_read)(const float *x, int64_t n);
} KernelTable;

/* the tables this architecture's build links (binding.gyp: x86-64 avx512/avx2/scalar, AArch64 neon/scalar) */
extern const KernelTable llmts_table_avx512;
extern const KernelTable llmts_table_avx2;
extern const KernelTable llmts_table_neon;
extern const KernelTable llmts_table_scalar;

#endif
