#!/bin/sh
# builds the GEMM lab against native/src with extra -D flags: sh dev/kernels/build.sh -DGEMM_MR=6 -DGEMM_NV=4
cd "$(dirname "$0")"
S=../../native/src
gcc -O3 -std=gnu11 -DLLMTS_ISA_AVX512 -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma "$@" -c $S/gemm.c -o /tmp/lab_gemm512.o &&
gcc -O3 -std=gnu11 -c $S/pool.c -o /tmp/lab_pool.o &&
gcc -O3 -std=gnu11 lab_sgemm.c /tmp/lab_gemm512.o /tmp/lab_pool.o -o /tmp/lab_sgemm -l:libopenblas.so.0 -lm -lpthread
