/*
 * Fused scaled-dot-product attention, forward and backward, flash style
 * (reference: src/backends/reference/attention.ts).
 *
 * Forward: a task is one (batch, head, block of BQ queries). It walks the visible key blocks
 * (BK keys): S = scale * Q K^T + mask (causal: key s visible to query t iff
 * s <= t + tk - tq), keeps a running row max m and sum l (online softmax), rescales the
 * output accumulator O and adds P V. Only lse = m + log l is stored for the backward pass.
 *
 * Backward: a task is one (batch, kv head): it owns dK, dV of that kv head and dQ of the
 * query heads that share it (GQA), so tasks never write the same memory. Per key block it
 * recomputes P = exp(S - lse) for each query block and accumulates
 *   dV += P^T dO,  dP = dO V^T,  dS = P (dP - rowsum(dO * O)) scale,  dQ += dS K,  dK += dS^T Q.
 *
 * All the products go through block_ab, a small register-blocked C (+)= A B with B rows
 * contiguous; K and V blocks are transposed into [D][BK] panels where they are the right operand
 * of a product over D.
 */
#include "kernels.h"
#include "pool.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BK (4 * VL) /* keys per block: one row of S is 4 vectors */
#define BQ 64       /* queries per block */

/* C[R x ncols] (+)= A[R x kd] B[kd x ncols]; ncols <= 4 VL; last vector has `last` lanes */
INL void bab_tile(const int R, const int NV, const float *A, int64_t lda, const float *B, int64_t ldb, float *C,
                  int64_t ldc, int64_t kd, int64_t last, int acc) {
  vf c[4][4];
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      if (acc) c[r][v] = v == NV - 1 && last < VL ? vload_n(C + r * ldc + v * VL, last) : vload(C + r * ldc + v * VL);
      else c[r][v] = vzero();
    }
  for (int64_t p = 0; p < kd; p++) {
    vf b[4];
    const float *bp = B + p * ldb;
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = v == NV - 1 && last < VL ? vload_n(bp + v * VL, last) : vload(bp + v * VL);
#pragma GCC unroll 4
    for (int r = 0; r < R; r++) {
      vf a = vset1(A[r * lda + p]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) c[r][v] = vfma(a, b[v], c[r][v]);
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      if (v == NV - 1 && last < VL) vstore_n(C + r * ldc + v * VL, c[r][v], last);
      else vstore(C + r * ldc + v * VL, c[r][v]);
    }
}

#define TILE_CASE(R, NV) \
  case (R - 1) * 4 + NV - 1: bab_tile(R, NV, Ai, lda, Bj, ldb, Cij, ldc, kd, last, acc); break;

static void block_ab(const float *A, int64_t lda, int64_t rows, int64_t kd, const float *B, int64_t ldb, float *C,
                     int64_t ldc, int64_t ncols, int acc) {
  for (int64_t j = 0; j < ncols; j += 4 * VL) {
    int64_t w = ncols - j < 4 * VL ? ncols - j : 4 * VL;
    int64_t nv = (w + VL - 1) / VL, last = w - (nv - 1) * VL;
    for (int64_t i = 0; i < rows; i += 4) {
      int64_t r = rows - i < 4 ? rows - i : 4;
      const float *Ai = A + i * lda, *Bj = B + j;
      float *Cij = C + i * ldc + j;
      switch ((r - 1) * 4 + nv - 1) {
        TILE_CASE(1, 1) TILE_CASE(1, 2) TILE_CASE(1, 3) TILE_CASE(1, 4)
        TILE_CASE(2, 1) TILE_CASE(2, 2) TILE_CASE(2, 3) TILE_CASE(2, 4)
        TILE_CASE(3, 1) TILE_CASE(3, 2) TILE_CASE(3, 3) TILE_CASE(3, 4)
        TILE_CASE(4, 1) TILE_CASE(4, 2) TILE_CASE(4, 3) TILE_CASE(4, 4)
        default: break;
      }
    }
  }
}
#undef TILE_CASE

