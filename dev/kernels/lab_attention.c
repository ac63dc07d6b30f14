// Times the native attention forward and backward (AVX-512 path) on one thread, in thread CPU
// time so other load on the machine does not count. Build: see dev/kernels/README.md.
#define _GNU_SOURCE
#include "../../native/src/kernels.h"
#include "../../native/src/pool.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void llmts_attention_avx512(const AttnArgs *a);
void llmts_attention_grad_avx512(const AttnArgs *a);

static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int B = argc > 1 ? atoi(argv[1]) : 12, H = argc > 2 ? atoi(argv[2]) : 4;
  int T = argc > 3 ? atoi(argv[3]) : 64, D = argc > 4 ? atoi(argv[4]) : 32;
  long size = (long)B * H * T * D;
  float *buf[9];
  for (int i = 0; i < 9; i++) {
    buf[i] = malloc(size * 4);
    for (long j = 0; j < size; j++) buf[i][j] = rand() / (float)RAND_MAX - 0.5f;
  }
  float *lse = malloc((long)B * H * T * 4);
  llmts_pool_init(1);
  AttnArgs a = {0};
  a.q = buf[0], a.k = buf[1], a.v = buf[2], a.out = buf[3], a.lse = lse, a.gout = buf[4];
  a.gq = buf[5], a.gk = buf[6], a.gv = buf[7];
  a.q_sb = a.k_sb = a.v_sb = a.o_sb = a.gq_sb = a.gk_sb = a.gv_sb = (long)H * T * D;
  a.q_sh = a.k_sh = a.v_sh = a.o_sh = a.gq_sh = a.gk_sh = a.gv_sh = (long)T * D;
  a.q_st = a.k_st = a.v_st = a.o_st = a.gq_st = a.gk_st = a.gv_st = D;
  a.batch = B, a.heads = H, a.kv_heads = H, a.tq = T, a.tk = T, a.d = D, a.scale = 0.2f, a.causal = 1;
  double flops = 2.0 * 2 * B * H * (double)T * T * D * 0.5;
  for (int pass = 0; pass < 2; pass++) {
    double best = 1e9;
    for (int trial = 0; trial < 7; trial++) {
      int reps = 20;
      double t0 = cpu_now();
      for (int i = 0; i < reps; i++) pass ? llmts_attention_grad_avx512(&a) : llmts_attention_avx512(&a);
      double dt = (cpu_now() - t0) / reps;
      if (dt < best) best = dt;
    }
    double f = pass ? 2.5 * flops : flops;
    printf("B%d H%d T%d D%d causal %s: %.3f ms, %.1f GFLOP/s (causal-visible flops)\n", B, H, T, D, pass ? "backward" : "forward ",
           best * 1e3, f / best / 1e9);
  }
}
