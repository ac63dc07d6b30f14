/*
 * SGEMM: C[b] = op(A[b]) op(B[b]) (+ C[b]), Goto/BLIS style.
 *
 *   for jc (NC columns of C)            B block kc x nc packed into NR-wide panels  (L3)
 *     for pc (KC of the k dimension)
 *       pack B block
 *       for ic (MC rows of C)           A block mc x kc packed into MR-tall panels  (L2)
 *         pack A block
 *         for jr (NR), ir (MR)          micro-kernel: MR x NR tile of C in registers
 *
 * The micro-kernel keeps MR x NV vectors of C in registers and per k step loads NV vectors
 * of B and broadcasts MR values of A (folded into the FMA's memory operand on AVX-512).
 * Tiles at the m/n edges store through lane masks (a one-vector kernel when the tile has at
 * most one vector of valid columns).
 *
 * Threads: a large product is shared cooperatively (gemm_coop: B block packed once by all
 * threads, row blocks of C handed out dynamically); batches of products go one item per task;
 * small products are sliced into one block of C per thread. Every C element is summed in the
 * same order (it depends only on KC), so results do not depend on the thread count.
 */
#include "kernels.h"
#include "pool.h"
#include "par.h"
#include "simd.h"

#include <stdlib.h>

#if defined(LLMTS_ISA_AVX512)
#ifndef GEMM_MR
#define GEMM_MR 14
#endif
#ifndef GEMM_NV
#define GEMM_NV 2
#endif
#ifndef GEMM_KC
#define GEMM_KC 768
#endif
#ifndef GEMM_MC
#define GEMM_MC 280
#endif
#ifndef GEMM_NC
#define GEMM_NC 768
#endif
#elif defined(LLMTS_ISA_AVX2)
#define GEMM_MR 6
#define GEMM_NV 2
#define GEMM_KC 384
#define GEMM_MC 264
#define GEMM_NC 1024
#elif defined(LLMTS_ISA_WASM)
/* 128-bit SIMD in V8 gets 16 xmm registers (one is its scratch): a 4 x 8 tile is 8 accumulators
 * + 2 vectors of B + 1 broadcast of A; the blocks fit the L1/L2 of the machines it was tuned on */
#ifndef GEMM_MR
#define GEMM_MR 4
#endif
#ifndef GEMM_NV
#define GEMM_NV 2
#endif
#ifndef GEMM_KC
#define GEMM_KC 256
#endif
#ifndef GEMM_MC
#define GEMM_MC 128
#endif
#ifndef GEMM_NC
#define GEMM_NC 1024
#endif
#elif defined(LLMTS_ISA_NEON)
/* 32 128-bit registers: an 8 x 8 tile is 16 accumulators + 2 vectors of B + 1 broadcast of A
 * (not tuned on hardware: it was only run under qemu) */
#define GEMM_MR 8
#define GEMM_NV 2
#define GEMM_KC 256
#define GEMM_MC 128
#define GEMM_NC 1024
#else
#define GEMM_MR 4
#define GEMM_NV 4
#define GEMM_KC 256
#define GEMM_MC 128
#define GEMM_NC 512
#endif

#define MR GEMM_MR
#define NV GEMM_NV
#define NR (VL * NV)

#ifndef GEMM_COOP_PER_THREAD
#define GEMM_COOP_PER_THREAD 8 /* row blocks per thread in gemm_coop (see FN(sgemm)) */
#endif
#ifndef GEMM_COOP_MIN_TILES
#define GEMM_COOP_MIN_TILES 2
#endif

/* below this many flops a product runs on the calling thread */
#define GEMM_PARALLEL_MIN 4.0e6

/* C[MR x nv VL] = (beta ? C : 0) + A_panel[k][MR] * B_panel[k][NR] (first nv vectors of the
 * panel). Edge tiles (mr < MR rows or nr < nv VL columns valid) store through lane masks. */
