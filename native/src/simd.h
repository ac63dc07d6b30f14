/*
 * A small vector abstraction so one kernel source compiles for every target: AVX-512 (16
 * lanes), AVX2+FMA (8 lanes) and scalar (1 lane) into the native addon on x86-64, NEON (4 lanes)
 * and scalar on AArch64, scalar elsewhere, and WebAssembly SIMD
 * (4 lanes, 128-bit) into the wasm backend (scripts/build-wasm.mjs). The ISA is chosen by the
 * build (-DLLMTS_ISA_*), and FN(name) gives every function an ISA suffix so the x86 copies link
 * side by side.
 *
 * vf: float lanes; vi: int32 lanes; vm: a lane mask; vd: float64 accumulator covering the
 * lanes of one vf (two registers on the SIMD paths).
 * max/min keep the x86 operand rule on every path: vmax(a, b) returns b when either is NaN.
 * vfma(a, b, c) = a*b + c is fused (one rounding) where the hardware has FMA (AVX-512, AVX2, NEON;
 * the scalar path computes it in float64). WebAssembly SIMD has no deterministic FMA, so there
 * it rounds twice; vfms, whose callers need the exact low part of a product, computes in
 * float64 on that path. sfma(a, b, c) is one lane of vfma, for scalar tails that must sum
 * exactly like the vector body (LLMTS_FUSED_FMA says which kind this path has).
 */
#ifndef LLMTS_SIMD_H
#define LLMTS_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(LLMTS_ISA_AVX512)
#define ISA_SUFFIX avx512
#elif defined(LLMTS_ISA_AVX2)
#define ISA_SUFFIX avx2
#elif defined(LLMTS_ISA_SCALAR)
#define ISA_SUFFIX scalar
#elif defined(LLMTS_ISA_WASM)
#define ISA_SUFFIX wasm
#elif defined(LLMTS_ISA_NEON)
#define ISA_SUFFIX neon
#else
#error "define one of LLMTS_ISA_AVX512, LLMTS_ISA_AVX2, LLMTS_ISA_NEON, LLMTS_ISA_SCALAR, LLMTS_ISA_WASM"
#endif

#define FN_CAT2(a, b) a##_##b
#define FN_CAT(a, b) FN_CAT2(a, b)
#define FN(name) FN_CAT(llmts_##name, ISA_SUFFIX)

#define INL static inline __attribute__((always_inline))

/* UNROLL(n) before a loop: unroll it n times (fully, when the trip count is a constant). GCC
 * builds the native addon; clang (which ignores `#pragma GCC unroll`) builds the wasm module. */
#define LLMTS_PRAGMA(x) _Pragma(#x)
#if defined(__clang__)
#define UNROLL(n) LLMTS_PRAGMA(unroll) /* full unroll when the trip count is a constant */
#else
#define UNROLL(n) LLMTS_PRAGMA(GCC unroll n)
#endif

#if defined(LLMTS_ISA_AVX512)
#include <immintrin.h>
#define VL 16
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vm;
typedef struct { __m512d lo, hi; } vd;

