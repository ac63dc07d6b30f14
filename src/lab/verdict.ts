/** Verdicts from measurements: per finding by a rule, and one per experiment from its findings. */
import type { Finding, Verdict } from './types.ts';

/**
 * The experiment's headline: holds when every finding holds, does not hold when none does
 * (every finding is "does not hold"), otherwise holds with a caveat.
 */
export function overallVerdict(findings: readonly Finding[]): Verdict {
  if (findings.length === 0) return 'holds with a caveat';
  if (findings.every((f) => f.verdict === 'holds')) return 'holds';
  if (findings.every((f) => f.verdict === 'does not hold')) return 'does not hold';
  return 'holds with a caveat';
}

/** holds when `ok`, else does not hold; `caveat` (when true and ok) downgrades to holds with a caveat. */
export function verdictOf(ok: boolean, caveat = false): Verdict {
  if (!ok) return 'does not hold';
  return caveat ? 'holds with a caveat' : 'holds';
}

/** A number for evidence strings: fixed digits for ordinary values, exponent form for tiny or huge ones. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(2);
  return x.toFixed(digits);
}

export function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}
