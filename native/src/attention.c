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
 * Every product goes through block_ab, a register-blocked C (+)= A B where A is read through
 * (row, column) strides (so P^T and dS^T need no transposed copy) and B has contiguous rows
 * (K and V blocks are gathered into [D][BK] panels where they are the right operand of a
 * product over D). Under a causal mask block_ab skips, per group of 4 rows, the columns and
 * the part of the inner dimension that the mask hides (a Lim of linear bounds), so the
 * hidden half of the scores costs nothing.
 */
#include "kernels.h"
#include "pool.h"
#include "row.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BK (4 * VL) /* keys per block: one row of S is 4 vectors */
#define BQ 64       /* queries per block */

/* C[R x ncols] (+)= A[R x (p_lo..p_hi)] B[(p_lo..p_hi) x ncols]; ncols <= NV VL, the last
 * vector has `last` lanes */
INL void bab_tile(const int R, const int NV, const float *A, int64_t ars, int64_t acs, const float *B, int64_t ldb,
                  float *C, int64_t ldc, int64_t p_lo, int64_t p_hi, int64_t last, int acc) {
  vf c[4][4];
UNROLL(4)
  for (int r = 0; r < R; r++)
UNROLL(4)
    for (int v = 0; v < NV; v++) {
      if (acc) c[r][v] = v == NV - 1 && last < VL ? vload_n(C + r * ldc + v * VL, last) : vload(C + r * ldc + v * VL);
      else c[r][v] = vzero();
    }
  for (int64_t p = p_lo; p < p_hi; p++) {
    vf b[4];
    const float *bp = B + p * ldb;
    const float *ap = A + p * acs;
UNROLL(4)
    for (int v = 0; v < NV; v++) b[v] = v == NV - 1 && last < VL ? vload_n(bp + v * VL, last) : vload(bp + v * VL);
UNROLL(4)
    for (int r = 0; r < R; r++) {
      vf a = vset1(ap[r * ars]);
UNROLL(4)
      for (int v = 0; v < NV; v++) c[r][v] = vfma(a, b[v], c[r][v]);
    }
  }
UNROLL(4)
  for (int r = 0; r < R; r++)
UNROLL(4)
    for (int v = 0; v < NV; v++) {
      if (v == NV - 1 && last < VL) vstore_n(C + r * ldc + v * VL, c[r][v], last);
      else vstore(C + r * ldc + v * VL, c[r][v]);
    }
}

/* Causal bounds for the group of rows [r, r_last]: inner index p in [lo0 + lo_step r,
 * hi0 + hi_step r_last), columns below nc0 + nc_step r_last (rounded up to whole vectors). */
typedef struct {
  int64_t lo0, lo_step, hi0, hi_step, nc0, nc_step;
} Lim;

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi) { return x < lo ? lo : x > hi ? hi : x; }

#define TILE_CASE(R, NV) \
  case (R - 1) * 4 + NV - 1: bab_tile(R, NV, Ai, ars, acs, Bj, ldb, Cij, ldc, p_lo, p_hi, last, acc); break;

