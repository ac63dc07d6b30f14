/**
 * Finite-difference gradient checking. Run in float64 on the reference backend, the check
 * tests the backward rule's mathematics rather than float32 noise: each input element is
 * nudged by ±eps and the central difference of a random projection of the output is
 * compared with the analytic gradient.
 */
import type { Tensor } from '../tensor.ts';
import { noGrad } from '../grad-mode.ts';
import { Generator } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';

export interface GradcheckOptions {
  eps?: number;
  /** Pass if |analytic - numeric| <= atol + rtol * |numeric| for every element. */
  atol?: number;
  rtol?: number;
  /** Seed of the random projection vector. */
  seed?: number;
  /** Check at most this many elements per input (spread evenly), for large inputs. */
  maxElements?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** e.g. "input 1, element 7: analytic 0.25 vs numeric 0.2499" for the worst element. */
  worst: string;
}

/**
 * fn maps the inputs to one tensor; inputs must be float64 leaves with requiresGrad.
 * The scalar differentiated is sum(fn(inputs) * w) for a fixed random w.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-7;
  const rtol = options.rtol ?? 1e-5;
  for (const x of inputs) {
    if (x.dtype !== 'float64')
      throw new ArgumentError(
        'gradcheck',
        `inputs must be float64 (got ${x.dtype}) so the check measures the maths, not rounding`,
      );
    if (!x.isContiguous() || x.offset !== 0)
      throw new ArgumentError('gradcheck', 'inputs must be contiguous tensors that start at offset 0');
  }
  const g = new Generator(options.seed ?? 1234);
  const probe = fn(...inputs);
  const weights = new Float64Array(probe.size);
  for (let i = 0; i < weights.length; i++) weights[i] = g.uniform(-1, 1);
  const project = (out: Tensor): number => {
    const v = out.toArray();
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * weights[i]!;
    return s;
  };
  // analytic gradient of sum(out * w)
  for (const x of inputs) x.grad = null;
  const out = fn(...inputs);
  const w = out.detach().clone(); // same shape/dtype/backend
  const wd = w.data;
  for (let i = 0; i < weights.length; i++) wd[i] = weights[i]!;
  out.backward(w);
  let maxAbsError = 0;
  let worst = 'none';
  let ok = true;
  noGrad(() => {
    inputs.forEach((x, xi) => {
      if (!x.requiresGrad) return;
      const data = x.data as Float64Array;
      const analytic = x.grad ? x.grad.toArray() : new Array<number>(x.size).fill(0);
      const n = x.size;
      const limit = options.maxElements ?? n;
      const step = Math.max(1, Math.floor(n / limit));
      for (let i = 0; i < n; i += step) {
        const orig = data[i]!;
        let plus: number;
        let minus: number;
        try {
          data[i] = orig + eps;
          plus = project(fn(...inputs));
          data[i] = orig - eps;
          minus = project(fn(...inputs));
        } finally {
          data[i] = orig; // leave the input as it was, even if fn throws
        }
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(analytic[i]! - numeric);
        const passes = err <= atol + rtol * Math.abs(numeric);
        // NaN compares false everywhere: report it as the worst element rather than missing it
        if (err > maxAbsError || (!passes && ok)) {
          if (err > maxAbsError) maxAbsError = err;
          worst = `input ${xi}, element ${i}: analytic ${analytic[i]} vs numeric ${numeric}`;
        }
        if (!passes) ok = false;
      }
    });
  });
  return { ok, maxAbsError, worst };
}
