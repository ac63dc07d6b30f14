// GEMM micro-kernel lab: times packed AVX-512 kernels of several shapes against OpenBLAS (in-process).
// build: gcc -O3 -march=native -o /tmp/lab lab_gemm.c -l:libopenblas.so.0 -lm
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
void openblas_set_num_threads(int);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#ifndef MR
#define MR 14
#endif
#ifndef NV
#define NV 2
#endif
#define NR (16 * NV)
#ifndef KC
#define KC 256
#endif
#ifndef MC
#define MC 840
#endif
#ifndef NC
#define NC 3072
#endif

// C[MR x NR] (+)= A_packed[k][MR] * B_packed[k][NR]
static void ukr(long k, const float *a, const float *b, float *c, long ldc, int acc) {
  __m512 r[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) r[i][v] = _mm512_setzero_ps();
#ifdef PFC
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++) { _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0); if (NV > 1) _mm_prefetch((const char *)(c + i * ldc + NR - 1), _MM_HINT_T0); }
#endif
  for (long p = 0; p < k; p++) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + v * 16);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      __m512 av = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) r[i][v] = _mm512_fmadd_ps(av, bv[v], r[i][v]);
    }
    a += MR;
    b += NR;
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float *cp = c + i * ldc + v * 16;
      if (acc) r[i][v] = _mm512_add_ps(r[i][v], _mm512_loadu_ps(cp));
      _mm512_storeu_ps(cp, r[i][v]);
    }
}

static void pack_a(long mc, long kc, const float *a, long lda, float *pa) {
  for (long i0 = 0; i0 < mc; i0 += MR) {
    long mr = mc - i0 < MR ? mc - i0 : MR;
    for (long p = 0; p < kc; p++) {
      for (long i = 0; i < mr; i++) pa[i] = a[(i0 + i) * lda + p];
      for (long i = mr; i < MR; i++) pa[i] = 0;
      pa += MR;
    }
  }
}
static void pack_b(long kc, long nc, const float *b, long ldb, float *pb) {
  for (long j0 = 0; j0 < nc; j0 += NR) {
    long nr = nc - j0 < NR ? nc - j0 : NR;
    for (long p = 0; p < kc; p++) {
      const float *src = b + p * ldb + j0;
      if (nr == NR) memcpy(pb, src, NR * 4);
      else { for (long j = 0; j < nr; j++) pb[j] = src[j]; for (long j = nr; j < NR; j++) pb[j] = 0; }
      pb += NR;
    }
  }
}

static float *PA, *PB;
static void gemm(long m, long n, long k, const float *a, long lda, const float *b, long ldb, float *c, long ldc) {
  float tile[MR * NR];
  for (long jc = 0; jc < n; jc += NC) {
    long nc = n - jc < NC ? n - jc : NC;
    for (long pc = 0; pc < k; pc += KC) {
      long kc = k - pc < KC ? k - pc : KC;
      pack_b(kc, nc, b + pc * ldb + jc, ldb, PB);
      for (long ic = 0; ic < m; ic += MC) {
        long mc = m - ic < MC ? m - ic : MC;
        pack_a(mc, kc, a + ic * lda + pc, lda, PA);
        for (long jr = 0; jr < nc; jr += NR) {
          long nr = nc - jr < NR ? nc - jr : NR;
          for (long ir = 0; ir < mc; ir += MR) {
            long mr = mc - ir < MR ? mc - ir : MR;
            float *cp = c + (ic + ir) * ldc + jc + jr;
            const float *pa = PA + ir * kc, *pb = PB + jr * kc;
            if (mr == MR && nr == NR) ukr(kc, pa, pb, cp, ldc, pc > 0);
            else {
              ukr(kc, pa, pb, tile, NR, 0);
              for (long i = 0; i < mr; i++) for (long j = 0; j < nr; j++)
                cp[i * ldc + j] = (pc > 0 ? cp[i * ldc + j] : 0) + tile[i * NR + j];
            }
          }
        }
      }
    }
  }
}

int main(int argc, char **argv) {
  long shapes[][3] = {{128,128,128},{256,256,256},{512,512,512},{1024,1024,1024},{768,128,384},{768,128,512},{768,512,128},{4096,768,768},{4096,768,3072}};
  openblas_set_num_threads(1);
  PA = aligned_alloc(64, (size_t)MC * KC * 4 + 4096);
  PB = aligned_alloc(64, (size_t)KC * (NC + NR) * 4 + 4096);
  printf("MR=%d NR=%d KC=%d MC=%d NC=%d\n", MR, NR, KC, MC, NC);
  double tot_ratio = 0;
  for (int s = 0; s < 9; s++) {
    long m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
    float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = malloc(m * n * 4), *c2 = malloc(m * n * 4);
    for (long i = 0; i < m * k; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < k * n; i++) b[i] = rand() / (float)RAND_MAX - 0.5f;
    double fl = 2.0 * m * n * k;
    int reps = (int)(1.5e9 / fl) + 2;
    double best1 = 1e9, best2 = 1e9;
    for (int t = 0; t < 5; t++) {
      double t0 = now();
      for (int r = 0; r < reps; r++) gemm(m, n, k, a, k, b, n, c, n);
      double t1 = now();
      for (int r = 0; r < reps; r++) cblas_sgemm(101, 111, 111, m, n, k, 1.0f, a, k, b, n, 0.0f, c2, n);
      double t2 = now();
      if ((t1 - t0) / reps < best1) best1 = (t1 - t0) / reps;
      if ((t2 - t1) / reps < best2) best2 = (t2 - t1) / reps;
    }
    double err = 0;
    for (long i = 0; i < m * n; i++) err = fmax(err, fabs(c[i] - c2[i]));
    printf("%5ld %5ld %5ld  ours %6.1f  blas %6.1f  ratio %.2f  err %.1e\n", m, k, n, fl / best1 / 1e9, fl / best2 / 1e9, best2 / best1, err);
    tot_ratio += log(best2 / best1);
    free(a); free(b); free(c); free(c2);
  }
  printf("geomean ratio %.3f\n", exp(tot_ratio / 9));
}