INL vm tailmask(long n) { return (vm)((1u << n) - 1u); }
INL vf vload(const float *p) { return _mm512_loadu_ps(p); }
INL vf vload_n(const float *p, long n) { return _mm512_maskz_loadu_ps(tailmask(n), p); }
INL void vstore(float *p, vf x) { _mm512_storeu_ps(p, x); }
/* keeps lanes < n, zeroes the rest */
INL vf vkeep_n(vf x, long n) { return _mm512_maskz_mov_ps(tailmask(n), x); }
/* n < VL elements, the other lanes set to fill */
INL vf vload_nf(const float *p, long n, float fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), tailmask(n), p); }
INL void vstore_n(float *p, vf x, long n) { _mm512_mask_storeu_ps(p, tailmask(n), x); }
INL vf vset1(float x) { return _mm512_set1_ps(x); }
INL vf vzero(void) { return _mm512_setzero_ps(); }
INL vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
INL vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
INL vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
INL vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
INL vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
INL vf vfnma(vf a, vf b, vf c) { return _mm512_fnmadd_ps(a, b, c); }
/* a*b - c rounded once (the low part of a product when c = fl(a*b)) */
INL vf vfms(vf a, vf b, vf c) { return _mm512_fmsub_ps(a, b, c); }
INL vf vmax(vf a, vf b) { return _mm512_max_ps(a, b); }
INL vf vmin(vf a, vf b) { return _mm512_min_ps(a, b); }
INL vf vsqrt(vf a) { return _mm512_sqrt_ps(a); }
INL vf vabs(vf a) { return _mm512_abs_ps(a); }
INL vf vneg(vf a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32((int)0x80000000u))); }
INL vf vround(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
INL vm vlt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
INL vm vle(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
INL vm vgt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
INL vm vge(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
INL vm veq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
INL vm vne(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_NEQ_UQ); }
INL vm visnan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
INL vm vmor(vm a, vm b) { return (vm)(a | b); }
INL vm vmand(vm a, vm b) { return (vm)(a & b); }
INL int vmany(vm a) { return a != 0; }
/* m ? a : b */
INL vf vsel(vm m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
INL vi vcvti(vf a) { return _mm512_cvtps_epi32(a); }
INL vf vcvtf(vi a) { return _mm512_cvtepi32_ps(a); }
INL vi vaddi(vi a, vi b) { return _mm512_add_epi32(a, b); }
INL vi vsubi(vi a, vi b) { return _mm512_sub_epi32(a, b); }
INL vi vset1i(int x) { return _mm512_set1_epi32(x); }
INL vi vslli23(vi a) { return _mm512_slli_epi32(a, 23); }
INL vi vsrai1(vi a) { return _mm512_srai_epi32(a, 1); }
INL vi vsrli23(vi a) { return _mm512_srli_epi32(a, 23); }
INL vi vandi(vi a, vi b) { return _mm512_and_si512(a, b); }
INL vi vori(vi a, vi b) { return _mm512_or_si512(a, b); }
INL vf vasf(vi a) { return _mm512_castsi512_ps(a); }
INL vi vasi(vf a) { return _mm512_castps_si512(a); }
/* p[0], p[stride], ..., p[15 stride] (stride * 15 must fit in int32) */
INL vf vgather(const float *p, int64_t stride) {
  __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)stride));
  return _mm512_i32gather_ps(idx, p, 4);
}
INL float vhsum(vf a) { return _mm512_reduce_add_ps(a); }
INL float vhmax(vf a) { return _mm512_reduce_max_ps(a); }
INL float vhmin(vf a) { return _mm512_reduce_min_ps(a); }
INL vd vdzero(void) { vd r = {_mm512_setzero_pd(), _mm512_setzero_pd()}; return r; }
INL vd vdadd(vd acc, vf x) {
  acc.lo = _mm512_add_pd(acc.lo, _mm512_cvtps_pd(_mm512_castps512_ps256(x)));
  acc.hi = _mm512_add_pd(acc.hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1))));
  return acc;
}
INL vd vdsum(vd a, vd b) { a.lo = _mm512_add_pd(a.lo, b.lo); a.hi = _mm512_add_pd(a.hi, b.hi); return a; }
INL double vdhsum(vd a) { return _mm512_reduce_add_pd(_mm512_add_pd(a.lo, a.hi)); }
/* per-lane float64 sums -> floats (for column accumulators) */
INL void vdstore(double *p, vd a) { _mm512_storeu_pd(p, a.lo); _mm512_storeu_pd(p + 8, a.hi); }
INL vd vdload(const double *p) { vd r = {_mm512_loadu_pd(p), _mm512_loadu_pd(p + 8)}; return r; }
INL vf vdtof(vd a) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(a.lo))),
                                             _mm256_castps_pd(_mm512_cvtpd_ps(a.hi)), 1));
}

