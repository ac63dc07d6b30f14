/**
 * Seeded, reproducible random numbers: one Generator object per stream, no global
 * state. A run with a seed is bit-identical across reruns; `getState()`/`setState()`
 * let a checkpoint resume the exact stream.
 *
 * The core is xoshiro128** (32-bit state words, fast in JavaScript's int32 arithmetic),
 * seeded through splitmix32 so that nearby seeds give unrelated streams.
 */
import { ArgumentError } from './errors.ts';

export interface GeneratorState {
  readonly s: readonly [number, number, number, number];
  /** A cached second normal from Box-Muller, or null. */
  readonly spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (any finite number; the same seed gives the same numbers). */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed))
      throw new ArgumentError('Generator.manualSeed', `seed must be a finite number, got ${seed}`);
    // fold the high bits of large seeds in, so seed 2**32 + 1 differs from 1
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const mix = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
    return this;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** A uniform integer in [0, n). Unbiased (rejection sampling). */
  randint(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new ArgumentError('Generator.randint', `n must be an integer in [1, 2^32], got ${n}`);
    }
    if (n === 4294967296) return this.nextUint32();
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal N(mean, std^2) by Box-Muller (the second value is cached). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }

  /** Fills `out` with N(mean, std^2) samples. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
  }

  /** Fills `out` with U[low, high) samples (strictly below high also after rounding to float32). */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): void {
    const f32 = out instanceof Float32Array;
    for (let i = 0; i < out.length; i++) {
      const v = low + (high - low) * this.random();
      // subtle: a draw within 2^-25 of high rounds up to high in float32 (1 - 2^-53 -> 1.0)
      const stored = f32 ? Math.fround(v) : v;
      out[i] = stored < high || !(high > low) ? stored : below(high, f32);
    }
  }

  /**
   * One draw from an unnormalized categorical distribution given by non-negative
   * weights (probabilities or exp-scores). Zero weights are never drawn.
   */
  categorical(weights: ArrayLike<number>, start = 0, length = weights.length - start): number {
    let total = 0;
    for (let i = 0; i < length; i++) {
      const w = weights[start + i]!;
      if (!(w >= 0))
        throw new ArgumentError('Generator.categorical', `weights must be finite and >= 0, got ${w} at ${i}`);
      total += w;
    }
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new ArgumentError('Generator.categorical', `weights must have a positive finite sum, got ${total}`);
    }
    const target = this.random() * total;
    let acc = 0;
    let last = -1;
    for (let i = 0; i < length; i++) {
      const w = weights[start + i]!;
      if (w === 0) continue;
      acc += w;
      last = i;
      if (target < acc) return i;
    }
    return last; // rounding: target landed past the accumulated total
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** The full state, for setState (checkpoints resume the same stream). */
  getState(): GeneratorState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a state from getState. */
  setState(state: GeneratorState): this {
    const [a, b, c, d] = state.s;
    if (![a, b, c, d].every((x) => Number.isInteger(x) && x >= -2147483648 && x <= 4294967295)) {
      throw new ArgumentError('Generator.setState', 'state words must be 32-bit integers');
    }
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    this.spare = state.spareNormal;
    return this;
  }

  /** An independent generator whose stream is derived from this one's next output. */
  fork(): Generator {
    return new Generator(this.nextUint32());
  }
}

/** The largest float32 (or float64) strictly below the finite x. */
function below(x: number, f32: boolean): number {
  const a = f32 ? new Float32Array([x]) : new Float64Array([x]);
  if (a[0]! < x) return a[0]!; // x was not representable and rounded down
  // step one representable value towards -Infinity (sign-magnitude bits; 0 becomes -min subnormal)
  if (f32) {
    const b = new Int32Array(a.buffer);
    b[0] = a[0]! > 0 ? b[0]! - 1 : a[0]! < 0 ? b[0]! + 1 : -2147483647;
  } else {
    const b = new BigInt64Array(a.buffer);
    b[0] = a[0]! > 0 ? b[0]! - 1n : a[0]! < 0 ? b[0]! + 1n : -9223372036854775807n;
  }
  return a[0]!;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