/* rows [s0, s0+n) of a [*, D] operand (row stride st) transposed into dst[D][BK], zero-padded */
static void pack_t(const float *src, int64_t st, int64_t n, int64_t d, float *dst) {
  for (int64_t k = 0; k < d; k++) {
    float *row = dst + k * BK;
    for (int64_t j = 0; j < n; j++) row[j] = src[j * st + k];
    for (int64_t j = n; j < BK; j++) row[j] = 0.0f;
  }
}

/* dst[cols][rows] = src[rows][cols]^T (src row stride lds), dst row stride ldd */
static void transpose(const float *src, int64_t lds, int64_t rows, int64_t cols, float *dst, int64_t ldd) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
}

/* S[i][j] = scale * S[i][j] + mask(t0 + i, s0 + j), -inf where causal-hidden or j >= nk */
static void finish_scores(const AttnArgs *a, int64_t b, int64_t h, int64_t t0, int64_t nq, int64_t s0, int64_t nk,
                          float *S) {
  vf sc = vset1(a->scale);
  int64_t shift = a->tk - a->tq;
  for (int64_t i = 0; i < nq; i++) {
    float *row = S + i * BK;
    int64_t t = t0 + i;
    int64_t vis = nk; /* keys [0, vis) of this block are visible */
    if (a->causal) {
      int64_t lim = t + shift - s0 + 1;
      if (lim < vis) vis = lim < 0 ? 0 : lim;
    }
    for (int64_t j = 0; j < BK; j += VL) vstore(row + j, vmul(vload(row + j), sc));
    if (a->mask) {
      const float *mrow = a->mask + b * a->m_sb + h * a->m_sh + t * a->m_st + s0 * a->m_ss;
      if (a->m_ss == 1) {
        int64_t j = 0;
        for (; j + VL <= vis; j += VL) vstore(row + j, vadd(vload(row + j), vload(mrow + j)));
        for (; j < vis; j++) row[j] += mrow[j];
      } else {
        for (int64_t j = 0; j < vis; j++) row[j] += mrow[j * a->m_ss];
      }
    }
    for (int64_t j = vis; j < BK; j++) row[j] = -INFINITY;
  }
}

/* number of keys visible to any query of rows [t0, t1) */
static int64_t keys_visible(const AttnArgs *a, int64_t t1) {
  if (!a->causal) return a->tk;
  int64_t lim = t1 - 1 + a->tk - a->tq + 1;
  return lim < 0 ? 0 : lim > a->tk ? a->tk : lim;
}

static float row_max_bk(const float *row) {
  vf m = vset1(-INFINITY);
  for (int64_t j = 0; j < BK; j += VL) m = vmax(vload(row + j), m);
  return vhmax(m);
}

/* ---------- forward ---------- */

typedef struct {
  const AttnArgs *a;
  int64_t qblocks;
} AttnJob;