INL void ukr_nv(const int nv, int64_t k, const float *restrict a, const float *restrict b, float *restrict c,
                int64_t ldc, int beta, int64_t mr, int64_t nr) {
  vf acc[MR][NV];
UNROLL(32)
  for (int i = 0; i < MR; i++)
UNROLL(8)
    for (int v = 0; v < nv; v++) acc[i][v] = vzero();
UNROLL(32)
  for (int i = 0; i < MR; i++)
    if (i < mr) __builtin_prefetch(c + i * ldc, 1, 3);
  for (int64_t p = 0; p < k; p++) {
    vf bv[NV];
UNROLL(8)
    for (int v = 0; v < nv; v++) bv[v] = vload(b + v * VL);
UNROLL(32)
    for (int i = 0; i < MR; i++) {
      vf av = vset1(a[i]);
UNROLL(8)
      for (int v = 0; v < nv; v++) acc[i][v] = vfma(av, bv[v], acc[i][v]);
    }
    a += MR;
    b += NR;
  }
  if (mr == MR && nr == nv * VL) {
UNROLL(32)
    for (int i = 0; i < MR; i++)
UNROLL(8)
      for (int v = 0; v < nv; v++) {
        float *cp = c + i * ldc + v * VL;
        vstore(cp, beta ? vadd(acc[i][v], vload(cp)) : acc[i][v]);
      }
    return;
  }
UNROLL(32)
  for (int i = 0; i < MR; i++) {
    if (i >= mr) break;
UNROLL(8)
    for (int v = 0; v < nv; v++) {
      int64_t lanes = nr - v * VL;
      if (lanes <= 0) break;
      float *cp = c + i * ldc + v * VL;
      if (lanes >= VL) {
        vstore(cp, beta ? vadd(acc[i][v], vload(cp)) : acc[i][v]);
      } else {
        vstore_n(cp, beta ? vadd(acc[i][v], vload_n(cp, lanes)) : acc[i][v], lanes);
      }
    }
  }
}

/* one tile: the full-width kernel, or a one-vector kernel when at most VL columns are valid */
static void ukr(int64_t k, const float *a, const float *b, float *c, int64_t ldc, int beta, int64_t mr, int64_t nr) {
  if (NV > 1 && nr <= VL) ukr_nv(1, k, a, b, c, ldc, beta, mr, nr);
  else ukr_nv(NV, k, a, b, c, ldc, beta, mr, nr);
}

#if defined(LLMTS_ISA_AVX512)
/* In-register 16 x 16 transpose: r[j][i] = old r[i][j]. Three rounds of shuffles (floats within
 * 128-bit lanes, then pairs, then whole lanes across registers): 64 shuffles for 256 floats. */
INL void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* u[4i + k], 128-bit lane L: column 4L + k of rows 4i .. 4i+3 */
  for (int i = 0; i < 4; i++) {
    __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
    __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
    u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  for (int k = 0; k < 4; k++) {
    __m512 a = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x88), b = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xdd);
    __m512 c = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x88), d = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xdd);
    r[k] = _mm512_shuffle_f32x4(a, c, 0x88);
    r[8 + k] = _mm512_shuffle_f32x4(a, c, 0xdd);
    r[4 + k] = _mm512_shuffle_f32x4(b, d, 0x88);
    r[12 + k] = _mm512_shuffle_f32x4(b, d, 0xdd);
  }
}

/* dst[(p) * dstride + i] = src_i[p0 + p] for p < 16, i < n (n <= 16 rows; rows n.. are zero),
 * storing `width` lanes of each of the 16 output rows */
INL void transpose_rows16(const float *const *src, int n, int64_t p0, float *dst, int64_t dstride, int width) {
  __m512 r[16];
  for (int i = 0; i < 16; i++) r[i] = i < n ? _mm512_loadu_ps(src[i] + p0) : _mm512_setzero_ps();
  transpose16(r);
  const __mmask16 keep = (__mmask16)((1u << width) - 1u);
  for (int j = 0; j < 16; j++) _mm512_mask_storeu_ps(dst + j * dstride, keep, r[j]);
}
#endif

