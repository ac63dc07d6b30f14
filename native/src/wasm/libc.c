/*
 * The little of a C library the kernels need inside WebAssembly: memcpy/memmove/memset (bulk
 * memory instructions), a heap allocator over the linear memory, abort, and the few libm
 * functions, which call the host's Math (the JavaScript side passes them as imports; the
 * reference backend uses the same Math, and these are per-element slow paths: sin, cos, pow,
 * and exp/log once per row).
 *
 * The heap: blocks of multiples of 64 bytes from __heap_base up to `top`, each with a 64-byte
 * header (so every payload starts on a cache line), boundary tags (the size of the block
 * before) so a freed block merges with free neighbours at once, and free lists binned by size
 * (4 bins per power of two, first fit). A free block that ends at `top` gives its memory back
 * to the top. The memory grows (memory.grow) when the top must pass its end; malloc returns
 * NULL when it cannot, and the JavaScript side turns that into a clear error. One spin lock
 * serializes malloc and free (worker threads allocate their scratch).
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "include/stdlib.h"
#include "include/string.h"
#include "wasm.h"

IMPORT("exp") double llmts_host_exp(double x);
IMPORT("log") double llmts_host_log(double x);
IMPORT("pow") double llmts_host_pow(double x, double y);
IMPORT("sin") double llmts_host_sin(double x);
IMPORT("cos") double llmts_host_cos(double x);
IMPORT("abort") void llmts_host_abort(int code);

double exp(double x) { return llmts_host_exp(x); }
double log(double x) { return llmts_host_log(x); }
double pow(double x, double y) { return llmts_host_pow(x, y); }
float expf(float x) { return (float)llmts_host_exp(x); }
float sinf(float x) { return (float)llmts_host_sin(x); }
float cosf(float x) { return (float)llmts_host_cos(x); }

_Noreturn void abort(void) {
  llmts_host_abort(1); /* throws in JavaScript */
  __builtin_trap();
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
  __builtin_memcpy(dst, src, n); /* memory.copy */
  return dst;
}
void *memmove(void *dst, const void *src, size_t n) {
  __builtin_memmove(dst, src, n); /* memory.copy handles overlap */
  return dst;
}
void *memset(void *dst, int c, size_t n) {
  __builtin_memset(dst, c, n); /* memory.fill */
  return dst;
}

/* ---------- heap ---------- */

#define UNIT 64u
#define HDR 64u
#define BINS 128
#define PAGE 65536u

typedef struct Block {
  size_t size;      /* whole block, header included; a multiple of UNIT */
  size_t prev_size; /* size of the block just below (0 for the first) */
  uint32_t free;
  struct Block *next, *prev; /* free list links */
} Block;

extern unsigned char __heap_base;

static struct {
  atomic_flag lock;
  uintptr_t base, top, high; /* first block, end of the last block, highest top ever (above: zero) */
  size_t last_size;          /* size of the block that ends at top */
  size_t used;               /* bytes in allocated blocks */
  Block *bins[BINS];
} H = {ATOMIC_FLAG_INIT};

static void lock(void) {
  while (atomic_flag_test_and_set_explicit(&H.lock, memory_order_acquire)) {
  }
}
static void unlock(void) { atomic_flag_clear_explicit(&H.lock, memory_order_release); }

static int bin_of(size_t size) {
  /* 4 bins per power of two: the top bit and the next two */
  int lg = 31 - __builtin_clz((unsigned)size);
  int sub = lg >= 2 ? (int)((size >> (lg - 2)) & 3) : 0;
  int b = (lg - 7) * 4 + sub; /* sizes start at 128 = 2^7 */
  return b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
}

static void bin_insert(Block *b) {
  int i = bin_of(b->size);
  b->free = 1;
  b->prev = NULL;
  b->next = H.bins[i];
  if (b->next) b->next->prev = b;
  H.bins[i] = b;
}

static void bin_remove(Block *b) {
  if (b->prev) b->prev->next = b->next;
  else H.bins[bin_of(b->size)] = b->next;
  if (b->next) b->next->prev = b->prev;
  b->free = 0;
}

static Block *next_of(Block *b) { return (Block *)((uintptr_t)b + b->size); }

/* sets the prev_size of the block after b (or last_size when b is the last) */
static void link_next(Block *b) {
  uintptr_t end = (uintptr_t)b + b->size;
  if (end == H.top) H.last_size = b->size;
  else ((Block *)end)->prev_size = b->size;
}

