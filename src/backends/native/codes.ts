/** Op codes shared with native/src/kernels.h (same order as its enums). */
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from '../backend.ts';

export const UNARY_CODE: Readonly<Record<UnaryOp, number>> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4,
  tanh: 5,
  sigmoid: 6,
  relu: 7,
  gelu: 8,
  gelu_tanh: 9,
  silu: 10,
  abs: 11,
  sin: 12,
  cos: 13,
  square: 14,
  reciprocal: 15,
  pow: 16,
  scale: 17,
  add_scalar: 18,
  sign: 19,
  erf: 20,
};

export const BINARY_CODE: Readonly<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  pow: 6,
};

export const COMPARE_CODE: Readonly<Record<CompareOp, number>> = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 };

export const REDUCE_CODE: Readonly<Record<ReduceOp, number>> = { sum: 0, max: 1, min: 2, prod: 3 };
