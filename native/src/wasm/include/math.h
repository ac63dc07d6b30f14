/* The few libm functions the kernels call, for the wasm build (native/src/wasm/libc.c). */
#ifndef LLMTS_WASM_MATH_H
#define LLMTS_WASM_MATH_H

#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("")

double exp(double x);
double log(double x);
double pow(double x, double y);
float expf(float x);
float sinf(float x);
float cosf(float x);
static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline float sqrtf(float x) { return __builtin_sqrtf(x); }
static inline float fabsf(float x) { return __builtin_fabsf(x); }
static inline float nearbyintf(float x) { return __builtin_nearbyintf(x); }

#endif
