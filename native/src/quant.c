/*
 * Weight-only quantized matmul (reference: src/backends/quant.ts, the specification;
 * format: docs/quantization.md).
 *
 *   c[i, j] (+)= sum over blocks b of  dw[j, b] * da[i, b] * isum(i, j, b)
 *
 * Weights W [n, k] are quantized in blocks of 32 along k with one fp16 scale per block
 * (llama.cpp's Q8_0 and Q4_0 semantics, stored as two arrays: quants and scales):
 *   q8_0: w = d * q, q int8 in [-127, 127]                 (k bytes per row)
 *   q4_0: w = d * (q - 8), q in [0, 15], byte j of a block = q[j] | q[j + 16] << 4   (k/2 bytes per row)
 * Activations a [m, k] are quantized per block of 32 on the way in, as llama.cpp does for its
 * q8_0 / q4_0 dot products: da = fp16(amax / 127), qa = round-half-even(a / (amax / 127)), so
 * every block product is an exact integer dot product (isum) scaled by dw * da. For q4_0,
 * isum = sum (q - 8) qa = sum q qa - 8 sum qa (the unsigned nibbles go straight into the
 * unsigned x signed byte products).
 *
 * Paths: AVX-512BW (maddubs + madd), AVX-512 VNNI (vpdpbusd; chosen at run time when the CPU
 * has it, code below marked VNNI), AVX2 (maddubs + madd), scalar. Block products are exact on
 * every path; the float sums over blocks differ in order between paths (conformance tests
 * compare with a tolerance). Work is split over the weight rows j; each task quantizes nothing
 * and reads the shared quantized activations.
 */
#include "kernels.h"
#include "par.h"
#include "pool.h"
#include "simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define QB 32

/* fp16 <-> fp32, round to nearest even (portable; F16C would do the same) */
static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
  if (exp == 0) {
    if (man == 0) bits = sign;
    else {
      /* subnormal: normalize */
      int e = -1;
      do {
        e++;
        man <<= 1;
      } while ((man & 0x400u) == 0);
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
    }
  } else if (exp == 31) bits = sign | 0x7f800000u | (man << 13);
  else bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520: inf */
  if (ax < 0x38800000u) {
    /* subnormal half (or zero): value / 2^-24, rounded to nearest even */
    float v;
    memcpy(&v, &ax, 4);
    float q = v * 16777216.0f; /* exact: scaling by a power of two */
    float r = nearbyintf(q);
    return (uint16_t)(sign | (uint32_t)r);
  }
  uint32_t e = (ax >> 23) - 127 + 15, man = ax & 0x7fffffu;
  uint32_t h = (e << 10) | (man >> 13);
  uint32_t rest = man & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return (uint16_t)(sign | h);
}

/* one block of 32 activations -> int8 quants, the fp16-rounded scale, and the quants' sum */
static void quantize_block(const float *x, int8_t *q, float *d_out, int32_t *sum_out) {
  float amax = 0.0f;
  for (int j = 0; j < QB; j++) {
    float v = fabsf(x[j]);
    if (v > amax) amax = v;
  }
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int32_t s = 0;
  for (int j = 0; j < QB; j++) {
    int v = (int)nearbyintf(x[j] * id);
    q[j] = (int8_t)v;
    s += v;
  }
  *d_out = f16_to_f32(f32_to_f16(d));
  *sum_out = s;
}

typedef struct {
  const QMatArgs *g;
  const int8_t *aq;   /* [m, k] */
  const float *ad;    /* [m, k / 32] */
  const int32_t *as;  /* [m, k / 32] */
} QJob;

/* ---------------------------------------------------------------- block dot products */