#elif defined(LLMTS_ISA_AVX2)
#include <immintrin.h>
#define VL 8
typedef __m256 vf;
typedef __m256i vi;
typedef __m256 vm;
typedef struct { __m256d lo, hi; } vd;

static const int32_t llmts_tail_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
INL __m256i tailmask(long n) { return _mm256_loadu_si256((const __m256i *)(llmts_tail_table + 8 - n)); }
INL vf vload(const float *p) { return _mm256_loadu_ps(p); }
INL vf vload_n(const float *p, long n) { return _mm256_maskload_ps(p, tailmask(n)); }
INL void vstore(float *p, vf x) { _mm256_storeu_ps(p, x); }
INL vf vkeep_n(vf x, long n) { return _mm256_and_ps(x, _mm256_castsi256_ps(tailmask(n))); }
INL vf vload_nf(const float *p, long n, float fill) {
  __m256i m = tailmask(n);
  return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
INL void vstore_n(float *p, vf x, long n) { _mm256_maskstore_ps(p, tailmask(n), x); }
INL vf vset1(float x) { return _mm256_set1_ps(x); }
INL vf vzero(void) { return _mm256_setzero_ps(); }
INL vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
INL vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
INL vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
INL vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
INL vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
INL vf vfnma(vf a, vf b, vf c) { return _mm256_fnmadd_ps(a, b, c); }
INL vf vfms(vf a, vf b, vf c) { return _mm256_fmsub_ps(a, b, c); }
INL vf vmax(vf a, vf b) { return _mm256_max_ps(a, b); }
INL vf vmin(vf a, vf b) { return _mm256_min_ps(a, b); }
INL vf vsqrt(vf a) { return _mm256_sqrt_ps(a); }
INL vf vabs(vf a) { return _mm256_and_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff))); }
INL vf vneg(vf a) { return _mm256_xor_ps(a, _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))); }
INL vf vround(vf a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
INL vm vlt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
INL vm vle(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
INL vm vgt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
INL vm vge(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GE_OQ); }
INL vm veq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
INL vm vne(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_NEQ_UQ); }
INL vm visnan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
INL vm vmor(vm a, vm b) { return _mm256_or_ps(a, b); }
INL vm vmand(vm a, vm b) { return _mm256_and_ps(a, b); }
INL int vmany(vm a) { return _mm256_movemask_ps(a) != 0; }
INL vf vsel(vm m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
INL vi vcvti(vf a) { return _mm256_cvtps_epi32(a); }
INL vf vcvtf(vi a) { return _mm256_cvtepi32_ps(a); }
INL vi vaddi(vi a, vi b) { return _mm256_add_epi32(a, b); }
INL vi vsubi(vi a, vi b) { return _mm256_sub_epi32(a, b); }
INL vi vset1i(int x) { return _mm256_set1_epi32(x); }
INL vi vslli23(vi a) { return _mm256_slli_epi32(a, 23); }
INL vi vsrai1(vi a) { return _mm256_srai_epi32(a, 1); }
INL vi vsrli23(vi a) { return _mm256_srli_epi32(a, 23); }
INL vi vandi(vi a, vi b) { return _mm256_and_si256(a, b); }
INL vi vori(vi a, vi b) { return _mm256_or_si256(a, b); }
INL vf vasf(vi a) { return _mm256_castsi256_ps(a); }
INL vi vasi(vf a) { return _mm256_castps_si256(a); }
INL vf vgather(const float *p, int64_t stride) {
  __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32((int)stride));
  return _mm256_i32gather_ps(p, idx, 4);
}
INL float vhsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
INL float vhmax(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
INL float vhmin(vf a) {
  __m128 s = _mm_min_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_min_ps(s, _mm_movehl_ps(s, s));
  s = _mm_min_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
INL vd vdzero(void) { vd r = {_mm256_setzero_pd(), _mm256_setzero_pd()}; return r; }
INL vd vdadd(vd acc, vf x) {
  acc.lo = _mm256_add_pd(acc.lo, _mm256_cvtps_pd(_mm256_castps256_ps128(x)));
  acc.hi = _mm256_add_pd(acc.hi, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)));
  return acc;
}
INL vd vdsum(vd a, vd b) { a.lo = _mm256_add_pd(a.lo, b.lo); a.hi = _mm256_add_pd(a.hi, b.hi); return a; }
INL double vdhsum(vd a) {
  __m256d s = _mm256_add_pd(a.lo, a.hi);
  __m128d t = _mm_add_pd(_mm256_castpd256_pd128(s), _mm256_extractf128_pd(s, 1));
  return _mm_cvtsd_f64(_mm_add_sd(t, _mm_unpackhi_pd(t, t)));
}
INL void vdstore(double *p, vd a) { _mm256_storeu_pd(p, a.lo); _mm256_storeu_pd(p + 4, a.hi); }
INL vd vdload(const double *p) { vd r = {_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; return r; }
INL vf vdtof(vd a) { return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(a.lo)), _mm256_cvtpd_ps(a.hi), 1); }

