/* This ISA's kernel table (compiled once per ISA, like every kernel source). */
#include "kernels.h"
#include "simd.h"

#define STR2(x) #x
#define STR(x) STR2(x)

void FN(sgemm)(const GemmArgs *g);
void FN(unary)(int op, const float *x, float *y, int64_t n, float p);
void FN(unary_grad)(int op, const float *x, const float *y, const float *gy, float *gx, int64_t n, float p);
void FN(binary)(int op, const float *a, const float *b, float *out, const Walk *w);
void FN(compare)(int op, const float *a, const float *b, uint8_t *out, const Walk *w);
void FN(where)(const uint8_t *cond, const float *a, const float *b, float *out, const Walk *w);
void FN(copy)(const void *src, void *out, int elsize, const Walk *w);
void FN(assign)(void *dst, const void *src, int elsize, const Walk *w);
void FN(fill32)(uint32_t *out, int64_t n, uint32_t bits);
void FN(reduce)(int op, const float *x, int64_t outer, int64_t r, int64_t inner, float *out);
double FN(sum_squares)(const float *x, int64_t n);
void FN(softmax)(const float *x, int64_t rows, int64_t cols, float *out, int log);
void FN(softmax_grad)(const float *y, const float *gy, int64_t rows, int64_t cols, float *gx, int log);
void FN(layer_norm)(const float *x, const float *w, const float *b, int64_t rows, int64_t cols, float eps, float *y,
                    float *mean, float *rstd);
void FN(layer_norm_grad)(const float *x, const float *w, const float *mean, const float *rstd, const float *gy,
                         int64_t rows, int64_t cols, float *gx, float *gw, float *gb);
void FN(rms_norm)(const float *x, const float *w, int64_t rows, int64_t cols, float eps, float *y, float *rstd);
void FN(rms_norm_grad)(const float *x, const float *w, const float *rstd, const float *gy, int64_t rows, int64_t cols,
                       float *gx, float *gw);
void FN(cross_entropy)(const float *logits, const int32_t *targets, int64_t rows, int64_t classes, int32_t ignore,
                       float smoothing, float *losses, float *lse);
void FN(cross_entropy_grad)(const float *logits, const int32_t *targets, const float *lse, const float *gloss,
                            int64_t rows, int64_t classes, int32_t ignore, float smoothing, float *gx);
void FN(index_select)(const void *src, int elsize, int64_t outer, int64_t src_dim, int64_t inner,
                      const int32_t *index, int64_t n, void *out);
void FN(index_add)(const float *src, int64_t outer, int64_t n, int64_t inner, const int32_t *index, int64_t dst_dim,
                   float *dst);
void FN(attention)(const AttnArgs *a);
void FN(attention_grad)(const AttnArgs *a);
void FN(paged_attention)(const PagedArgs *a);
void FN(adamw)(const AdamArgs *a);
void FN(qmatmul)(const QMatArgs *q);
int FN(quant_vnni)(int want);
double FN(stream_read)(const float *x, int64_t n);

const KernelTable FN_CAT(llmts_table, ISA_SUFFIX) = {
  .name = STR(ISA_SUFFIX),
  .sgemm = FN(sgemm),
  .unary = FN(unary),
  .unary_grad = FN(unary_grad),
  .binary = FN(binary),
  .compare = FN(compare),
  .where = FN(where),
  .copy = FN(copy),
  .assign = FN(assign),
  .fill32 = FN(fill32),
  .reduce = FN(reduce),
  .sum_squares = FN(sum_squares),
  .softmax = FN(softmax),
  .softmax_grad = FN(softmax_grad),
  .layer_norm = FN(layer_norm),
  .layer_norm_grad = FN(layer_norm_grad),
  .rms_norm = FN(rms_norm),
  .rms_norm_grad = FN(rms_norm_grad),
  .cross_entropy = FN(cross_entropy),
  .cross_entropy_grad = FN(cross_entropy_grad),
  .index_select = FN(index_select),
  .index_add = FN(index_add),
  .attention = FN(attention),
  .attention_grad = FN(attention_grad),
  .paged_attention = FN(paged_attention),
  .adamw = FN(adamw),
  .qmatmul = FN(qmatmul),
  .quant_vnni = FN(quant_vnni),
  .stream_read = FN(stream_read),
};
