/**
 * Statistics over seeds. A comparison of trained models is run once per seed; each seed gives
 * one value per arm (or one paired difference), and the verdict comes from the mean and its
 * standard error by a rule fixed before the run:
 *
 *   interval = mean ± t·SE, t the 97.5% quantile of Student's t with n − 1 degrees of freedom
 *   (12.71 for 2 seeds, 4.30 for 3, 2.78 for 5): a 95% confidence interval for the mean.
 *
 * A directional claim ("A is larger than B") holds when the whole interval of A − B lies above
 * 0, does not hold when it lies below 0 (or, with a margin m, inside (−m, m): no difference
 * worth the name), and is "not resolved at this size" otherwise. A claim of no advantage
 * ("A is no better than B by more than m") holds when the interval lies above −m and does not
 * hold when it lies below −m. A difference inside the noise is never turned into a verdict.
 */
import type { SeedStat, Verdict } from './types.ts';

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for one value. */
  sd: number;
  /** Standard error of the mean, sd / √n (Infinity for one value: nothing is resolved). */
  se: number;
  values: number[];
}

export function summarize(values: readonly number[]): Summary {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  const mean = n > 0 ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, se: n > 1 ? sd / Math.sqrt(n) : Infinity, values: [...values] };
}

// 97.5% quantiles of Student's t (two-sided 95%), df 1..30, then a few larger df
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t with `df` degrees of freedom (Infinity for df < 1). */
export function tCritical(df: number): number {
  if (!(df >= 1)) return Infinity;
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  if (df <= 40) return 2.021;
  if (df <= 60) return 2.0;
  if (df <= 120) return 1.98;
  return 1.96;
}

export interface Interval {
  mean: number;
  se: number;
  t: number;
  lo: number;
  hi: number;
  n: number;
}

/** mean ± t·SE of the values. */
export function interval(values: readonly number[]): Interval {
  const s = summarize(values);
  const t = tCritical(s.n - 1);
  const half = t * s.se;
  return { mean: s.mean, se: s.se, t, lo: s.mean - half, hi: s.mean + half, n: s.n };
}

/** Per-seed differences a_s − b_s. */
export function paired(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x - b[i]!);
}

export type Direction = 'above' | 'below' | 'unresolved' | 'negligible';

/**
 * Where the interval of `values` lies: inside (−margin, margin) ('negligible', only with a
 * margin > 0; checked first), above 0, below 0, or across 0 ('unresolved').
 */
export function direction(values: readonly number[], margin = 0): Direction {
  const iv = interval(values);
  if (!Number.isFinite(iv.lo) || !Number.isFinite(iv.hi)) return 'unresolved';
  // a difference known to be smaller than the margin is no difference worth the name, even if it is not 0
  if (margin > 0 && iv.lo > -margin && iv.hi < margin) return 'negligible';
  if (iv.lo > 0) return 'above';
  if (iv.hi < 0) return 'below';
  return 'unresolved';
}

/** The rule text of `greaterVerdict`, for the finding (stated before the numbers). */
export function greaterRule(what: string, margin = 0, unit = ''): string {
  return `${what} per seed; holds if its 95% interval (mean ± t·SE, t from Student's t with n−1 df) lies above 0, does not hold if it lies below 0${margin > 0 ? ` or inside ±${margin}${unit} (no difference worth the name)` : ''}; otherwise not resolved at this size`;
}

/** "A > B": the values are per-seed differences A − B (see greaterRule). */
export function greaterVerdict(diffs: readonly number[], margin = 0): Verdict {
  const d = direction(diffs, margin);
  return d === 'above' ? 'holds' : d === 'below' || d === 'negligible' ? 'does not hold' : 'not resolved at this size';
}

/** The rule text of `noBetterVerdict`. */
export function noBetterRule(what: string, margin: number, unit = ''): string {
  return `${what} per seed (positive = the claimed-useless part is worse); holds if its 95% interval lies above −${margin}${unit} (no gain larger than ${margin}${unit}), does not hold if it lies below −${margin}${unit} (a gain larger than that); otherwise not resolved at this size`;
}

/** "A brings no gain larger than m": the values are per-seed (loss A − loss B); see noBetterRule. */
export function noBetterVerdict(diffs: readonly number[], margin: number): Verdict {
  const iv = interval(diffs);
  if (!Number.isFinite(iv.lo)) return 'not resolved at this size';
  if (iv.lo > -margin) return 'holds';
  if (iv.hi < -margin) return 'does not hold';
  return 'not resolved at this size';
}

/** A named per-seed quantity for a finding's table. */
export function seedStat(name: string, values: readonly number[]): SeedStat {
  const s = summarize(values);
  return { name, values: [...values], mean: s.mean, se: Number.isFinite(s.se) ? s.se : null };
}

/** "2.345 ± 0.012" (mean ± SE), with the digits of `fmt`. */
export function meanSe(values: readonly number[], format: (x: number) => string): string {
  const s = summarize(values);
  return Number.isFinite(s.se) ? `${format(s.mean)} ± ${format(s.se)}` : format(s.mean);
}

/** "2.345 ± 0.012 (2.33, 2.35, 2.36)": mean ± SE and the per-seed values. */
export function meanSeList(values: readonly number[], format: (x: number) => string): string {
  return `${meanSe(values, format)} (${values.map(format).join(', ')})`;
}

/** The 95% interval as text: "[0.010, 0.052]". */
export function intervalText(values: readonly number[], format: (x: number) => string): string {
  const iv = interval(values);
  return Number.isFinite(iv.lo) ? `[${format(iv.lo)}, ${format(iv.hi)}]` : '(one seed: no interval)';
}
