/** A result as plain text for the terminal: the claim (with the notes' section), what was measured, the verdict. */
import type { ExperimentResult, Finding, SeedStat } from './types.ts';
import { evidenceOf } from './verdict.ts';

/** "name: 2.345 ± 0.012 (2.33, 2.35, 2.36)" with 4 significant digits. */
export function seedStatText(s: SeedStat): string {
  const f = (x: number): string =>
    (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5) || x === 0 ? x.toPrecision(4) : x.toExponential(2);
  return `${s.name}: ${f(s.mean)}${s.se !== null ? ` ± ${f(s.se)}` : ''} (${s.values.map(f).join(', ')})`;
}

function findingLines(f: Finding, indent: string): string[] {
  const lines = [`${indent}[${f.verdict}] ${f.statement}`, `${indent}    ${f.evidence}`];
  if (f.rule !== undefined) lines.push(`${indent}    rule: ${f.rule}`);
  for (const s of f.seeds ?? []) lines.push(`${indent}    ${seedStatText(s)}`);
  return lines;
}

export function formatResult(r: ExperimentResult, files: readonly string[] = []): string {
  const lines: string[] = [];
  lines.push(`== ${r.name}: ${r.title}`);
  for (const c of r.claims) {
    lines.push(`   notes §${c.section}: 「${c.quote}」`);
    lines.push(`   (${c.english})`);
  }
  lines.push('   measured:');
  for (const m of r.measured) lines.push(`     - ${m}`);
  const evidence = evidenceOf(r.findings);
  const sanity = r.findings.filter((f) => !evidence.includes(f));
  lines.push('   findings:');
  for (const f of evidence) lines.push(...findingLines(f, '     '));
  if (sanity.length > 0) {
    lines.push('   sanity checks (hold by construction; shown, not counted):');
    for (const f of sanity) lines.push(...findingLines(f, '     '));
  }
  const seeds = r.seeds ?? [r.seed];
  lines.push(
    `   verdict: ${r.verdict.toUpperCase()}  (${r.seconds.toFixed(1)} s, ${(r.cpuSeconds ?? NaN).toFixed(1)} s CPU${r.quick ? ', --quick' : ''}, seeds ${seeds.join(', ')})`,
  );
  if (files.length > 0) lines.push(`   wrote: ${files.join(', ')}`);
  return lines.join('\n');
}