#if defined(LLMTS_ISA_AVX512)
/* two blocks per 512-bit register: 16 int32 lanes, lanes 0-7 block 0, 8-15 block 1 */
INL __m512i dot_u8s8_bw(__m512i u, __m512i s) {
  return _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1));
}
/* VNNI (x86 only, AVX-512 VNNI): one instruction for the 64 byte products and the adds */
__attribute__((target("avx512vnni"))) static inline __m512i dot_u8s8_vnni(__m512i u, __m512i s) {
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), u, s);
}
INL __m512i q4_unpack2(const uint8_t *p) {
  /* 32 bytes = 2 blocks of 16 -> [b0 lo | b0 hi | b1 lo | b1 hi] (128-bit lanes) */
  __m256i t = _mm256_loadu_si256((const __m256i *)p);
  __m256i m = _mm256_set1_epi8(0x0f);
  __m256i lo = _mm256_and_si256(t, m), hi = _mm256_and_si256(_mm256_srli_epi16(t, 4), m);
  __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); /* b0lo b1lo b0hi b1hi */
  return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
}
/* scale lanes: 8 x s0, 8 x s1 */
INL __m512 two_scales(float s0, float s1) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(s0)), _mm256_set1_ps(s1), 1);
}

/* the last block of an odd count, outside the VNNI-targeted function: GCC 12 vectorized this
 * signed x signed byte loop into vpdpbusd (unsigned x signed) there, which is wrong */
__attribute__((noinline)) static float tail_block(int scheme, const uint8_t *wq, const uint16_t *wd, const int8_t *aq,
                                                   const float *ad, int64_t b) {
  int32_t isum = 0;
  for (int j = 0; j < QB; j++) {
    int wv = scheme == 0 ? (int)(int8_t)wq[b * QB + j] : (int)((wq[b * (QB / 2) + (j & 15)] >> (j < 16 ? 0 : 4)) & 15) - 8;
    isum += wv * aq[b * QB + j];
  }
  return f16_to_f32(wd[b]) * ad[b] * (float)isum;
}

#define DEF_ROW_DOT(NAME, DOT, ATTR)                                                                          \
  ATTR static float NAME(int scheme, const uint8_t *wq, const uint16_t *wd, const int8_t *aq, const float *ad, \
                         const int32_t *as, int64_t nb) {                                                     \
    __m512 acc = _mm512_setzero_ps();                                                                         \
    float off = 0.0f;                                                                                         \
    int64_t b = 0;                                                                                            \
    for (; b + 2 <= nb; b += 2) {                                                                             \
      __m512i w, a = _mm512_loadu_si512((const void *)(aq + b * QB));                                         \
      if (scheme == 0) {                                                                                      \
        w = _mm512_loadu_si512((const void *)(wq + b * QB));                                                  \
        /* u8 x s8 products: |w| and a with w's sign */                                                      \
        __mmask64 neg = _mm512_movepi8_mask(w);                                                               \
        a = _mm512_mask_sub_epi8(a, neg, _mm512_setzero_si512(), a);                                         \
        w = _mm512_abs_epi8(w);                                                                               \
      } else                                                                                                  \
        w = q4_unpack2(wq + b * (QB / 2));                                                                    \
      const float s0 = f16_to_f32(wd[b]) * ad[b], s1 = f16_to_f32(wd[b + 1]) * ad[b + 1];                     \
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(DOT(w, a)), two_scales(s0, s1), acc);                         \
      if (scheme == 1) off += s0 * (float)(-8 * as[b]) + s1 * (float)(-8 * as[b + 1]);                        \
    }                                                                                                         \
    float r = _mm512_reduce_add_ps(acc) + off;                                                                \
    if (b < nb) r += tail_block(scheme, wq, wd, aq, ad, b);                                                   \
    return r;                                                                                                 \
  }
DEF_ROW_DOT(row_dot_bw, dot_u8s8_bw, )
DEF_ROW_DOT(row_dot_vnni, dot_u8s8_vnni, __attribute__((target("avx512vnni"))))

static int vnni_state = -1; /* -1 unknown, 0 off, 1 on */
int FN(quant_vnni)(int want) {
  int has = 0;
#if defined(__x86_64__)
  __builtin_cpu_init();
  has = __builtin_cpu_supports("avx512vnni");
#endif
  if (want >= 0) vnni_state = want && has;
  else if (vnni_state < 0) vnni_state = has;
  return vnni_state;
}
#define ROW_DOT(...) (vnni_state > 0 ? row_dot_vnni(__VA_ARGS__) : row_dot_bw(__VA_ARGS__))