static int ensure_memory(uintptr_t end) {
  size_t have = __builtin_wasm_memory_size(0) * (size_t)PAGE;
  if (end <= have) return 1;
  size_t need = (end - have + PAGE - 1) / PAGE;
  /* grow by at least an eighth of the memory (fewer grow calls), but settle for what is needed */
  size_t extra = have / PAGE / 8;
  if (extra > need && __builtin_wasm_memory_grow(0, extra) != (size_t)-1) return 1;
  return __builtin_wasm_memory_grow(0, need) != (size_t)-1;
}

static void init_heap(void) {
  if (H.base) return;
  H.base = ((uintptr_t)&__heap_base + UNIT - 1) & ~(uintptr_t)(UNIT - 1);
  H.top = H.high = H.base;
}

static void *alloc_locked(size_t n) {
  init_heap();
  if (n > 0xF0000000u) return NULL;
  size_t need = ((n + UNIT - 1) & ~(size_t)(UNIT - 1)) + HDR;
  if (need < 2 * UNIT) need = 2 * UNIT;
  Block *b = NULL;
  for (int i = bin_of(need); i < BINS && !b; i++)
    for (Block *c = H.bins[i]; c; c = c->next)
      if (c->size >= need) {
        b = c;
        break;
      }
  if (b) {
    bin_remove(b);
    if (b->size - need >= 2 * UNIT) { /* split off the rest */
      Block *r = (Block *)((uintptr_t)b + need);
      r->size = b->size - need;
      r->prev_size = need;
      b->size = need;
      link_next(r);
      bin_insert(r);
    }
  } else {
    /* from the top */
    if (H.top + need < H.top || !ensure_memory(H.top + need)) return NULL;
    b = (Block *)H.top;
    b->size = need;
    b->prev_size = H.last_size;
    H.top += need;
    H.last_size = need;
    if (H.top > H.high) H.high = H.top;
  }
  b->free = 0;
  H.used += b->size;
  return (void *)((uintptr_t)b + HDR);
}

void *malloc(size_t n) {
  lock();
  void *p = alloc_locked(n);
  unlock();
  return p;
}

void free(void *p) {
  if (!p) return;
  lock();
  Block *b = (Block *)((uintptr_t)p - HDR);
  H.used -= b->size;
  if ((uintptr_t)b + b->size < H.top) {
    Block *nx = next_of(b);
    if (nx->free) {
      bin_remove(nx);
      b->size += nx->size;
    }
  }
  if (b->prev_size) {
    Block *pv = (Block *)((uintptr_t)b - b->prev_size);
    if (pv->free) {
      bin_remove(pv);
      pv->size += b->size;
      b = pv;
    }
  }
  if ((uintptr_t)b + b->size == H.top) {
    /* give it back to the top; the block below (if any) is in use, else it would have merged */
    H.top = (uintptr_t)b;
    H.last_size = b->prev_size;
  } else {
    link_next(b);
    bin_insert(b);
  }
  unlock();
}

/* a zeroed block: memory above the highest top so far is fresh from memory.grow, already zero */
void *calloc(size_t count, size_t size) {
  if (size && count > (size_t)-1 / size) return NULL;
  size_t n = count * size;
  lock();
  uintptr_t high = H.high;
  void *p = alloc_locked(n);
  unlock();
  if (p) {
    uintptr_t start = (uintptr_t)p, end = start + n;
    if (start < high) memset(p, 0, (end < high ? end : high) - start);
  }
  return p;
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (align > UNIT) return 22; /* EINVAL: payloads are 64-byte aligned, nothing needs more */
  *out = malloc(n);
  return *out ? 0 : 12; /* ENOMEM */
}

EXPORT("llmts_malloc") void *llmts_malloc(size_t n) { return malloc(n); }
EXPORT("llmts_calloc") void *llmts_calloc(size_t n) { return calloc(n, 1); }
EXPORT("llmts_free") void llmts_free(void *p) { free(p); }
/* bytes in allocated blocks (headers and rounding included) */
EXPORT("llmts_heap_used") double llmts_heap_used(void) { return (double)H.used; }
/* bytes from the start of memory to the top of the heap */
EXPORT("llmts_heap_top") double llmts_heap_top(void) { return (double)H.top; }
