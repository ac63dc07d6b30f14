/** A result as plain text for the terminal: the claim (with the notes' section), what was measured, the verdict. */
import type { ExperimentResult } from './types.ts';

export function formatResult(r: ExperimentResult, files: readonly string[] = []): string {
  const lines: string[] = [];
  lines.push(`== ${r.name}: ${r.title}`);
  for (const c of r.claims) {
    lines.push(`   notes §${c.section}: 「${c.quote}」`);
    lines.push(`   (${c.english})`);
  }
  lines.push('   measured:');
  for (const m of r.measured) lines.push(`     - ${m}`);
  lines.push('   findings:');
  for (const f of r.findings) {
    lines.push(`     [${f.verdict}] ${f.statement}`);
    lines.push(`         ${f.evidence}`);
  }
  lines.push(
    `   verdict: ${r.verdict.toUpperCase()}  (${r.seconds.toFixed(1)} s${r.quick ? ', --quick' : ''}, seed ${r.seed})`,
  );
  if (files.length > 0) lines.push(`   wrote: ${files.join(', ')}`);
  return lines.join('\n');
}
