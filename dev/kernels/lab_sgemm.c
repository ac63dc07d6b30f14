// Times native/src/gemm.c (all transpose cases, 1 and 2 threads) against OpenBLAS in-process.
// build: see dev/kernels/README.md
#define _GNU_SOURCE
#include "../../native/src/kernels.h"
#include "../../native/src/pool.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void openblas_set_num_threads(int);
void llmts_sgemm_avx512(const GemmArgs *g);

/* CPUTIME=1: thread CPU time (single-thread runs on a shared machine), else wall time */
static double now(void) {
  struct timespec t;
  clock_gettime(getenv("CPUTIME") ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int ta = argc > 1 ? atoi(argv[1]) : 0, tb = argc > 2 ? atoi(argv[2]) : 0, nth = argc > 3 ? atoi(argv[3]) : 1;
  long shapes[][3] = {{128,128,128},{256,256,256},{512,512,512},{1024,1024,1024},{768,128,384},{768,128,512},{768,512,128},{4096,768,768},{4096,768,3072},{768,128,65}};
  int ns = sizeof shapes / sizeof shapes[0];
  openblas_set_num_threads(nth);
  llmts_pool_init(nth);
  double tot = 0;
  for (int s = 0; s < ns; s++) {
    long m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
    float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *c = malloc(m * n * 4), *c2 = malloc(m * n * 4);
    for (long i = 0; i < m * k; i++) a[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < k * n; i++) b[i] = rand() / (float)RAND_MAX - 0.5f;
    long lda = ta ? m : k, ldb = tb ? k : n;
    GemmArgs g = {a, b, c, 1, m, n, k, ta, tb, lda, ldb, n, 0, 0, 0, 0};
    double fl = 2.0 * m * n * k;
    int reps = (int)(1.5e9 / fl) + 2;
    double best1 = 1e9, best2 = 1e9;
    for (int t = 0; t < 5; t++) {
      double t0 = now();
      for (int r = 0; r < reps; r++) llmts_sgemm_avx512(&g);
      double t1 = now();
      if (!getenv("NOBLAS")) for (int r = 0; r < reps; r++) cblas_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c2, n);
      double t2 = now();
      if ((t1 - t0) / reps < best1) best1 = (t1 - t0) / reps;
      if ((t2 - t1) / reps < best2) best2 = (t2 - t1) / reps;
    }
    double err = 0;
    for (long i = 0; i < m * n; i++) err = fmax(err, fabs(c[i] - c2[i]));
    printf("%5ld %5ld %5ld  ours %6.1f  blas %6.1f  ratio %.2f  err %.1e\n", m, k, n, fl / best1 / 1e9, fl / best2 / 1e9, best2 / best1, err);
    tot += log(best2 / best1);
    free(a); free(b); free(c); free(c2);
  }
  printf("geomean ratio %.3f (transA=%d transB=%d threads=%d)\n", exp(tot / ns), ta, tb, nth);
}
