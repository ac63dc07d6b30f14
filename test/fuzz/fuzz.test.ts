/**
 * A seeded slice of the fuzz suite (issue 15): every file format llmts reads, mutated and then
 * used as the command would use it. The long run is `npm run fuzz` (test/fuzz/run.ts, 2,000
 * cases per format by default). A case that throws anything but an LlmtsError, or fails an
 * allocation, is a finding: its case seed replays it (`npm run fuzz -- --seed ... --only ...`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTarget, formatReport } from './driver.ts';
import { TARGETS } from './targets.ts';

const CASES = Number(process.env['LLMTS_FUZZ_CASES'] ?? 25);

test(`fuzz: ${CASES} mutated files per format give typed errors or work`, { timeout: 600_000 }, () => {
  const reports = TARGETS.map((t) => fuzzTarget(t, { cases: CASES, seed: 15, hangMs: Infinity }));
  const findings = reports.flatMap((r) => r.findings);
  assert.deepEqual(
    findings.map((f) => `${f.kind} ${f.target} (case seed ${f.caseSeed}): ${f.message}`),
    [],
    formatReport(reports),
  );
  // the mutations reach the loaders' checks (not only a parse error on the first byte)
  for (const r of reports) assert.equal(r.cases, CASES);
  assert.ok(
    reports.some((r) => r.ok > 0),
    'some mutations leave a usable file',
  );
});
