/** Verdicts from measurements: per finding by a rule, and one per experiment from its findings. */
import type { Finding, Verdict } from './types.ts';

/** Findings that count as evidence (sanity checks are shown but not counted). */
export function evidenceOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => (f.kind ?? 'evidence') === 'evidence');
}

/**
 * The experiment's headline, from its evidence findings only (sanity checks do not count), with
 * the unresolved ones set aside: not resolved at this size when none is resolved; holds when
 * every finding holds; does not hold when every resolved one does not hold; otherwise holds with
 * a caveat (mixed results, or some findings unresolved beside holding ones).
 */
export function overallVerdict(findings: readonly Finding[]): Verdict {
  const ev = evidenceOf(findings);
  const resolved = ev.filter((f) => f.verdict !== 'not resolved at this size');
  if (resolved.length === 0) return 'not resolved at this size';
  if (ev.every((f) => f.verdict === 'holds')) return 'holds';
  if (resolved.every((f) => f.verdict === 'does not hold')) return 'does not hold';
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