/* C[rows x ncols] (+)= A B, A[r][p] = A[r ars + p acs], B[p][j] = B[p ldb + j] */
static void block_ab(const float *A, int64_t ars, int64_t acs, int64_t rows, int64_t kd, const float *B, int64_t ldb,
                     float *C, int64_t ldc, int64_t ncols, int acc, const Lim *lim) {
  for (int64_t i = 0; i < rows; i += 4) {
    int64_t r = rows - i < 4 ? rows - i : 4;
    int64_t p_lo = 0, p_hi = kd, nc = ncols;
    if (lim) {
      p_lo = clamp64(lim->lo0 + lim->lo_step * i, 0, kd);
      p_hi = clamp64(lim->hi0 + lim->hi_step * (i + r - 1), 0, kd);
      if (p_hi < p_lo) p_hi = p_lo;
      nc = clamp64(lim->nc0 + lim->nc_step * (i + r - 1), 0, ncols);
      nc = (nc + VL - 1) / VL * VL;
      if (nc > ncols) nc = ncols;
    }
    const float *Ai = A + i * ars;
    for (int64_t j = 0; j < nc; j += 4 * VL) {
      int64_t w = nc - j < 4 * VL ? nc - j : 4 * VL;
      int64_t nv = (w + VL - 1) / VL, last = w - (nv - 1) * VL;
      const float *Bj = B + j;
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

/* rows [0, n) of a [*, D] operand (row stride st) transposed into dst[D][BK], zero-padded */
static void pack_t(const float *src, int64_t st, int64_t n, int64_t d, float *dst) {
  int gather = st * VL < (1LL << 30);
  for (int64_t k = 0; k < d; k++) {
    float *row = dst + k * BK;
    int64_t j = 0;
    if (gather)
      for (; j + VL <= n; j += VL) vstore(row + j, vgather(src + j * st + k, st));
    for (; j < n; j++) row[j] = src[j * st + k];
    for (; j < BK; j++) row[j] = 0.0f;
  }
}

#define SMALL_Q 4

/* S[i][j] = q_i . k_j for nq <= SMALL_Q query rows and nk key rows (row strides qs, ks) */
static void small_scores(const float *q, int64_t qs, int64_t nq, const float *k, int64_t ks, int64_t nk, int64_t d,
                         float *S) {
  for (int64_t j = 0; j < nk; j++) {
    const float *kj = k + j * ks;
    for (int64_t i = 0; i < nq; i++) {
      const float *qi = q + i * qs;
      vf acc = vzero();
      int64_t c = 0;
      for (; c + VL <= d; c += VL) acc = vfma(vload(qi + c), vload(kj + c), acc);
      if (c < d) acc = vfma(vload_n(qi + c, d - c), vload_n(kj + c, d - c), acc);
      S[i * BK + j] = vhsum(acc);
    }
  }
}

/* S[i][j] = scale * S[i][j] + mask(t0 + i, s0 + j) for visible keys j; -inf for the rest */
static void finish_scores(const AttnArgs *a, int64_t b, int64_t h, int64_t t0, int64_t nq, int64_t s0, int64_t nk,
                          float *S) {
  vf sc = vset1(a->scale);
  int64_t shift = a->tk - a->tq;
  for (int64_t i = 0; i < nq; i++) {
    float *row = S + i * BK;
    int64_t t = t0 + i;
    int64_t vis = nk; /* keys [0, vis) of this block are visible */
    if (a->causal) vis = clamp64(t + shift - s0 + 1, 0, nk);
    int64_t j = 0;
    for (; j + VL <= vis; j += VL) vstore(row + j, vmul(vload(row + j), sc));
    if (j < vis) vstore_n(row + j, vmul(vload_n(row + j, vis - j), sc), vis - j);
    if (a->mask) {
      const float *mrow = a->mask + b * a->m_sb + h * a->m_sh + t * a->m_st + s0 * a->m_ss;
      if (a->m_ss == 1) {
        for (j = 0; j + VL <= vis; j += VL) vstore(row + j, vadd(vload(row + j), vload(mrow + j)));
        for (; j < vis; j++) row[j] += mrow[j];
      } else {
        for (j = 0; j < vis; j++) row[j] += mrow[j * a->m_ss];
      }
    }
    for (j = vis; j < BK; j++) row[j] = -INFINITY;
  }
}

/* number of keys visible to any query of rows [t0, t1) */
static int64_t keys_visible(const AttnArgs *a, int64_t t1) {
  if (!a->causal) return a->tk;
  return clamp64(t1 - 1 + a->tk - a->tq + 1, 0, a->tk);
}

INL void scale_row(float *x, int64_t n, float s) {
  vf sv = vset1(s);
  int64_t i = 0;
  for (; i + VL <= n; i += VL) vstore(x + i, vmul(vload(x + i), sv));
  if (i < n) vstore_n(x + i, vmul(vload_n(x + i, n - i), sv), n - i);
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
    int64_t c = t0 + a->tk - a->tq - s0; /* causal: key j visible to row i iff j <= i + c */
    Lim ls = {0, 0, D, 0, c + 1, 1}, lpv = {0, 0, c + 1, 1, D, 0};
    if (nq <= SMALL_Q) {
      /* a few queries (decoding): dot products with the key rows beat transposing the block */
      small_scores(q, a->q_st, nq, kbase + s0 * a->k_st, a->k_st, nk, D, S);
    } else {
      pack_t(kbase + s0 * a->k_st, a->k_st, nk, D, kt);
      block_ab(q, a->q_st, 1, nq, D, kt, BK, S, BK, BK, 0, a->causal ? &ls : NULL);
    }
    finish_scores(a, b, h, t0, nq, s0, nk, S);
    for (int64_t i = 0; i < nq; i++) {
      float *row = S + i * BK;
      vf mv = vmax(vload(row), vmax(vload(row + VL), vmax(vload(row + 2 * VL), vload(row + 3 * VL))));
      float bm = vhmax(mv);
      float mn = bm > m[i] ? bm : m[i];
      if (mn == -INFINITY) {
        for (int64_t j = 0; j < BK; j += VL) vstore(row + j, vzero());
        continue;
      }
      vf mnv = vset1(mn);
      vf sum = vzero();
      for (int64_t j = 0; j < BK; j += VL) {
        vf p = vexp_flush(vsub(vload(row + j), mnv));
        vstore(row + j, p);
        sum = vadd(sum, p);
      }
      float corr = m[i] == -INFINITY ? 0.0f : expf(m[i] - mn);
      l[i] = l[i] * corr + vhsum(sum);
      m[i] = mn;
      if (corr != 1.0f) scale_row(O + i * D, D, corr);
    }
    block_ab(S, BK, 1, nq, nk, vbase + s0 * a->v_st, a->v_st, O, D, D, 1, a->causal ? &lpv : NULL);
  }
  for (int64_t i = 0; i < nq; i++) {
    float *out = a->out + b * a->o_sb + h * a->o_sh + (t0 + i) * a->o_st;
    float *lse = a->lse + (b * a->heads + h) * a->tq + t0 + i;
    if (m[i] == -INFINITY) {
      memset(out, 0, sizeof(float) * (size_t)D);
      *lse = -INFINITY;
      continue;
    }
    memcpy(out, O + i * D, sizeof(float) * (size_t)D);
    scale_row(out, D, 1.0f / l[i]);
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

  size_t need = (size_t)(2 * D * BK + 2 * BQ * BK + 2 * BK * D + group * tq) * sizeof(float);
  float *kt = llmts_scratch(tid, 0, need);
  if (!kt) abort();
  float *vt = kt + D * BK, *P = vt + D * BK, *dP = P + BQ * BK;
  float *dK = dP + BQ * BK, *dV = dK + BK * D, *Dsum = dV + BK * D;

  /* Dsum[g][t] = dO . O per query row; clear dQ of the group's heads */
  for (int64_t g = 0; g < group; g++) {
    int64_t h = hk * group + g;
    for (int64_t t = 0; t < tq; t++) {
      const float *go = a->gout + b * a->o_sb + h * a->o_sh + t * a->o_st;
      const float *o = a->out + b * a->o_sb + h * a->o_sh + t * a->o_st;
      Dsum[g * tq + t] = (float)row_dot(go, o, D);
      memset(a->gq + b * a->gq_sb + h * a->gq_sh + t * a->gq_st, 0, sizeof(float) * (size_t)D);
    }
  }
  int64_t shift = tk - tq;
  for (int64_t s0 = 0; s0 < tk; s0 += BK) {
    int64_t nk = tk - s0 < BK ? tk - s0 : BK;
    const float *kb = kbase + s0 * a->k_st, *vb = vbase + s0 * a->v_st;
    pack_t(kb, a->k_st, nk, D, kt);
    pack_t(vb, a->v_st, nk, D, vt);
    memset(dK, 0, sizeof(float) * (size_t)(BK * D));
    memset(dV, 0, sizeof(float) * (size_t)(BK * D));
    /* first query row that can see key s0: t >= s0 - shift */
    int64_t tfirst = a->causal ? clamp64(s0 - shift, 0, tq) : 0;
    for (int64_t g = 0; g < group; g++) {
      int64_t h = hk * group + g;
      for (int64_t t0 = tfirst / BQ * BQ; t0 < tq; t0 += BQ) {
        int64_t nq = tq - t0 < BQ ? tq - t0 : BQ;
        int64_t c = t0 + shift - s0; /* causal: key j visible to row i iff j <= i + c */
        int causal = a->causal && c < nk - 1; /* else every key of the block is visible */
        Lim ls = {0, 0, D, 0, c + 1, 1};       /* rows i (queries), columns j (keys) */
        Lim lq = {0, 0, c + 1, 1, D, 0};       /* rows i, inner j */
        Lim lk = {-c, 1, nq, 0, D, 0};         /* rows j, inner i */
        const float *q = a->q + b * a->q_sb + h * a->q_sh + t0 * a->q_st;
        const float *go = a->gout + b * a->o_sb + h * a->o_sh + t0 * a->o_st;
        float *gq = a->gq + b * a->gq_sb + h * a->gq_sh + t0 * a->gq_st;
        const float *lse = a->lse + (b * a->heads + h) * tq + t0;
        /* P = exp(S - lse) */
        block_ab(q, a->q_st, 1, nq, D, kt, BK, P, BK, BK, 0, causal ? &ls : NULL);
        finish_scores(a, b, h, t0, nq, s0, nk, P);
        for (int64_t i = 0; i < nq; i++) {
          float *row = P + i * BK;
          if (lse[i] == -INFINITY) {
            for (int64_t j = 0; j < BK; j += VL) vstore(row + j, vzero());
            continue;
          }
          vf lv = vset1(lse[i]);
          for (int64_t j = 0; j < BK; j += VL) vstore(row + j, vexp_flush(vsub(vload(row + j), lv)));
        }
        /* dV += P^T dO */
        block_ab(P, 1, BK, nk, nq, go, a->o_st, dV, D, D, 1, causal ? &lk : NULL);
        /* dP = dO V^T ; dS = P (dP - Dsum) scale, into P (0 wherever P is 0) */
        block_ab(go, a->o_st, 1, nq, D, vt, BK, dP, BK, BK, 0, causal ? &ls : NULL);
        vf sc = vset1(a->scale);
        for (int64_t i = 0; i < nq; i++) {
          vf ds = vset1(Dsum[g * tq + t0 + i]);
          float *pr = P + i * BK, *dr = dP + i * BK;
          int64_t vis = causal ? clamp64(i + c + 1, 0, nk) : nk;
          int64_t j = 0;
          for (; j < vis; j += VL) vstore(pr + j, vmul(vmul(vload(pr + j), vsub(vload(dr + j), ds)), sc));
          for (; j < BK; j += VL) vstore(pr + j, vzero());
        }
        /* dQ += dS K ; dK += dS^T Q */
        block_ab(P, BK, 1, nq, nk, kb, a->k_st, gq, a->gq_st, D, 1, causal ? &lq : NULL);
        block_ab(P, 1, BK, nk, nq, q, a->q_st, dK, D, D, 1, causal ? &lk : NULL);
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
