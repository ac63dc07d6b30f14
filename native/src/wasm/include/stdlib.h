/* The allocator and abort of the wasm build (native/src/wasm/libc.c). */
#ifndef LLMTS_WASM_STDLIB_H
#define LLMTS_WASM_STDLIB_H

#include <stddef.h>

void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void free(void *p);
int posix_memalign(void **out, size_t align, size_t n);
_Noreturn void abort(void);

#endif