/* A block (rows i0.., cols p0.. of op(A)), mc x kc, into MR-row panels [panel][p][MR], zero-padded. */
static void pack_a(const float *a, int64_t lda, int trans, int64_t mc, int64_t kc, float *restrict pa) {
  if (trans) {
    /* op(A)(i, p) = a[p*lda + i]: row p of the stored matrix is contiguous across all panels,
     * so walk it once per p (one pass over the block, not one per panel) */
    int64_t full = mc / MR, rest = mc - full * MR;
    for (int64_t p = 0; p < kc; p++) {
      const float *s = a + p * lda;
      for (int64_t q = 0; q < full; q++) {
        float *d = pa + q * MR * kc + p * MR;
UNROLL(32)
        for (int i = 0; i < MR; i++) d[i] = s[q * MR + i];
      }
      if (rest) {
        float *d = pa + full * MR * kc + p * MR;
        int64_t i = 0;
        for (; i < rest; i++) d[i] = s[full * MR + i];
        for (; i < MR; i++) d[i] = 0.0f;
      }
    }
    return;
  }
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    int64_t mr = mc - i0 < MR ? mc - i0 : MR;
    /* op(A)(i, p) = a[i*lda + p]: MR row streams, transposed on the way */
    const float *rows[MR];
    for (int i = 0; i < MR; i++) rows[i] = a + (i0 + (i < mr ? i : 0)) * lda;
    int64_t p0 = 0;
#if defined(LLMTS_ISA_AVX512) && GEMM_MR <= 16
    /* 16 columns at a time through a register transpose (the scalar loop below moved one float
     * per load and store: a third of the micro-kernel's time for K = 128 products) */
    for (; p0 + 16 <= kc; p0 += 16) transpose_rows16(rows, (int)mr, p0, pa + p0 * MR, MR, MR);
#endif
    if (mr == MR) {
      for (int64_t p = p0; p < kc; p++) {
        float *d = pa + p * MR;
UNROLL(32)
        for (int i = 0; i < MR; i++) d[i] = rows[i][p];
      }
    } else {
      for (int64_t p = p0; p < kc; p++) {
        float *d = pa + p * MR;
        int64_t i = 0;
        for (; i < mr; i++) d[i] = rows[i][p];
        for (; i < MR; i++) d[i] = 0.0f;
      }
    }
    pa += MR * kc;
  }
}

/* B block (rows p0.. cols j0.. of op(B)), kc x nc, into NR-column panels [panel][p][NR], zero-padded. */
static void pack_b(const float *b, int64_t ldb, int trans, int64_t kc, int64_t nc, float *restrict pb) {
  if (!trans) {
    /* op(B)(p, j) = b[p*ldb + j]: row p is contiguous across all panels; one pass per p */
    int64_t full = nc / NR, rest = nc - full * NR;
    for (int64_t p = 0; p < kc; p++) {
      const float *s = b + p * ldb;
      for (int64_t q = 0; q < full; q++) {
        float *d = pb + q * NR * kc + p * NR;
UNROLL(8)
        for (int v = 0; v < NV; v++) vstore(d + v * VL, vload(s + q * NR + v * VL));
      }
      if (rest) {
        float *d = pb + full * NR * kc + p * NR;
        int64_t j = 0;
        for (; j < rest; j++) d[j] = s[full * NR + j];
        for (; j < NR; j++) d[j] = 0.0f;
      }
    }
    return;
  }
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    int64_t nr = nc - j0 < NR ? nc - j0 : NR;
    /* op(B)(p, j) = b[j*ldb + p]: NR column streams, transposed on the way */
    const float *cols[NR];
    for (int j = 0; j < NR; j++) cols[j] = b + (j0 + (j < nr ? j : 0)) * ldb;
    int64_t p0 = 0;
#if defined(LLMTS_ISA_AVX512)
    /* 16 x 16 register transposes, one per 16 columns of the panel (see pack_a) */
    for (; p0 + 16 <= kc; p0 += 16)
      for (int h = 0; h < NV; h++) {
        int64_t n = nr - h * VL;
        transpose_rows16(cols + h * VL, (int)(n < 0 ? 0 : n > 16 ? 16 : n), p0, pb + p0 * NR + h * VL, NR, 16);
      }
#endif
    if (nr == NR) {
      for (int64_t p = p0; p < kc; p++) {
        float *d = pb + p * NR;
UNROLL(64)
        for (int j = 0; j < NR; j++) d[j] = cols[j][p];
      }
    } else {
      for (int64_t p = p0; p < kc; p++) {
        float *d = pb + p * NR;
        int64_t j = 0;
        for (; j < nr; j++) d[j] = cols[j][p];
        for (; j < NR; j++) d[j] = 0.0f;
      }
    }
    pb += NR * kc;
  }
}

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
/* split len into pieces of at most max, balanced, each a multiple of unit (but the last) */
static int64_t balanced_block(int64_t len, int64_t max, int64_t unit) {
  int64_t pieces = (len + max - 1) / max;
  int64_t b = round_up((len + pieces - 1) / pieces, unit);
  return b > max ? max : b;
}

