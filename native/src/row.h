/* Vectorized helpers over one contiguous row, shared by softmax, norms and the losses. */
#ifndef LLMTS_ROW_H
#define LLMTS_ROW_H

#include <math.h>

#include "simd.h"
#include "vmath.h"

/* max ignoring NaN (as the reference's `x > max` scan); -inf for an empty or all -inf/NaN row */
INL float row_max(const float *x, int64_t n) {
  vf m0 = vset1(-INFINITY), m1 = m0;
  int64_t i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    m0 = vmax(vload(x + i), m0);
    m1 = vmax(vload(x + i + VL), m1);
  }
  for (; i + VL <= n; i += VL) m0 = vmax(vload(x + i), m0);
  float m = vhmax(vmax(m0, m1));
  for (; i < n; i++)
    if (x[i] > m) m = x[i];
  return m;
}

/* sum of exp(x - mx) in float64; also stores the exponentials to e when e is not NULL */
INL double row_sum_exp(const float *x, int64_t n, float mx, float *e) {
  vf m = vset1(mx);
  vd a0 = vdzero(), a1 = vdzero();
  int64_t i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    vf p = vexp_flush(vsub(vload(x + i), m)), q = vexp_flush(vsub(vload(x + i + VL), m));
    if (e) {
      vstore(e + i, p);
      vstore(e + i + VL, q);
    }
    a0 = vdadd(a0, p);
    a1 = vdadd(a1, q);
  }
  for (; i + VL <= n; i += VL) {
    vf p = vexp_flush(vsub(vload(x + i), m));
    if (e) vstore(e + i, p);
    a0 = vdadd(a0, p);
  }
  if (i < n) {
    vf p = vexp_flush(vsub(vload_nf(x + i, n - i, -INFINITY), m)); /* padding lanes give exp(-inf) = 0 */
    if (e) vstore_n(e + i, p, n - i);
    a1 = vdadd(a1, p);
  }
  return vdhsum(vdsum(a0, a1));
}

INL double row_sum(const float *x, int64_t n) {
  vd a0 = vdzero(), a1 = vdzero();
  int64_t i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    a0 = vdadd(a0, vload(x + i));
    a1 = vdadd(a1, vload(x + i + VL));
  }
  for (; i + VL <= n; i += VL) a0 = vdadd(a0, vload(x + i));
  if (i < n) a1 = vdadd(a1, vload_n(x + i, n - i));
  return vdhsum(vdsum(a0, a1));
}

/* sum of a*b: products in float32 (rounded once), summed in float64 */
INL double row_dot(const float *a, const float *b, int64_t n) {
  vd a0 = vdzero(), a1 = vdzero();
  int64_t i = 0;
  for (; i + 2 * VL <= n; i += 2 * VL) {
    a0 = vdadd(a0, vmul(vload(a + i), vload(b + i)));
    a1 = vdadd(a1, vmul(vload(a + i + VL), vload(b + i + VL)));
  }
  for (; i + VL <= n; i += VL) a0 = vdadd(a0, vmul(vload(a + i), vload(b + i)));
  if (i < n) a1 = vdadd(a1, vmul(vload_n(a + i, n - i), vload_n(b + i, n - i)));
  return vdhsum(vdsum(a0, a1));
}

INL void row_scale(float *y, int64_t n, float s) {
  vf sv = vset1(s);
  int64_t i = 0;
  for (; i + VL <= n; i += VL) vstore(y + i, vmul(vload(y + i), sv));
  if (i < n) vstore_n(y + i, vmul(vload_n(y + i, n - i), sv), n - i);
}

#endif