#elif defined(LLMTS_ISA_WASM)
#include <wasm_simd128.h>
#define VL 4
typedef v128_t vf;
typedef v128_t vi;
typedef v128_t vm;
typedef struct { v128_t lo, hi; } vd;

/* WebAssembly has no masked loads or stores: tails go through a small buffer, so a tail never
 * reads or writes past the n valid elements (the end of linear memory may be right there) */
INL vf vload(const float *p) { return wasm_v128_load(p); }
INL vf vload_nf(const float *p, long n, float fill) {
  float t[4] = {fill, fill, fill, fill};
  for (long i = 0; i < n && i < 4; i++) t[i] = p[i];
  return wasm_v128_load(t);
}
INL vf vload_n(const float *p, long n) { return vload_nf(p, n, 0.0f); }
INL void vstore(float *p, vf x) { wasm_v128_store(p, x); }
INL void vstore_n(float *p, vf x, long n) {
  float t[4];
  wasm_v128_store(t, x);
  for (long i = 0; i < n && i < 4; i++) p[i] = t[i];
}
INL v128_t tailmask(long n) {
  return wasm_i32x4_lt(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat((int32_t)n));
}
INL vf vkeep_n(vf x, long n) { return wasm_v128_and(x, tailmask(n)); }
INL vf vset1(float x) { return wasm_f32x4_splat(x); }
INL vf vzero(void) { return wasm_f32x4_splat(0.0f); }
INL vf vadd(vf a, vf b) { return wasm_f32x4_add(a, b); }
INL vf vsub(vf a, vf b) { return wasm_f32x4_sub(a, b); }
INL vf vmul(vf a, vf b) { return wasm_f32x4_mul(a, b); }
INL vf vdiv(vf a, vf b) { return wasm_f32x4_div(a, b); }
INL vf vfma(vf a, vf b, vf c) { return wasm_f32x4_add(wasm_f32x4_mul(a, b), c); }
INL vf vfnma(vf a, vf b, vf c) { return wasm_f32x4_sub(c, wasm_f32x4_mul(a, b)); }
/* a*b - c with one rounding to float: the float64 product of two floats is exact */
INL vf vfms(vf a, vf b, vf c) {
  v128_t lo = wasm_f64x2_sub(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(a), wasm_f64x2_promote_low_f32x4(b)),
                             wasm_f64x2_promote_low_f32x4(c));
  vf a2 = wasm_i32x4_shuffle(a, a, 2, 3, 2, 3), b2 = wasm_i32x4_shuffle(b, b, 2, 3, 2, 3);
  vf c2 = wasm_i32x4_shuffle(c, c, 2, 3, 2, 3);
  v128_t hi = wasm_f64x2_sub(wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(a2), wasm_f64x2_promote_low_f32x4(b2)),
                             wasm_f64x2_promote_low_f32x4(c2));
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}
/* pmax(b, a) = b < a ? a : b, i.e. x86's maxps(a, b) = a > b ? a : b (b when either is NaN) */
INL vf vmax(vf a, vf b) { return wasm_f32x4_pmax(b, a); }
INL vf vmin(vf a, vf b) { return wasm_f32x4_pmin(b, a); }
INL vf vsqrt(vf a) { return wasm_f32x4_sqrt(a); }
INL vf vabs(vf a) { return wasm_f32x4_abs(a); }
INL vf vneg(vf a) { return wasm_f32x4_neg(a); }
INL vf vround(vf a) { return wasm_f32x4_nearest(a); }
INL vm vlt(vf a, vf b) { return wasm_f32x4_lt(a, b); }
INL vm vle(vf a, vf b) { return wasm_f32x4_le(a, b); }
INL vm vgt(vf a, vf b) { return wasm_f32x4_gt(a, b); }
INL vm vge(vf a, vf b) { return wasm_f32x4_ge(a, b); }
INL vm veq(vf a, vf b) { return wasm_f32x4_eq(a, b); }
INL vm vne(vf a, vf b) { return wasm_f32x4_ne(a, b); }
INL vm visnan(vf a) { return wasm_f32x4_ne(a, a); }
INL vm vmor(vm a, vm b) { return wasm_v128_or(a, b); }
INL vm vmand(vm a, vm b) { return wasm_v128_and(a, b); }
INL int vmany(vm a) { return wasm_v128_any_true(a); }
INL vf vsel(vm m, vf a, vf b) { return wasm_v128_bitselect(a, b, m); }
/* round to nearest like cvtps2dq (truncating an integral value is exact) */
INL vi vcvti(vf a) { return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(a)); }
INL vf vcvtf(vi a) { return wasm_f32x4_convert_i32x4(a); }
INL vi vaddi(vi a, vi b) { return wasm_i32x4_add(a, b); }
INL vi vsubi(vi a, vi b) { return wasm_i32x4_sub(a, b); }
INL vi vset1i(int x) { return wasm_i32x4_splat(x); }
INL vi vslli23(vi a) { return wasm_i32x4_shl(a, 23); }
INL vi vsrai1(vi a) { return wasm_i32x4_shr(a, 1); }
INL vi vsrli23(vi a) { return wasm_u32x4_shr(a, 23); }
INL vi vandi(vi a, vi b) { return wasm_v128_and(a, b); }
INL vi vori(vi a, vi b) { return wasm_v128_or(a, b); }
INL vf vasf(vi a) { return a; }
INL vi vasi(vf a) { return a; }
INL vf vgather(const float *p, int64_t stride) {
  return wasm_f32x4_make(p[0], p[stride], p[2 * stride], p[3 * stride]);
}
INL float vhsum(vf a) {
  vf s = wasm_f32x4_add(a, wasm_i32x4_shuffle(a, a, 2, 3, 2, 3));
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1);
}
INL float vhmax(vf a) {
  vf s = vmax(a, wasm_i32x4_shuffle(a, a, 2, 3, 2, 3));
  s = vmax(s, wasm_i32x4_shuffle(s, s, 1, 1, 1, 1));
  return wasm_f32x4_extract_lane(s, 0);
}
INL float vhmin(vf a) {
  vf s = vmin(a, wasm_i32x4_shuffle(a, a, 2, 3, 2, 3));
  s = vmin(s, wasm_i32x4_shuffle(s, s, 1, 1, 1, 1));
  return wasm_f32x4_extract_lane(s, 0);
}
INL vd vdzero(void) { vd r = {wasm_f64x2_splat(0.0), wasm_f64x2_splat(0.0)}; return r; }
INL vd vdadd(vd acc, vf x) {
  acc.lo = wasm_f64x2_add(acc.lo, wasm_f64x2_promote_low_f32x4(x));
  acc.hi = wasm_f64x2_add(acc.hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(x, x, 2, 3, 2, 3)));
  return acc;
}
INL vd vdsum(vd a, vd b) { a.lo = wasm_f64x2_add(a.lo, b.lo); a.hi = wasm_f64x2_add(a.hi, b.hi); return a; }
INL double vdhsum(vd a) {
  v128_t s = wasm_f64x2_add(a.lo, a.hi);
  return wasm_f64x2_extract_lane(s, 0) + wasm_f64x2_extract_lane(s, 1);
}
INL void vdstore(double *p, vd a) { wasm_v128_store(p, a.lo); wasm_v128_store(p + 2, a.hi); }
INL vd vdload(const double *p) { vd r = {wasm_v128_load(p), wasm_v128_load(p + 2)}; return r; }
INL vf vdtof(vd a) {
  return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(a.lo), wasm_f32x4_demote_f64x2_zero(a.hi), 0, 1, 4, 5);
}

