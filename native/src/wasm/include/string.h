/* memcpy and friends for the wasm build (bulk-memory instructions; native/src/wasm/libc.c). */
#ifndef LLMTS_WASM_STRING_H
#define LLMTS_WASM_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

#endif
