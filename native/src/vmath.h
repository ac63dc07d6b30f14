/*
 * Vectorized float32 math on top of simd.h: exp, log, tanh, sigmoid, erf/erfc, accurate to a
 * few float32 ulps (checked against the float64 reference by test/backends/conformance).
 * Coefficients come from dev/kernels/fit_poly.py (relative-error minimax fits).
 * NaN propagates; +-Inf and underflow give the IEEE limits (vexp_flush: 0 below FLT_MIN).
 */
#ifndef LLMTS_VMATH_H
#define LLMTS_VMATH_H

#include "simd.h"

#define EXP_P0 5.000000000e-01f
#define EXP_P1 1.666657776e-01f
#define EXP_P2 4.166685417e-02f
#define EXP_P3 8.363143541e-03f
#define EXP_P4 1.390128746e-03f

#define TANH_P0 -3.333332837e-01f
#define TANH_P1 1.333276927e-01f
#define TANH_P2 -5.385094136e-02f
#define TANH_P3 2.099730633e-02f
#define TANH_P4 -6.096867379e-03f

#define ERF_Z0 0.875f
#define ERF_P0 1.128379226e+00f
#define ERF_P1 -3.761263490e-01f
#define ERF_P2 1.128373295e-01f
#define ERF_P3 -2.686158381e-02f
#define ERF_P4 5.206746515e-03f
#define ERF_P5 -8.211094537e-04f
#define ERF_P6 8.675348363e-05f

/* erfc(z) exp(z^2) as a polynomial in t = 1 / (1 + z/2), z in [ERF_Z0, 10.5] */
#define ERFC_R0 2.767622391e-06f
#define ERFC_R1 2.820065022e-01f
#define ERFC_R2 2.833247781e-01f
#define ERFC_R3 2.369950414e-01f
#define ERFC_R4 2.261970192e-01f
#define ERFC_R5 -8.286339045e-02f
#define ERFC_R6 3.617525101e-01f
#define ERFC_R7 -5.618072152e-01f
#define ERFC_R8 3.205421865e-01f
#define ERFC_R9 -6.611612439e-02f

#define LN2_HI 0.693145751953125f /* ln 2 in 16 bits: n * LN2_HI is exact */
#define LN2_LO 1.428606765330187e-06f
#define LOG2E 1.44269504088896341f

INL vf vpoly5(vf x, float c0, float c1, float c2, float c3, float c4) {
  vf p = vfma(vset1(c4), x, vset1(c3));
  p = vfma(p, x, vset1(c2));
  p = vfma(p, x, vset1(c1));
  return vfma(p, x, vset1(c0));
}

/* 2^n for integral float n in [-150, 128], as two factors (2^n alone over/underflows) */
INL vf vexp_scale(vf p, vf n) {
  vi ni = vcvti(n);
  vi n1 = vsrai1(ni);
  vi n2 = vsubi(ni, n1);
  vf s1 = vasf(vslli23(vaddi(n1, vset1i(127))));
  vf s2 = vasf(vslli23(vaddi(n2, vset1i(127))));
  return vmul(vmul(p, s1), s2);
}

INL vf vexp_core(vf x) {
  vf n = vround(vmul(x, vset1(LOG2E)));
  vf r = vfnma(n, vset1(LN2_HI), x);
  r = vfnma(n, vset1(LN2_LO), r);
  vf p = vpoly5(r, EXP_P0, EXP_P1, EXP_P2, EXP_P3, EXP_P4);
  p = vfma(vmul(r, r), p, vadd(r, vset1(1.0f)));
  return vexp_scale(p, n);
}

/* exp(x) over the whole float32 range, subnormal results included */
INL vf vexp(vf x) {
  x = vmax(vset1(-104.0f), x); /* operand order keeps NaN */
  return vexp_core(vmin(vset1(89.0f), x));
}

/* exp(x) with results below FLT_MIN (x < -87.34) flushed to 0, for softmax-like kernels:
 * producing a subnormal costs a microcode assist per vector on Intel cores, and masked (-inf)
 * scores would hit it constantly; probabilities below 1e-38 do not matter there */
INL vf vexp_flush(vf x) {
  vm tiny = vlt(x, vset1(-87.33654f));
  x = vmax(vset1(-87.33654f), x);
  return vsel(tiny, vzero(), vexp_core(vmin(vset1(89.0f), x)));
}

/* exp(-(hi + lo)) for a value split into a float and its rounding error (|lo| << 1) */
INL vf vexp_neg2(vf hi, vf lo) { return vmul(vexp(vneg(hi)), vsub(vset1(1.0f), lo)); }

/* the same for hi = x^2 >= 0, which may overflow: beyond 110 the result is 0 (lo is dropped,
 * it may be infinite) */
INL vf vexp_neg2_clamped(vf hi, vf lo) {
  vm big = vgt(hi, vset1(110.0f));
  return vexp_neg2(vsel(big, vset1(110.0f), hi), vsel(big, vzero(), lo));
}