/* C[mc x nc] (+)= packed A block x packed B block */
static void macro_kernel(const float *pa, const float *pb, int64_t mc, int64_t nc, int64_t kc, float *c, int64_t ldc,
                         int beta) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t nr = nc - jr < NR ? nc - jr : NR;
    const float *pbp = pb + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      int64_t mr = mc - ir < MR ? mc - ir : MR;
      ukr(kc, pa + ir * kc, pbp, c + ir * ldc + jr, ldc, beta, mr, nr);
    }
  }
}

static void zero_c(const GemmArgs *g, float *c, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (g->accumulate) return;
  for (int64_t i = m0; i < m1; i++)
    for (int64_t j = n0; j < n1; j++) c[i * g->ldc + j] = 0.0f;
}

/* one batch item, rows [m0, m1) and columns [n0, n1) of C */
static void gemm_block(const GemmArgs *g, const float *a, const float *b, float *c, int64_t m0, int64_t m1, int64_t n0,
                       int64_t n1, int tid) {
  int64_t m = m1 - m0, n = n1 - n0, k = g->k;
  if (m <= 0 || n <= 0) return;
  if (k == 0) {
    zero_c(g, c, m0, m1, n0, n1);
    return;
  }
  int64_t kcb = balanced_block(k, GEMM_KC, 8);
  int64_t mcb = balanced_block(m, GEMM_MC, MR);
  int64_t ncb = balanced_block(n, GEMM_NC, NR);
  float *pa = llmts_scratch(tid, 0, sizeof(float) * (size_t)(round_up(mcb, MR) * kcb));
  float *pb = llmts_scratch(tid, 1, sizeof(float) * (size_t)(round_up(ncb, NR) * kcb));
  if (!pa || !pb) abort();
  for (int64_t jc = 0; jc < n; jc += ncb) {
    int64_t nc = n - jc < ncb ? n - jc : ncb;
    for (int64_t pc = 0; pc < k; pc += kcb) {
      int64_t kc = k - pc < kcb ? k - pc : kcb;
      int beta = pc > 0 || g->accumulate;
      const float *bsrc = g->trans_b ? b + (n0 + jc) * g->ldb + pc : b + pc * g->ldb + n0 + jc;
      pack_b(bsrc, g->ldb, g->trans_b, kc, nc, pb);
      for (int64_t ic = 0; ic < m; ic += mcb) {
        int64_t mc = m - ic < mcb ? m - ic : mcb;
        const float *asrc = g->trans_a ? a + pc * g->lda + m0 + ic : a + (m0 + ic) * g->lda + pc;
        pack_a(asrc, g->lda, g->trans_a, mc, kc, pa);
        macro_kernel(pa, pb, mc, nc, kc, c + (m0 + ic) * g->ldc + n0 + jc, g->ldc, beta);
      }
    }
  }
}

typedef struct {
  const GemmArgs *g;
  int64_t parts; /* slices per batch item */
  int split_n;   /* slice columns (else rows) */
  int64_t unit;  /* slice size */
} GemmPlan;