static void attn_task(void *ctx, long task, int tid) {
  const AttnJob *job = ctx;
  const AttnArgs *a = job->a;
  int64_t D = a->d;
  int64_t qb = task % job->qblocks, bh = task / job->qblocks;
  int64_t b = bh / a->heads, h = bh % a->heads;
  int64_t hk = h / (a->heads / a->kv_heads);
  int64_t t0 = qb * BQ, nq = a->tq - t0 < BQ ? a->tq - t0 : BQ;
  const float *q = a->q + b * a->q_sb + h * a->q_sh + t0 * a->q_st;
  const float *kbase = a->k + b * a->k_sb + hk * a->k_sh;
  const float *vbase = a->v + b * a->v_sb + hk * a->v_sh;

  size_t need = (size_t)(D * BK + BQ * BK + BQ * D + 2 * BQ) * sizeof(float);
  float *kt = llmts_scratch(tid, 0, need);
  if (!kt) abort();
  float *S = kt + D * BK, *O = S + BQ * BK, *m = O + BQ * D, *l = m + BQ;
  memset(O, 0, sizeof(float) * (size_t)(nq * D));
  for (int64_t i = 0; i < nq; i++) m[i] = -INFINITY, l[i] = 0.0f;

  int64_t nkeys = keys_visible(a, t0 + nq);
  for (int64_t s0 = 0; s0 < nkeys; s0 += BK) {
    int64_t nk = nkeys - s0 < BK ? nkeys - s0 : BK;
    pack_t(kbase + s0 * a->k_st, a->k_st, nk, D, kt);
    block_ab(q, a->q_st, nq, D, kt, BK, S, BK, BK, 0);
    finish_scores(a, b, h, t0, nq, s0, nk, S);
    for (int64_t i = 0; i < nq; i++) {
      float *row = S + i * BK;
      float bm = row_max_bk(row);
      float mn = bm > m[i] ? bm : m[i];
      if (mn == -INFINITY) {
        for (int64_t j = 0; j < BK; j++) row[j] = 0.0f;
        continue;
      }
      vf mv = vset1(mn);
      vf sum = vzero();
      for (int64_t j = 0; j < BK; j += VL) {
        vf p = vexp(vsub(vload(row + j), mv));
        vstore(row + j, p);
        sum = vadd(sum, p);
      }
      float corr = expf(m[i] - mn); /* exp(-inf) = 0 on the first visible block */
      l[i] = l[i] * corr + vhsum(sum);
      m[i] = mn;
      if (corr != 1.0f) {
        float *o = O + i * D;
        for (int64_t d = 0; d < D; d++) o[d] *= corr;
      }
    }
    block_ab(S, BK, nq, nk, vbase + s0 * a->v_st, a->v_st, O, D, D, 1);
  }
  for (int64_t i = 0; i < nq; i++) {
    float *out = a->out + b * a->o_sb + h * a->o_sh + (t0 + i) * a->o_st;
    float *lse = a->lse + (b * a->heads + h) * a->tq + t0 + i;
    if (m[i] == -INFINITY) {
      for (int64_t d = 0; d < D; d++) out[d] = 0.0f;
      *lse = -INFINITY;
      continue;
    }
    float inv = 1.0f / l[i];
    for (int64_t d = 0; d < D; d++) out[d] = O[i * D + d] * inv;
    *lse = (float)((double)m[i] + log((double)l[i]));
  }
}

void FN(attention)(const AttnArgs *a) {
  if (a->batch == 0 || a->heads == 0 || a->tq == 0) return;
  AttnJob job = {a, (a->tq + BQ - 1) / BQ};
  long tasks = (long)(a->batch * a->heads * job.qblocks);
  double work = (double)a->batch * a->heads * a->tq * a->tk * a->d;
  if (work < 1 << 16) {
    for (long t = 0; t < tasks; t++) attn_task(&job, t, 0);
  } else {
    llmts_parallel_for(tasks, attn_task, &job);
  }
}

/* ---------- backward ---------- */