INL vf vlog(vf x) {
  /* scale subnormals up by 2^23 */
  vm sub = vlt(x, vset1(1.17549435e-38f));
  vf xs = vsel(sub, vmul(x, vset1(8388608.0f)), x);
  vi xi = vasi(xs);
  vf e = vcvtf(vsubi(vsrli23(xi), vset1i(127)));
  e = vsel(sub, vsub(e, vset1(23.0f)), e);
  vf m = vasf(vori(vandi(xi, vset1i(0x007fffff)), vset1i(0x3f800000))); /* [1, 2) */
  vm big = vgt(m, vset1(1.41421356f));
  m = vsel(big, vmul(m, vset1(0.5f)), m);
  e = vsel(big, vadd(e, vset1(1.0f)), e);
  vf f = vsub(m, vset1(1.0f));
  vf s = vdiv(f, vadd(f, vset1(2.0f)));
  vf s2 = vmul(s, s);
  /* log(1+f) = 2 atanh(s) = s (2 + s^2 (2/3 + s^2 (2/5 + s^2 (2/7 + s^2 2/9)))) */
  vf q = vfma(vset1(2.0f / 9.0f), s2, vset1(2.0f / 7.0f));
  q = vfma(q, s2, vset1(2.0f / 5.0f));
  q = vfma(q, s2, vset1(2.0f / 3.0f));
  q = vfma(q, s2, vset1(2.0f));
  vf lm = vmul(s, q);
  vf r = vfma(e, vset1(LN2_HI), vfma(e, vset1(LN2_LO), lm));
  /* specials: 0 -> -inf, negative -> NaN, +inf -> +inf, NaN stays */
  r = vsel(veq(x, vzero()), vset1(-INFINITY), r);
  r = vsel(vlt(x, vzero()), vset1(NAN), r);
  r = vsel(veq(x, vset1(INFINITY)), x, r);
  return vsel(visnan(x), x, r);
}

INL vf vcopysign(vf mag, vf sgn) {
  return vasf(vori(vandi(vasi(mag), vset1i(0x7fffffff)), vandi(vasi(sgn), vset1i((int)0x80000000u))));
}

INL vf vtanh(vf x) {
  vf a = vabs(x);
  vf a2 = vmul(a, a);
  vf small = vfma(vmul(a, a2), vpoly5(a2, TANH_P0, TANH_P1, TANH_P2, TANH_P3, TANH_P4), a);
  vf e = vexp(vmul(vmin(vset1(9.0f), a), vset1(2.0f)));
  vf large = vsub(vset1(1.0f), vdiv(vset1(2.0f), vadd(e, vset1(1.0f))));
  vf r = vsel(vlt(a, vset1(0.625f)), small, large);
  return vcopysign(r, x);
}

INL vf vsigmoid(vf x) {
  vf e = vexp(vneg(vabs(x)));
  vf s = vdiv(vset1(1.0f), vadd(vset1(1.0f), e));
  return vsel(vge(x, vzero()), s, vmul(e, s));
}

/* erf(z) and erfc(z) for z >= 0 (or NaN), given z^2 = z2hi + z2lo exactly */
INL void verf_pos(vf z, vf z2hi, vf z2lo, vf *erf_out, vf *erfc_out) {
  vf p = vfma(vset1(ERF_P6), z2hi, vset1(ERF_P5));
  p = vfma(p, z2hi, vset1(ERF_P4));
  p = vfma(p, z2hi, vset1(ERF_P3));
  p = vfma(p, z2hi, vset1(ERF_P2));
  p = vfma(p, z2hi, vset1(ERF_P1));
  p = vfma(p, z2hi, vset1(ERF_P0));
  vf erf_small = vmul(z, p);
  vf zc = vmin(vset1(10.5f), z);
  vf t = vdiv(vset1(1.0f), vfma(zc, vset1(0.5f), vset1(1.0f)));
  vf r = vfma(vset1(ERFC_R9), t, vset1(ERFC_R8));
  r = vfma(r, t, vset1(ERFC_R7));
  r = vfma(r, t, vset1(ERFC_R6));
  r = vfma(r, t, vset1(ERFC_R5));
  r = vfma(r, t, vset1(ERFC_R4));
  r = vfma(r, t, vset1(ERFC_R3));
  r = vfma(r, t, vset1(ERFC_R2));
  r = vfma(r, t, vset1(ERFC_R1));
  r = vfma(r, t, vset1(ERFC_R0));
  vf erfc_large = vmul(vexp_neg2_clamped(z2hi, z2lo), r);
  vm small = vlt(z, vset1(ERF_Z0));
  *erf_out = vsel(small, erf_small, vsub(vset1(1.0f), erfc_large));
  *erfc_out = vsel(small, vsub(vset1(1.0f), erf_small), erfc_large);
}

/* Phi(x) = 0.5 (1 + erf(x / sqrt 2)) accurate in both tails; also exp(-x^2/2) */
INL vf vphi(vf x, vf *gauss) {
  vf x2 = vmul(x, x);
  vf x2lo = vfms(x, x, x2);
  vf z2hi = vmul(x2, vset1(0.5f)), z2lo = vmul(x2lo, vset1(0.5f));
  vf z = vmul(vabs(x), vset1(0.70710678118654752f));
  vf e, ec;
  verf_pos(z, z2hi, z2lo, &e, &ec);
  if (gauss) *gauss = vexp_neg2_clamped(z2hi, z2lo);
  vf half = vset1(0.5f);
  /* x >= 0: 1 - erfc/2 ; x < 0: erfc/2 (no cancellation in the left tail) */
  vf pos = vfnma(half, ec, vset1(1.0f));
  vf neg = vmul(half, ec);
  vf r = vsel(vlt(x, vzero()), neg, pos);
  return vsel(visnan(x), x, r);
}

#endif
