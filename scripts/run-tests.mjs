// Runs every test/**/*.test.ts with Node's built-in test runner (through tsx), then prints
// what ran: tests run, passed, failed, skipped, and every skip grouped by its reason, so a
// green run that skipped something says so. Extra arguments filter the files by substring:
//   npm test -- tokenizers engine/ops
// The summary line names the backend new tensors use (LLMTS_BACKEND, else native when built).
// LLMTS_REQUIRE_NATIVE=1 / LLMTS_REQUIRE_SYSTEM=1 (set by .ci/run) turn the native addon's
// and Debian programs' skips into failures (test/helpers/requirements.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'fixtures') out.push(...findTests(full));
    } else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = findTests(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const tmp = mkdtempSync(join(tmpdir(), 'llmts-test-summary-'));
const summaryFile = join(tmp, 'summary.json');
const t0 = Date.now();
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=tap',
    '--test-reporter-destination=stdout',
    `--test-reporter=${join(root, 'scripts', 'test-summary-reporter.mjs')}`,
    `--test-reporter-destination=${summaryFile}`,
    ...passthrough,
    ...files,
  ],
  // progress lines (src/core/progress.ts) would interleave with the test report
  { cwd: root, stdio: 'inherit', env: { LLMTS_NO_PROGRESS: '1', ...process.env } },
);
printSummary();
rmSync(tmp, { recursive: true, force: true });
process.exit(result.status ?? 1);

function printSummary() {
  if (!existsSync(summaryFile)) return;
  let s;
  try {
    s = JSON.parse(readFileSync(summaryFile, 'utf8').trim().split('\n').pop());
  } catch {
    return;
  }
  const backend = process.env.LLMTS_BACKEND || 'default (native when built)';
  const flags = ['LLMTS_REQUIRE_NATIVE', 'LLMTS_REQUIRE_SYSTEM'].filter((k) => process.env[k] === '1');
  const lines = [
    '',
    `npm test: ${files.length} files, ${s.tests} tests ran: ${s.passed} passed, ${s.failed} failed; ` +
      `${s.skipped} tests and ${s.suitesSkipped} suites skipped; backend ${backend}` +
      `${flags.length ? `; ${flags.join(', ')}` : ''}; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  ];
  if (s.skips.length > 0) {
    const groups = new Map();
    for (const k of s.skips) {
      const g = groups.get(k.reason) ?? { tests: 0, suites: 0, files: new Set() };
      if (k.suite) g.suites++;
      else g.tests++;
      g.files.add(k.file);
      groups.set(k.reason, g);
    }
    lines.push('skipped, by reason:');
    for (const [reason, g] of [...groups].sort((a, b) => b[1].tests + b[1].suites - (a[1].tests + a[1].suites))) {
      const what = [
        g.tests ? `${g.tests} test${g.tests > 1 ? 's' : ''}` : '',
        g.suites ? `${g.suites} suite${g.suites > 1 ? 's' : ''}` : '',
      ]
        .filter(Boolean)
        .join(' + ');
      lines.push(`  ${what}: ${reason} (${[...g.files].join(', ')})`);
    }
  }
  if (s.failures.length > 0) {
    lines.push('failed:');
    for (const f of s.failures.slice(0, 30)) lines.push(`  ${f.file}: ${f.name}`);
  }
  console.log(lines.join('\n'));
}
