/*
 * Attention over a paged KV cache, for serving many sequences in one batch
 * (reference: src/backends/reference/paged-attention.ts).
 *
 * N query tokens from any mix of sequences: token n belongs to page-table row row[n] and sits
 * at position pos[n]; it attends to that sequence's keys 0..pos[n]. Keys and values live in
 * fixed-size pages [pages, P, Hkv, D]; row r's key s is in page table[r][s / P], slot s % P.
 *
 * A task is one (token, kv head): the G = H / Hkv query heads that share the kv head walk the
 * sequence's pages in order with an online softmax (one page = one block: scores, block max,
 * rescale, exp, P V). Every sum is taken in a fixed order that depends only on the token's
 * own query, its sequence's cache and its position, never on the other tokens of the batch
 * or on the thread that runs it: a sequence decoded alone or beside 31 others, or prefilled
 * in chunks of any size, gets bit-identical outputs (what a serving batch needs so that a
 * request's greedy output does not depend on the traffic around it).
 */
#include "kernels.h"
#include "pool.h"
#include "simd.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* q . k over d floats: vector FMAs in order, then one horizontal sum */
INL float dot_d(const float *q, const float *k, int64_t d) {
  vf acc = vzero();
  int64_t c = 0;
  for (; c + VL <= d; c += VL) acc = vfma(vload(q + c), vload(k + c), acc);
  if (c < d) acc = vfma(vload_n(q + c, d - c), vload_n(k + c, d - c), acc);
  return vhsum(acc);
}

/* o[0..d) = o * s + p * v */
INL void scale_add_d(float *o, float s, float p, const float *v, int64_t d) {
  vf sv = vset1(s), pv = vset1(p);
  int64_t c = 0;
  for (; c + VL <= d; c += VL) vstore(o + c, vfma(pv, vload(v + c), vmul(vload(o + c), sv)));
  if (c < d) vstore_n(o + c, vfma(pv, vload_n(v + c, d - c), vmul(vload_n(o + c, d - c), sv)), d - c);
}

static void paged_task(void *ctx, long task, int tid) {
  const PagedArgs *a = ctx;
  const int64_t D = a->d, P = a->page, G = a->heads / a->kv_heads;
  const int64_t n = task / a->kv_heads, hk = task % a->kv_heads;
  const int64_t pos = a->pos[n];
  const int32_t *pages = a->table + (int64_t)a->row[n] * a->per_row;
  const int64_t kstride = a->kv_heads * D; /* between consecutive keys of a page */

  float *S = llmts_scratch(tid, 0, (size_t)(G * P + G * D + 2 * G) * sizeof(float));
  if (!S) abort();
  float *O = S + G * P, *m = O + G * D, *l = m + G;
  memset(O, 0, sizeof(float) * (size_t)(G * D));
  for (int64_t g = 0; g < G; g++) m[g] = -INFINITY, l[g] = 0.0f;

  const int64_t last = pos / P;
  for (int64_t j = 0; j <= last; j++) {
    const int64_t nk = j < last ? P : pos - j * P + 1;
    const int64_t base = ((int64_t)pages[j] * P * a->kv_heads + hk) * D;
    const float *kb = a->kp + base, *vb = a->vp + base;
    /* scores of this page for every query head of the group */
    for (int64_t i = 0; i < nk; i++) {
      const float *kr = kb + i * kstride;
      for (int64_t g = 0; g < G; g++) {
        const int64_t h = hk * G + g;
        float s = dot_d(a->q + n * a->q_st + h * a->q_sh, kr, D) * a->scale;
        if (a->alibi) s -= a->alibi[h] * (float)(pos - (j * P + i));
        S[g * P + i] = s;
      }
    }
    for (int64_t g = 0; g < G; g++) {
      float *row = S + g * P;
      float bm = -INFINITY;
      for (int64_t i = 0; i < nk; i++) bm = row[i] > bm ? row[i] : bm;
      const float mn = bm > m[g] ? bm : m[g];
      if (mn == -INFINITY) continue; /* nothing visible yet (scores of -inf) */
      const float corr = m[g] == -INFINITY ? 0.0f : expf(m[g] - mn);
      /* exponentials a vector at a time */
      vf mnv = vset1(mn), sum = vzero();
      int64_t i = 0;
      for (; i + VL <= nk; i += VL) {
        vf p = vexp_flush(vsub(vload(row + i), mnv));
        vstore(row + i, p);
        sum = vadd(sum, p);
      }
      if (i < nk) {
        vf p = vkeep_n(vexp_flush(vsub(vload_n(row + i, nk - i), mnv)), nk - i);
        vstore_n(row + i, p, nk - i);
        sum = vadd(sum, p);
      }
      l[g] = l[g] * corr + vhsum(sum);
      m[g] = mn;
      float *o = O + g * D;
      /* O = O corr + sum_i p_i v_i, keys in order */
      scale_add_d(o, corr, row[0], vb, D);
      for (i = 1; i < nk; i++) scale_add_d(o, 1.0f, row[i], vb + i * kstride, D);
    }
  }
  for (int64_t g = 0; g < G; g++) {
    float *out = a->out + (n * a->heads + hk * G + g) * D;
    if (!(l[g] > 0.0f)) {
      memset(out, 0, sizeof(float) * (size_t)D);
      continue;
    }
    const float inv = 1.0f / l[g];
    const float *o = O + g * D;
    for (int64_t c = 0; c < D; c++) out[c] = o[c] * inv;
  }
}

void FN(paged_attention)(const PagedArgs *a) {
  if (a->tokens == 0 || a->heads == 0) return;
  long tasks = (long)(a->tokens * a->kv_heads);
  double work = 0;
  for (int64_t n = 0; n < a->tokens; n++) work += (double)(a->pos[n] + 1);
  work *= (double)a->heads * a->d;
  if (work < 1 << 15 || tasks == 1) {
    for (long t = 0; t < tasks; t++) paged_task((void *)a, t, 0);
  } else {
    llmts_parallel_for(tasks, paged_task, (void *)a);
  }
}
