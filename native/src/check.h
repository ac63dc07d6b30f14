/*
 * Argument checks for every kernel entry point (the N-API addon in addon.c; any other
 * front end, e.g. a wasm export, uses the same functions). No N-API here: a front end wraps
 * its arrays in `Buf`s, calls these checks, and on failure raises `Check.msg` its own way.
 *
 * The contract an entry point enforces before a kernel runs (docs/native-backend.md):
 *  - every array is of the kind the kernel reads (Float32Array, Int32Array, ...), and its
 *    BYTE length covers every byte the call will touch;
 *  - every integer argument is finite, integral and inside its range (sizes >= 0, strides
 *    >= 0, offsets >= 0, flags 0/1, op codes < the op count): a double that is NaN or 1e300
 *    never reaches an int64 cast;
 *  - a strided read is in bounds for the whole walk: offset + sum (size-1) * stride < length;
 *  - a strided write is in bounds and never hits one element twice (checked by a sufficient
 *    condition: sorted by stride, each stride is past the extent of the smaller ones), so
 *    threads never race on an output and every loop count is bounded by an array's length;
 *  - a call whose output is empty returns before the kernel (no loop over a size that no
 *    array bounds).
 */
#ifndef LLMTS_CHECK_H
#define LLMTS_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "kernels.h"

/* the largest size, stride or offset accepted: far above any array (V8 caps them at 2^33
 * bytes), far below int64 overflow in the kernels' index arithmetic (two factors multiply) */
#define LLMTS_MAX_INT ((int64_t)1 << 47)

/* array kinds (bit mask of what an argument accepts) */
enum { K_F32 = 1, K_F64 = 2, K_I32 = 4, K_U8 = 8, K_U32 = 16, K_U16 = 32, K_OTHER = 64 };
#define K_DATA (K_F32 | K_F64 | K_I32 | K_U8) /* the dtypes a copy/gather moves */
#define K_ANY (K_OTHER * 2 - 1)

typedef struct {
  void *data;     /* may be NULL for an empty array */
  int present;    /* 0: an optional argument given null/undefined */
  int64_t bytes;  /* byte length of the view */
  int kind;       /* one K_ bit */
  int elsize;     /* bytes per element */
  int index;      /* argument position, for messages */
  const char *name;
} Buf;

enum { CHECK_TYPE = 1, CHECK_RANGE = 2 };

typedef struct {
  const char *fn; /* entry point name, for messages */
  int kind;       /* CHECK_TYPE (wrong kind of argument) or CHECK_RANGE (a value out of range) */
  char msg[240];
} Check;

static inline const char *kind_name(int kind) {
  switch (kind) {
    case K_F32: return "Float32Array";
    case K_F64: return "Float64Array";
    case K_I32: return "Int32Array";
    case K_U8: return "Uint8Array";
    case K_U32: return "Uint32Array";
    case K_U16: return "Uint16Array";
    default: return "another typed array";
  }
}

__attribute__((format(printf, 3, 4))) static inline int check_fail(Check *c, int kind, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->msg, sizeof c->msg, fmt, ap);
  va_end(ap);
  c->kind = kind;
  return 0;
}

/* the array is present (or optional) and of an accepted kind */
static inline int check_kind(Check *c, const Buf *b, int accepted, int optional) {
  if (!b->present) {
    if (optional) return 1;
    return check_fail(c, CHECK_TYPE, "%s (argument %d) must be a typed array", b->name, b->index);
  }
  if (!(b->kind & accepted)) {
    char want[96] = "";
    int n = 0;
    for (int k = 1; k < K_OTHER; k <<= 1)
      if (accepted & k) n += snprintf(want + n, sizeof want - (size_t)n, "%s%s", n ? " or " : "", kind_name(k));
    return check_fail(c, CHECK_TYPE, "%s (argument %d) is a %s, expected %s", b->name, b->index, kind_name(b->kind),
                      want);
  }
  return 1;
}

