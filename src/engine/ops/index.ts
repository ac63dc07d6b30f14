/** Every op, functional style: `ops.add(a, b)` is `a.add(b)`. */
export * from './creation.ts';
export * from './movement.ts';
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './matmul.ts';
export * from './softmax.ts';
export * from './norm.ts';
export * from './loss.ts';
export * from './indexing.ts';
export * from './dropout.ts';
export * from './attention.ts';
export * from './inplace.ts';
export * from './sampling.ts';