#elif defined(LLMTS_ISA_NEON)
/* AArch64 Advanced SIMD (every ARMv8-A core: Apple silicon, Graviton, Ampere, Raspberry Pi 4+) */
#include <arm_neon.h>
#define VL 4
typedef float32x4_t vf;
typedef int32x4_t vi;
typedef uint32x4_t vm;
typedef struct { float64x2_t lo, hi; } vd;

/* no masked loads or stores: tails go through a small buffer, never touching memory past n */
INL vf vload(const float *p) { return vld1q_f32(p); }
INL vf vload_nf(const float *p, long n, float fill) {
  float t[4] = {fill, fill, fill, fill};
  for (long i = 0; i < n && i < 4; i++) t[i] = p[i];
  return vld1q_f32(t);
}
INL vf vload_n(const float *p, long n) { return vload_nf(p, n, 0.0f); }
INL void vstore(float *p, vf x) { vst1q_f32(p, x); }
INL void vstore_n(float *p, vf x, long n) {
  float t[4];
  vst1q_f32(t, x);
  for (long i = 0; i < n && i < 4; i++) p[i] = t[i];
}
INL vm tailmask(long n) {
  static const int32_t lanes[4] = {0, 1, 2, 3};
  return vcltq_s32(vld1q_s32(lanes), vdupq_n_s32((int32_t)n));
}
INL vf vkeep_n(vf x, long n) { return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(x), tailmask(n))); }
INL vf vset1(float x) { return vdupq_n_f32(x); }
INL vf vzero(void) { return vdupq_n_f32(0.0f); }
INL vf vadd(vf a, vf b) { return vaddq_f32(a, b); }
INL vf vsub(vf a, vf b) { return vsubq_f32(a, b); }
INL vf vmul(vf a, vf b) { return vmulq_f32(a, b); }
INL vf vdiv(vf a, vf b) { return vdivq_f32(a, b); }
/* fused, one rounding, like the x86 paths */
INL vf vfma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
INL vf vfnma(vf a, vf b, vf c) { return vfmsq_f32(c, a, b); }
/* a*b - c rounded once: -(c - a*b), the negation is exact */
INL vf vfms(vf a, vf b, vf c) { return vnegq_f32(vfmsq_f32(c, a, b)); }
/* the x86 operand rule (b when either is NaN), not fmax/fmin's NaN handling */
INL vf vmax(vf a, vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
INL vf vmin(vf a, vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
INL vf vsqrt(vf a) { return vsqrtq_f32(a); }
INL vf vabs(vf a) { return vabsq_f32(a); }
INL vf vneg(vf a) { return vnegq_f32(a); }
INL vf vround(vf a) { return vrndnq_f32(a); }
INL vm vlt(vf a, vf b) { return vcltq_f32(a, b); }
INL vm vle(vf a, vf b) { return vcleq_f32(a, b); }
INL vm vgt(vf a, vf b) { return vcgtq_f32(a, b); }
INL vm vge(vf a, vf b) { return vcgeq_f32(a, b); }
INL vm veq(vf a, vf b) { return vceqq_f32(a, b); }
INL vm vne(vf a, vf b) { return vmvnq_u32(vceqq_f32(a, b)); }
INL vm visnan(vf a) { return vmvnq_u32(vceqq_f32(a, a)); }
INL vm vmor(vm a, vm b) { return vorrq_u32(a, b); }
INL vm vmand(vm a, vm b) { return vandq_u32(a, b); }
INL int vmany(vm a) { return vmaxvq_u32(a) != 0; }
INL vf vsel(vm m, vf a, vf b) { return vbslq_f32(m, a, b); }
/* round to nearest even, like cvtps2dq */
INL vi vcvti(vf a) { return vcvtnq_s32_f32(a); }
INL vf vcvtf(vi a) { return vcvtq_f32_s32(a); }
INL vi vaddi(vi a, vi b) { return vaddq_s32(a, b); }
INL vi vsubi(vi a, vi b) { return vsubq_s32(a, b); }
INL vi vset1i(int x) { return vdupq_n_s32(x); }
INL vi vslli23(vi a) { return vshlq_n_s32(a, 23); }
INL vi vsrai1(vi a) { return vshrq_n_s32(a, 1); }
INL vi vsrli23(vi a) { return vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(a), 23)); }
INL vi vandi(vi a, vi b) { return vandq_s32(a, b); }
INL vi vori(vi a, vi b) { return vorrq_s32(a, b); }
INL vf vasf(vi a) { return vreinterpretq_f32_s32(a); }
INL vi vasi(vf a) { return vreinterpretq_s32_f32(a); }
INL vf vgather(const float *p, int64_t stride) {
  float t[4] = {p[0], p[stride], p[2 * stride], p[3 * stride]};
  return vld1q_f32(t);
}
INL float vhsum(vf a) {
  vf s = vaddq_f32(a, vextq_f32(a, a, 2));
  return vgetq_lane_f32(s, 0) + vgetq_lane_f32(s, 1);
}
INL float vhmax(vf a) {
  vf s = vmax(a, vextq_f32(a, a, 2));
  s = vmax(s, vdupq_laneq_f32(s, 1));
  return vgetq_lane_f32(s, 0);
}
INL float vhmin(vf a) {
  vf s = vmin(a, vextq_f32(a, a, 2));
  s = vmin(s, vdupq_laneq_f32(s, 1));
  return vgetq_lane_f32(s, 0);
}
INL vd vdzero(void) { vd r = {vdupq_n_f64(0.0), vdupq_n_f64(0.0)}; return r; }
INL vd vdadd(vd acc, vf x) {
  acc.lo = vaddq_f64(acc.lo, vcvt_f64_f32(vget_low_f32(x)));
  acc.hi = vaddq_f64(acc.hi, vcvt_high_f64_f32(x));
  return acc;
}
INL vd vdsum(vd a, vd b) { a.lo = vaddq_f64(a.lo, b.lo); a.hi = vaddq_f64(a.hi, b.hi); return a; }
INL double vdhsum(vd a) {
  float64x2_t s = vaddq_f64(a.lo, a.hi);
  return vgetq_lane_f64(s, 0) + vgetq_lane_f64(s, 1);
}
INL void vdstore(double *p, vd a) { vst1q_f64(p, a.lo); vst1q_f64(p + 2, a.hi); }
INL vd vdload(const double *p) { vd r = {vld1q_f64(p), vld1q_f64(p + 2)}; return r; }
INL vf vdtof(vd a) { return vcvt_high_f32_f64(vcvt_f32_f64(a.lo), a.hi); }