static void gemm_task(void *ctx, long t, int tid) {
  const GemmPlan *pl = ctx;
  const GemmArgs *g = pl->g;
  int64_t bi = t / pl->parts, part = t % pl->parts;
  const float *a = g->a + bi * g->stride_a;
  const float *b = g->b + bi * g->stride_b;
  float *c = g->c + bi * g->stride_c;
  if (pl->parts == 1) {
    gemm_block(g, a, b, c, 0, g->m, 0, g->n, tid);
  } else if (pl->split_n) {
    int64_t n0 = part * pl->unit, n1 = n0 + pl->unit < g->n ? n0 + pl->unit : g->n;
    gemm_block(g, a, b, c, 0, g->m, n0, n1, tid);
  } else {
    int64_t m0 = part * pl->unit, m1 = m0 + pl->unit < g->m ? m0 + pl->unit : g->m;
    gemm_block(g, a, b, c, m0, m1, 0, g->n, tid);
  }
}

/*
 * One large product on every thread: per (NC, KC) block of B, the threads first pack the
 * block together (tasks = groups of NR panels, into one shared buffer), then take MC-row
 * blocks of C from a shared counter, each packing its own A block. B is packed once, and a
 * thread that gets less CPU (a busy machine) simply takes fewer row blocks.
 */
typedef struct {
  const GemmArgs *g;
  const float *a, *b;
  float *c;
  int64_t jc, nc, pc, kc, mcb, panels_per_task;
  float *pb;
  int beta;
} CoopJob;

static void coop_pack_task(void *ctx, long t, int tid) {
  const CoopJob *j = ctx;
  const GemmArgs *g = j->g;
  int64_t c0 = t * j->panels_per_task * NR;
  if (c0 >= j->nc) return;
  int64_t w = j->nc - c0 < j->panels_per_task * NR ? j->nc - c0 : j->panels_per_task * NR;
  int64_t col = j->jc + c0;
  const float *bsrc = g->trans_b ? j->b + col * g->ldb + j->pc : j->b + j->pc * g->ldb + col;
  pack_b(bsrc, g->ldb, g->trans_b, j->kc, w, j->pb + c0 * j->kc);
}

static void coop_compute_task(void *ctx, long t, int tid) {
  const CoopJob *j = ctx;
  const GemmArgs *g = j->g;
  int64_t ic = t * j->mcb;
  if (ic >= g->m) return;
  int64_t mc = g->m - ic < j->mcb ? g->m - ic : j->mcb;
  float *pa = llmts_scratch(tid, 0, sizeof(float) * (size_t)(round_up(j->mcb, MR) * j->kc));
  if (!pa) abort();
  const float *asrc = g->trans_a ? j->a + j->pc * g->lda + ic : j->a + ic * g->lda + j->pc;
  pack_a(asrc, g->lda, g->trans_a, mc, j->kc, pa);
  macro_kernel(pa, j->pb, mc, j->nc, j->kc, j->c + ic * g->ldc + j->jc, g->ldc, j->beta);
}

static void gemm_coop(const GemmArgs *g, const float *a, const float *b, float *c, int threads, int64_t mcb) {
  int64_t k = g->k, n = g->n;
  if (k == 0) {
    zero_c(g, c, 0, g->m, 0, n);
    return;
  }
  int64_t kcb = balanced_block(k, GEMM_KC, 8);
  int64_t ncb = balanced_block(n, GEMM_NC, NR);
  float *pb = llmts_scratch(0, 1, sizeof(float) * (size_t)(round_up(ncb, NR) * kcb));
  if (!pb) abort();
  CoopJob j = {g, a, b, c, 0, 0, 0, 0, mcb, 1, pb, 0};
  for (int64_t jc = 0; jc < n; jc += ncb) {
    j.jc = jc;
    j.nc = n - jc < ncb ? n - jc : ncb;
    int64_t panels = (j.nc + NR - 1) / NR;
    j.panels_per_task = (panels + 2 * threads - 1) / (2 * threads);
    for (int64_t pc = 0; pc < k; pc += kcb) {
      j.pc = pc;
      j.kc = k - pc < kcb ? k - pc : kcb;
      j.beta = pc > 0 || g->accumulate;
      llmts_parallel_for((long)((panels + j.panels_per_task - 1) / j.panels_per_task), coop_pack_task, &j);
      llmts_parallel_for((long)((g->m + mcb - 1) / mcb), coop_compute_task, &j);
    }
  }
}

