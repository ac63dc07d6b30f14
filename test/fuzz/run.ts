/**
 * npm run fuzz [-- --cases N] [--seed S] [--only SUBSTRING] [--hang-ms MS]: the long fuzz run
 * over every file format llmts reads (test/fuzz/targets.ts); prints the table per format and
 * each finding with the case seed that replays it. Exits 1 when any case gave an untyped
 * error, an allocation failure or took longer than --hang-ms.
 */
import { fuzzTarget, formatReport } from './driver.ts';
import type { TargetReport } from './driver.ts';
import { TARGETS } from './targets.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const cases = Number(flag('--cases', '2000'));
const seed = Number(flag('--seed', '15'));
const hangMs = Number(flag('--hang-ms', '5000'));
const only = flag('--only', '');
const reports: TargetReport[] = [];
for (const t of TARGETS) {
  if (only !== '' && !t.name.toLowerCase().includes(only.toLowerCase())) continue;
  const t0 = Date.now();
  const r = fuzzTarget(t, { cases, seed, hangMs });
  reports.push(r);
  process.stderr.write(`${t.name}: ${r.cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
console.log(formatReport(reports));
const findings = reports.flatMap((r) => r.findings);
for (const f of findings.slice(0, 50)) console.log(`${f.kind} ${f.target} (case seed ${f.caseSeed}): ${f.message}`);
if (findings.length > 50) console.log(`... and ${findings.length - 50} more`);
process.exit(findings.length > 0 ? 1 : 0);
