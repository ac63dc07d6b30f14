/**
 * Findings from per-seed numbers: the comparisons of trained models every experiment makes,
 * written once. Each takes the per-seed values of the arms, forms the paired differences (the
 * arms of one seed share data order and evaluation text), applies the rule of stats.ts and
 * writes the evidence (mean ± SE of each arm, the difference and its 95% interval) and the
 * per-seed table. Also the plot helper that shows the spread (bars at the mean, error bars of
 * one SE, a dot per seed).
 */
import type { Bar } from '../core/plot.ts';
import {
  greaterRule,
  greaterVerdict,
  intervalText,
  meanSe,
  noBetterRule,
  noBetterVerdict,
  paired,
  seedStat,
  summarize,
} from './stats.ts';
import type { Finding, SeedStat, Verdict } from './types.ts';
import { fmt } from './verdict.ts';

export interface Arm {
  name: string;
  values: readonly number[];
}

export interface CompareOptions {
  statement: string;
  /** The arm claimed larger, and the other one. */
  larger: Arm;
  smaller: Arm;
  /** Differences inside ±margin are "no difference worth the name" (does not hold). */
  margin?: number;
  unit?: string;
  format?: (x: number) => string;
  /** Extra sentence for the evidence (context, a caveat's reason). */
  note?: string;
  /** Downgrade a 'holds' to 'holds with a caveat' (with the reason in `note`). */
  caveat?: boolean;
  /** When set, the verdict is 'not resolved at this size' with this reason (e.g. the models did not learn). */
  unresolvedBecause?: string | null;
  /** What one value is (default 'seeds'): e.g. 'random draws' when the replication unit is not a training seed. */
  units?: string;
}

function arms(o: { larger: Arm; smaller: Arm }, diffName: string): SeedStat[] {
  return [
    seedStat(o.larger.name, o.larger.values),
    seedStat(o.smaller.name, o.smaller.values),
    seedStat(diffName, paired(o.larger.values, o.smaller.values)),
  ];
}

/** "A is larger than B" over seeds (paired by seed). */
export function greaterFinding(o: CompareOptions): Finding {
  const f = o.format ?? ((x: number) => fmt(x));
  const diffs = paired(o.larger.values, o.smaller.values);
  const diffName = `${o.larger.name} − ${o.smaller.name}`;
  let verdict: Verdict = greaterVerdict(diffs, o.margin ?? 0);
  if (o.unresolvedBecause) verdict = 'not resolved at this size';
  else if (verdict === 'holds' && o.caveat) verdict = 'holds with a caveat';
  const n = diffs.length;
  return {
    statement: o.statement,
    verdict,
    evidence: `${o.larger.name} ${meanSe(o.larger.values, f)}${o.unit ?? ''}, ${o.smaller.name} ${meanSe(o.smaller.values, f)}${o.unit ?? ''}; difference ${meanSe(diffs, f)}, 95% interval ${intervalText(diffs, f)} over ${n} ${o.units ?? 'seeds'}${o.unresolvedBecause ? `. Not resolved: ${o.unresolvedBecause}` : ''}${o.note ? `. ${o.note}` : ''}`,
    rule: greaterRule(`${diffName}`, o.margin ?? 0, o.unit ?? ''),
    seeds: arms(o, diffName),
  };
}

export interface NoBetterOptions {
  statement: string;
  /** The part claimed to bring no gain (its loss), and the baseline (its loss). */
  candidate: Arm;
  baseline: Arm;
  /** The largest gain (loss reduction) that still counts as "no real benefit". */
  margin: number;
  unit?: string;
  format?: (x: number) => string;
  note?: string;
  caveat?: boolean;
  unresolvedBecause?: string | null;
}

/** "The candidate brings no gain larger than margin" (losses, lower is better; paired by seed). */
export function noBetterFinding(o: NoBetterOptions): Finding {
  const f = o.format ?? ((x: number) => fmt(x));
  const diffs = paired(o.candidate.values, o.baseline.values);
  const diffName = `${o.candidate.name} − ${o.baseline.name}`;
  let verdict: Verdict = noBetterVerdict(diffs, o.margin);
  if (o.unresolvedBecause) verdict = 'not resolved at this size';
  else if (verdict === 'holds' && o.caveat) verdict = 'holds with a caveat';
  return {
    statement: o.statement,
    verdict,
    evidence: `${o.candidate.name} ${meanSe(o.candidate.values, f)}${o.unit ?? ''}, ${o.baseline.name} ${meanSe(o.baseline.values, f)}${o.unit ?? ''}; difference ${meanSe(diffs, f)}, 95% interval ${intervalText(diffs, f)} (margin −${f(o.margin)}) over ${diffs.length} seeds${o.unresolvedBecause ? `. Not resolved: ${o.unresolvedBecause}` : ''}${o.note ? `. ${o.note}` : ''}`,
    rule: noBetterRule(diffName, o.margin, o.unit ?? ''),
    seeds: [
      seedStat(o.candidate.name, o.candidate.values),
      seedStat(o.baseline.name, o.baseline.values),
      seedStat(diffName, diffs),
    ],
  };
}

/** A single quantity claimed above a threshold over seeds (e.g. accuracy above chance 0.5). */
export function aboveFinding(o: {
  statement: string;
  arm: Arm;
  threshold: number;
  thresholdName: string;
  format?: (x: number) => string;
  note?: string;
  caveat?: boolean;
}): Finding {
  const f = o.format ?? ((x: number) => fmt(x));
  const diffs = o.arm.values.map((v) => v - o.threshold);
  let verdict: Verdict = greaterVerdict(diffs);
  if (verdict === 'holds' && o.caveat) verdict = 'holds with a caveat';
  return {
    statement: o.statement,
    verdict,
    evidence: `${o.arm.name} ${meanSe(o.arm.values, f)} (${o.thresholdName} ${f(o.threshold)}); 95% interval of the excess ${intervalText(diffs, f)} over ${diffs.length} seeds${o.note ? `. ${o.note}` : ''}`,
    rule: greaterRule(`${o.arm.name} − ${o.thresholdName}`),
    seeds: [seedStat(o.arm.name, o.arm.values)],
  };
}

/** Bars at the mean with ± one SE and a dot per seed. */
export function seedBar(label: string, values: readonly number[], group?: string): Bar {
  const s = summarize(values);
  return {
    label,
    value: s.mean,
    ...(group !== undefined ? { group } : {}),
    ...(Number.isFinite(s.se) ? { error: s.se } : {}),
    values: [...values],
  };
}

/** Mean and SE of aligned curves (one per seed, same x values): a line with error bars. */
export function meanCurve(
  name: string,
  curves: readonly (readonly (readonly [number, number])[])[],
): { name: string; points: [number, number][]; errors: number[] } {
  const xs = curves[0]?.map((p) => p[0]) ?? [];
  const points: [number, number][] = [];
  const errors: number[] = [];
  xs.forEach((x, i) => {
    const ys = curves.map((c) => c[i]?.[1]).filter((y): y is number => y !== undefined && Number.isFinite(y));
    const s = summarize(ys);
    points.push([x, s.mean]);
    errors.push(Number.isFinite(s.se) ? s.se : 0);
  });
  return { name, points, errors };
}

/** Mean over seeds as text with the seeds' count, for `measured` lines. */
export function seedsLine(
  name: string,
  values: readonly number[],
  format: (x: number) => string = (x) => fmt(x),
): string {
  return `${name}: ${meanSe(values, format)} (per seed ${values.map(format).join(', ')})`;
}