/*
 * m == 1: c[0, :] (+)= a · op(B), streaming B once. A batch-1 decoding step is one such
 * product per weight matrix and is bound by reading the weights; the packed path would read
 * B twice (packing, then the micro-kernel) and run a 14-row micro-kernel for one row. Each
 * output is summed exactly as the packed path sums it - sequential FMAs over k within the
 * same KC blocks, the block results added to C in order - so a row computed here is
 * bit-identical to the same row inside a larger product (KV-cache decoding equals
 * recomputing the whole prefix).
 */
typedef struct {
  const GemmArgs *g;
  const float *a; /* k contiguous values of the one row of op(A) */
  const float *b;
  float *c;
  int64_t kcb;
} GemvJob;

static void gemv_range(void *ctx, int64_t j0, int64_t j1, int tid) {
  (void)tid;
  const GemvJob *J = ctx;
  const GemmArgs *g = J->g;
  const int64_t k = g->k, ldb = g->ldb;
  int64_t j = j0;
  /* plain B: four vectors of columns at a time, so each pass over k uses 256 bytes of every
   * row it touches (each output still sums its own k terms in order). A transposed B keeps
   * one 16-row strip: four strips meant 64 concurrent row streams, which measured slower. */
  for (; !g->trans_b && j + 4 * VL <= j1; j += 4 * VL) {
    vf c[4] = {vzero(), vzero(), vzero(), vzero()};
    for (int64_t pc = 0; pc < k; pc += J->kcb) {
      const int64_t kc = k - pc < J->kcb ? k - pc : J->kcb;
      vf acc0 = vzero(), acc1 = vzero(), acc2 = vzero(), acc3 = vzero();
      const float *bp = J->b + pc * ldb + j;
      for (int64_t p = 0; p < kc; p++) {
        const vf av = vset1(J->a[pc + p]);
        const float *row = bp + p * ldb;
        acc0 = vfma(av, vload(row), acc0);
        acc1 = vfma(av, vload(row + VL), acc1);
        acc2 = vfma(av, vload(row + 2 * VL), acc2);
        acc3 = vfma(av, vload(row + 3 * VL), acc3);
      }
      const vf accs[4] = {acc0, acc1, acc2, acc3};
      for (int v = 0; v < 4; v++)
        c[v] = pc == 0 ? (g->accumulate ? vadd(accs[v], vload(J->c + j + v * VL)) : accs[v]) : vadd(accs[v], c[v]);
    }
    for (int v = 0; v < 4; v++) vstore(J->c + j + v * VL, c[v]);
  }
  for (; j + VL <= j1; j += VL) {
    vf c = vzero();
    for (int64_t pc = 0; pc < k; pc += J->kcb) {
      const int64_t kc = k - pc < J->kcb ? k - pc : J->kcb;
      vf acc = vzero();
      if (!g->trans_b) {
        const float *bp = J->b + pc * ldb + j;
        for (int64_t p = 0; p < kc; p++) acc = vfma(vset1(J->a[pc + p]), vload(bp + p * ldb), acc);
      } else {
        const float *bp = J->b + j * ldb + pc;
        int64_t p = 0;
#if defined(LLMTS_ISA_AVX512)
        /* 16 contiguous loads (one per row of the strip) and a register transpose instead of 16
         * gathers: each row streams 64 bytes per step, and lane i still sums its k terms in order */
        for (; p + 16 <= kc; p += 16) {
          __m512 r[16];
          for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(bp + i * ldb + p);
          transpose16(r);
          for (int q = 0; q < 16; q++) acc = vfma(vset1(J->a[pc + p + q]), r[q], acc);
        }
#endif
        for (; p < kc; p++) acc = vfma(vset1(J->a[pc + p]), vgather(bp + p, ldb), acc);
      }
      c = pc == 0 ? (g->accumulate ? vadd(acc, vload(J->c + j)) : acc) : vadd(acc, c);
    }
    vstore(J->c + j, c);
  }
  /* the last columns, one at a time, in the same order */
  for (; j < j1; j++) {
    float c = 0.0f;
    for (int64_t pc = 0; pc < k; pc += J->kcb) {
      const int64_t kc = k - pc < J->kcb ? k - pc : J->kcb;
      float acc = 0.0f;
      for (int64_t p = 0; p < kc; p++) {
        const float bv = g->trans_b ? J->b[j * ldb + pc + p] : J->b[(pc + p) * ldb + j];
        acc = sfma(J->a[pc + p], bv, acc);
      }
      c = pc == 0 ? (g->accumulate ? acc + J->c[j] : acc) : acc + c;
    }
    J->c[j] = c;
  }
}