#elif defined(LLMTS_ISA_AVX2)
static float row_dot_avx2(int scheme, const uint8_t *wq, const uint16_t *wd, const int8_t *aq, const float *ad,
                          const int32_t *as, int64_t nb) {
  __m256 acc = _mm256_setzero_ps();
  float off = 0.0f;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < nb; b++) {
    __m256i w, a = _mm256_loadu_si256((const __m256i *)(aq + b * QB));
    if (scheme == 0) {
      w = _mm256_loadu_si256((const __m256i *)(wq + b * QB));
      a = _mm256_sign_epi8(a, w);
      w = _mm256_sign_epi8(w, w);
    } else {
      __m128i t = _mm_loadu_si128((const __m128i *)(wq + b * (QB / 2)));
      __m128i m = _mm_set1_epi8(0x0f);
      w = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(t, 4), m), _mm_and_si128(t, m));
    }
    const float s = f16_to_f32(wd[b]) * ad[b];
    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(w, a), ones);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(s), acc);
    if (scheme == 1) off += s * (float)(-8 * as[b]);
  }
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h) + off;
}
int FN(quant_vnni)(int want) {
  (void)want;
  return 0;
}
#define ROW_DOT row_dot_avx2

#else
static float row_dot_scalar(int scheme, const uint8_t *wq, const uint16_t *wd, const int8_t *aq, const float *ad,
                            const int32_t *as, int64_t nb) {
  (void)as;
  float r = 0.0f;
  for (int64_t b = 0; b < nb; b++) {
    int32_t isum = 0;
    for (int j = 0; j < QB; j++) {
      int wv = scheme == 0 ? (int)(int8_t)wq[b * QB + j]
                           : (int)((wq[b * (QB / 2) + (j & 15)] >> (j < 16 ? 0 : 4)) & 15) - 8;
      isum += wv * aq[b * QB + j];
    }
    r += f16_to_f32(wd[b]) * ad[b] * (float)isum;
  }
  return r;
}
int FN(quant_vnni)(int want) {
  (void)want;
  return 0;
}
#define ROW_DOT row_dot_scalar
#endif

static void qmat_range(void *ctx, int64_t j0, int64_t j1, int tid) {
  (void)tid;
  const QJob *J = ctx;
  const QMatArgs *g = J->g;
  const int64_t nb = g->k / QB;
  const int64_t row_bytes = g->scheme == 0 ? g->k : g->k / 2;
  for (int64_t j = j0; j < j1; j++) {
    const uint8_t *wq = g->wq + j * row_bytes;
    const uint16_t *wd = g->wd + j * nb;
    for (int64_t i = 0; i < g->m; i++) {
      float v = ROW_DOT(g->scheme, wq, wd, J->aq + i * g->k, J->ad + i * nb, J->as + i * nb, nb);
      float *c = g->c + i * g->ldc + j;
      *c = g->accumulate ? *c + v : v;
    }
  }
}

void FN(qmatmul)(const QMatArgs *g) {
  if (g->m <= 0 || g->n <= 0) return;
#if defined(LLMTS_ISA_AVX512)
  if (vnni_state < 0) FN(quant_vnni)(-1);
#endif
  const int64_t nb = g->k / QB;
  size_t qbytes = (size_t)(g->m * g->k + 63) & ~(size_t)63;
  size_t sbytes = sizeof(float) * (size_t)(g->m * nb);
  char *buf = llmts_scratch(0, 3, qbytes + 2 * sbytes + 64);
  if (!buf) abort();
  QJob J = {g, (int8_t *)buf, (float *)(buf + qbytes), (int32_t *)(buf + qbytes + sbytes)};
  for (int64_t i = 0; i < g->m; i++)
    for (int64_t b = 0; b < nb; b++)
      quantize_block(g->a + i * g->lda + b * QB, (int8_t *)J.aq + i * g->k + b * QB, (float *)J.ad + i * nb + b,
                     (int32_t *)J.as + i * nb + b);
  /* each weight row is k (q8) or k/2 (q4) bytes: ~16 KB of weights per task at least */
  int64_t row_bytes = g->scheme == 0 ? g->k : g->k / 2;
  int64_t grain = (16384 + row_bytes - 1) / row_bytes;
  if (grain < 1) grain = 1;
  llmts_par_range(g->n, grain, 1, qmat_range, &J);
}