/* args[i] as an integer in [lo, hi] */
static inline int check_int(Check *c, const double *args, int i, int64_t lo, int64_t hi, const char *what,
                            int64_t *out) {
  double v = args[i];
  /* the range test first (NaN fails it), so the cast is defined; then integrality */
  if (!(v >= (double)lo && v <= (double)hi) || (double)(int64_t)v != v)
    return check_fail(c, CHECK_RANGE, "%s (args[%d]) must be an integer in [%lld, %lld], got %.17g", what, i,
                      (long long)lo, (long long)hi, v);
  *out = (int64_t)v;
  return 1;
}

/* the array holds `elems` elements of its kind: elems * elsize bytes (an absent array holds anything) */
static inline int check_need(Check *c, const Buf *b, double elems) {
  if (!b->present) return 1;
  double need = elems * (double)b->elsize;
  if (need > (double)b->bytes)
    return check_fail(c, CHECK_RANGE, "%s (argument %d) has %lld bytes, the call reaches byte %.0f", b->name,
                      b->index, (long long)b->bytes, need);
  return 1;
}

/* 1 + the largest element index of an access at `offset` over dims with these sizes and
 * strides (0 when a size is 0: nothing is touched) */
static inline double span_of(int n, const int64_t *size, const int64_t *stride, int64_t offset) {
  double e = (double)offset;
  for (int d = 0; d < n; d++) {
    if (size[d] == 0) return 0;
    e += (double)(size[d] - 1) * (double)stride[d];
  }
  return e + 1;
}

/*
 * A write pattern that touches no element twice: sorted by stride (dims of size 1 ignored),
 * each stride is at least the span of the dims below it. Sufficient, not necessary; every
 * layout llmts writes (dense, transposed, a slice) passes.
 */
static inline int check_disjoint(Check *c, const char *what, int n, const int64_t *size, const int64_t *stride) {
  int64_t s[LLMTS_MAX_DIMS + 2], z[LLMTS_MAX_DIMS + 2];
  int m = 0;
  for (int d = 0; d < n; d++)
    if (size[d] == 0) return 1; /* nothing is written */
  for (int d = 0; d < n; d++)
    if (size[d] > 1) {
      int j = m++;
      while (j > 0 && s[j - 1] > stride[d]) {
        s[j] = s[j - 1];
        z[j] = z[j - 1];
        j--;
      }
      s[j] = stride[d];
      z[j] = size[d];
    }
  double span = 1; /* elements covered by the dims below */
  for (int j = 0; j < m; j++) {
    if ((double)s[j] < span)
      return check_fail(c, CHECK_RANGE, "%s: a stride of %lld makes elements overlap (an output is written once per element)",
                        what, (long long)s[j]);
    span = (double)s[j] * (double)(z[j] - 1) + span;
  }
  return 1;
}

/*
 * A strided walk (kernels.h Walk) from args[at]: [ndim, offset x3, shape x8, strides x8 per
 * operand]. Checks the rank, shapes, offsets and strides of the first `nops` operands;
 * *total is the number of output elements.
 */
static inline int check_walk(Check *c, const double *args, int at, int nops, Walk *w, int64_t *offs, double *total) {
  int64_t nd = 0;
  if (!check_int(c, args, at, 1, LLMTS_MAX_DIMS, "walk rank", &nd)) return 0;
  w->ndim = (int)nd;
  *total = 1;
  for (int d = 0; d < w->ndim; d++) {
    if (!check_int(c, args, at + 4 + d, 0, LLMTS_MAX_INT, "walk size", &w->shape[d])) return 0;
    *total *= (double)w->shape[d];
  }
  for (int o = 0; o < 3; o++) offs[o] = 0;
  for (int o = 0; o < nops; o++) {
    if (!check_int(c, args, at + 1 + o, 0, LLMTS_MAX_INT, "walk offset", &offs[o])) return 0;
    for (int d = 0; d < w->ndim; d++)
      if (!check_int(c, args, at + 12 + 8 * o + d, 0, LLMTS_MAX_INT, "walk stride", &w->strides[o][d])) return 0;
  }
  return 1;
}

static inline double walk_span(const Walk *w, int o, int64_t offset) {
  return span_of(w->ndim, w->shape, w->strides[o], offset);
}

#endif