static void gemv(const GemmArgs *g) {
  const int64_t k = g->k;
  float *row = NULL;
  if (g->trans_a && k > 0) {
    row = llmts_scratch(0, 2, sizeof(float) * (size_t)k);
    if (!row) abort();
  }
  GemvJob J = {g, NULL, NULL, NULL, balanced_block(k, GEMM_KC, 8)};
  for (int64_t bi = 0; bi < g->batch; bi++) {
    const float *a = g->a + bi * g->stride_a;
    if (g->trans_a) {
      for (int64_t p = 0; p < k; p++) row[p] = a[p * g->lda];
      a = row;
    }
    J.a = a;
    J.b = g->b + bi * g->stride_b;
    J.c = g->c + bi * g->stride_c;
    /* split the columns over the pool: each thread streams its own rows (or columns) of B */
    llmts_par_range(g->n, 4 * VL, VL, gemv_range, &J);
  }
}

void FN(sgemm)(const GemmArgs *g) {
  if (g->batch <= 0 || g->m <= 0 || g->n <= 0) return;
  if (g->m == 1 && g->k > 0) {
    gemv(g);
    return;
  }
  GemmPlan pl = {g, 1, 0, 0};
  double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k * (double)g->batch;
  int threads = llmts_pool_threads();
  if (threads > 1 && flops >= GEMM_PARALLEL_MIN && !(g->stride_c == 0 && g->batch > 1)) {
    int whole_items = g->batch >= 2 * threads || (g->batch >= threads && g->batch % threads == 0);
    /* row blocks for the cooperative scheme: ~8 per thread, at least 2 micro-tiles tall. Small
     * blocks balance the threads (MR-rounded blocks of a 768-row product split 6 ways left one
     * thread 20% idle) and cost nothing extra: the packed B block stays in L2 for every block.
     * Measured on the transformer shapes with 2 threads: 5-15% faster than ~3 per thread. */
    int64_t mcb = round_up((g->m + GEMM_COOP_PER_THREAD * threads - 1) / (GEMM_COOP_PER_THREAD * threads), MR);
    if (mcb > GEMM_MC) mcb = GEMM_MC;
    if (!whole_items && mcb >= GEMM_COOP_MIN_TILES * MR) {
      for (int64_t bi = 0; bi < g->batch; bi++)
        gemm_coop(g, g->a + bi * g->stride_a, g->b + bi * g->stride_b, g->c + bi * g->stride_c, threads, mcb);
      return;
    }
    /* enough whole batch items to keep every thread busy: one task each; else slice each
     * product along its larger dimension (in tiles), each slice packing its own operands */
    if (!whole_items) {
      int64_t mt = (g->m + MR - 1) / MR, nt = (g->n + NR - 1) / NR;
      int split_n = nt > mt;
      int64_t tiles = split_n ? nt : mt;
      int64_t parts = threads < tiles ? threads : tiles;
      if (parts > 1) {
        int64_t per = (tiles + parts - 1) / parts;
        pl.split_n = split_n;
        pl.unit = per * (split_n ? NR : MR);
        pl.parts = ((split_n ? g->n : g->m) + pl.unit - 1) / pl.unit;
      }
    }
    llmts_parallel_for((long)(g->batch * pl.parts), gemm_task, &pl);
  } else {
    for (int64_t bi = 0; bi < g->batch; bi++) gemm_task(&pl, (long)bi, 0);
  }
}