#else /* scalar */
#define VL 1
typedef float vf;
typedef int32_t vi;
typedef int vm;
typedef double vd;

INL vf vload(const float *p) { return *p; }
INL vf vload_n(const float *p, long n) { return n > 0 ? *p : 0.0f; }
INL void vstore(float *p, vf x) { *p = x; }
INL vf vload_nf(const float *p, long n, float fill) { return n > 0 ? *p : fill; }
INL vf vkeep_n(vf x, long n) { return n > 0 ? x : 0.0f; }
INL void vstore_n(float *p, vf x, long n) { if (n > 0) *p = x; }
INL vf vset1(float x) { return x; }
INL vf vzero(void) { return 0.0f; }
INL vf vadd(vf a, vf b) { return a + b; }
INL vf vsub(vf a, vf b) { return a - b; }
INL vf vmul(vf a, vf b) { return a * b; }
INL vf vdiv(vf a, vf b) { return a / b; }
/* fused in float64 (fmaf would be a slow libm call without hardware FMA): the product is
 * exact, so results match the SIMD paths' single rounding except in rare double-rounding ties */
INL vf vfma(vf a, vf b, vf c) { return (float)((double)a * (double)b + (double)c); }
INL vf vfnma(vf a, vf b, vf c) { return (float)((double)c - (double)a * (double)b); }
INL vf vfms(vf a, vf b, vf c) { return (float)((double)a * (double)b - (double)c); }
INL vf vmax(vf a, vf b) { return a > b ? a : b; }
INL vf vmin(vf a, vf b) { return a < b ? a : b; }
INL vf vsqrt(vf a) { return sqrtf(a); }
INL vf vabs(vf a) { return fabsf(a); }
INL vf vneg(vf a) { return -a; }
INL vf vround(vf a) { return nearbyintf(a); }
INL vm vlt(vf a, vf b) { return a < b; }
INL vm vle(vf a, vf b) { return a <= b; }
INL vm vgt(vf a, vf b) { return a > b; }
INL vm vge(vf a, vf b) { return a >= b; }
INL vm veq(vf a, vf b) { return a == b; }
INL vm vne(vf a, vf b) { return a != b; }
INL vm visnan(vf a) { return a != a; }
INL vm vmor(vm a, vm b) { return a | b; }
INL vm vmand(vm a, vm b) { return a & b; }
INL int vmany(vm a) { return a != 0; }
INL vf vsel(vm m, vf a, vf b) { return m ? a : b; }
INL vi vcvti(vf a) { return (vi)lrintf(a); }
INL vf vcvtf(vi a) { return (float)a; }
INL vi vaddi(vi a, vi b) { return (vi)((uint32_t)a + (uint32_t)b); }
INL vi vsubi(vi a, vi b) { return (vi)((uint32_t)a - (uint32_t)b); }
INL vi vset1i(int x) { return x; }
INL vi vslli23(vi a) { return (vi)((uint32_t)a << 23); }
INL vi vsrai1(vi a) { return a >> 1; }
INL vi vsrli23(vi a) { return (vi)((uint32_t)a >> 23); }
INL vi vandi(vi a, vi b) { return a & b; }
INL vi vori(vi a, vi b) { return a | b; }
INL vf vasf(vi a) { float f; memcpy(&f, &a, 4); return f; }
INL vi vasi(vf a) { vi i; memcpy(&i, &a, 4); return i; }
INL vf vgather(const float *p, int64_t stride) { (void)stride; return *p; }
INL float vhsum(vf a) { return a; }
INL float vhmax(vf a) { return a; }
INL float vhmin(vf a) { return a; }
INL vd vdzero(void) { return 0.0; }
INL vd vdadd(vd acc, vf x) { return acc + (double)x; }
INL vd vdsum(vd a, vd b) { return a + b; }
INL double vdhsum(vd a) { return a; }
INL void vdstore(double *p, vd a) { *p = a; }
INL vd vdload(const double *p) { return *p; }
INL vf vdtof(vd a) { return (float)a; }
#endif

/* one lane of vfma (see the top of this file); 1 - y^2, which cancels near |y| = 1: fused, one
 * rounding; unfused, (1 - y)(1 + y), whose factors round at most once between them */
#if defined(LLMTS_ISA_WASM)
#define LLMTS_FUSED_FMA 0
INL float sfma(float a, float b, float c) { return a * b + c; }
INL vf v1msq(vf y) { return vmul(vsub(vset1(1.0f), y), vadd(vset1(1.0f), y)); }
#else
#define LLMTS_FUSED_FMA 1
INL float sfma(float a, float b, float c) { return fmaf(a, b, c); }
INL vf v1msq(vf y) { return vfnma(y, y, vset1(1.0f)); }
#endif

#endif