static void attn_grad_task(void *ctx, long task, int tid) {
  const AttnJob *job = ctx;
  const AttnArgs *a = job->a;
  int64_t D = a->d, tq = a->tq, tk = a->tk;
  int64_t b = task / a->kv_heads, hk = task % a->kv_heads;
  int64_t group = a->heads / a->kv_heads;
  const float *kbase = a->k + b * a->k_sb + hk * a->k_sh;
  const float *vbase = a->v + b * a->v_sb + hk * a->v_sh;
  float *gkbase = a->gk + b * a->gk_sb + hk * a->gk_sh;
  float *gvbase = a->gv + b * a->gv_sb + hk * a->gv_sh;

  size_t need = (size_t)(2 * D * BK + 3 * BQ * BK + 2 * BK * D + group * tq) * sizeof(float);
  float *kt = llmts_scratch(tid, 0, need);
  if (!kt) abort();
  float *vt = kt + D * BK, *P = vt + D * BK, *dP = P + BQ * BK, *T = dP + BQ * BK;
  float *dK = T + BQ * BK, *dV = dK + BK * D, *Dsum = dV + BK * D;

  /* Dsum[g][t] = dO . O per query row; clear dQ of the group's heads */
  for (int64_t g = 0; g < group; g++) {
    int64_t h = hk * group + g;
    for (int64_t t = 0; t < tq; t++) {
      const float *go = a->gout + b * a->o_sb + h * a->o_sh + t * a->o_st;
      const float *o = a->out + b * a->o_sb + h * a->o_sh + t * a->o_st;
      double s = 0.0;
      for (int64_t d = 0; d < D; d++) s += (double)go[d] * (double)o[d];
      Dsum[g * tq + t] = (float)s;
      float *gq = a->gq + b * a->gq_sb + h * a->gq_sh + t * a->gq_st;
      memset(gq, 0, sizeof(float) * (size_t)D);
    }
  }
  /* first query row that can see key s: t >= s - (tk - tq) */
  int64_t shift = tk - tq;
  for (int64_t s0 = 0; s0 < tk; s0 += BK) {
    int64_t nk = tk - s0 < BK ? tk - s0 : BK;
    const float *kb = kbase + s0 * a->k_st, *vb = vbase + s0 * a->v_st;
    pack_t(kb, a->k_st, nk, D, kt);
    pack_t(vb, a->v_st, nk, D, vt);
    memset(dK, 0, sizeof(float) * (size_t)(BK * D));
    memset(dV, 0, sizeof(float) * (size_t)(BK * D));
    int64_t tfirst = a->causal ? s0 - shift : 0;
    if (tfirst < 0) tfirst = 0;
    for (int64_t g = 0; g < group; g++) {
      int64_t h = hk * group + g;
      for (int64_t t0 = tfirst / BQ * BQ; t0 < tq; t0 += BQ) {
        int64_t nq = tq - t0 < BQ ? tq - t0 : BQ;
        const float *q = a->q + b * a->q_sb + h * a->q_sh + t0 * a->q_st;
        const float *go = a->gout + b * a->o_sb + h * a->o_sh + t0 * a->o_st;
        float *gq = a->gq + b * a->gq_sb + h * a->gq_sh + t0 * a->gq_st;
        const float *lse = a->lse + (b * a->heads + h) * tq + t0;
        /* P = exp(S - lse) */
        block_ab(q, a->q_st, nq, D, kt, BK, P, BK, BK, 0);
        finish_scores(a, b, h, t0, nq, s0, nk, P);
        for (int64_t i = 0; i < nq; i++) {
          float *row = P + i * BK;
          if (lse[i] == -INFINITY) {
            for (int64_t j = 0; j < BK; j++) row[j] = 0.0f;
            continue;
          }
          vf lv = vset1(lse[i]);
          for (int64_t j = 0; j < BK; j += VL) vstore(row + j, vexp(vsub(vload(row + j), lv)));
        }
        /* dV += P^T dO */
        transpose(P, BK, nq, nk, T, BQ);
        block_ab(T, BQ, nk, nq, go, a->o_st, dV, D, D, 1);
        /* dP = dO V^T ; dS = P (dP - Dsum) scale, into P */
        block_ab(go, a->o_st, nq, D, vt, BK, dP, BK, BK, 0);
        vf sc = vset1(a->scale);
        for (int64_t i = 0; i < nq; i++) {
          vf ds = vset1(Dsum[g * tq + t0 + i]);
          float *pr = P + i * BK, *dr = dP + i * BK;
          for (int64_t j = 0; j < BK; j += VL) vstore(pr + j, vmul(vmul(vload(pr + j), vsub(vload(dr + j), ds)), sc));
        }
        /* dQ += dS K ; dK += dS^T Q */
        block_ab(P, BK, nq, nk, kb, a->k_st, gq, a->gq_st, D, 1);
        transpose(P, BK, nq, nk, T, BQ);
        block_ab(T, BQ, nk, nq, q, a->q_st, dK, D, D, 1);
      }
    }
    for (int64_t j = 0; j < nk; j++) {
      memcpy(gkbase + (s0 + j) * a->gk_st, dK + j * D, sizeof(float) * (size_t)D);
      memcpy(gvbase + (s0 + j) * a->gv_st, dV + j * D, sizeof(float) * (size_t)D);
    }
  }
}

void FN(attention_grad)(const AttnArgs *a) {
  if (a->batch == 0 || a->kv_heads == 0) return;
  AttnJob job = {a, 0};
  long tasks = (long)(a->batch * a->kv_heads);
  double work = (double)a->batch * a->heads * a->tq * a->tk * a->d;
  if (work < 1 << 15) {
    for (long t = 0; t < tasks; t++) attn_grad_task(&job, t, 0);
  } else {
    llmts_parallel_for(tasks, attn_grad_task, &job);
  }
}
