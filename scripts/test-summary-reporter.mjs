// A node:test reporter that writes one JSON summary of the run (counts, and every skip with
// its reason and file) for scripts/run-tests.mjs to print at the end of `npm test`.
export default async function* summaryReporter(source) {
  const s = { tests: 0, passed: 0, failed: 0, skipped: 0, todo: 0, suitesSkipped: 0, skips: [], failures: [] };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    const suite = d.details?.type === 'suite';
    const where = d.file ? d.file.replace(process.cwd() + '/', '') : '?';
    if (d.skip !== undefined && d.skip !== false) {
      const reason = typeof d.skip === 'string' && d.skip !== '' ? d.skip : '(no reason given)';
      s.skips.push({ reason, file: where, name: d.name, suite });
      if (suite) s.suitesSkipped++;
      else s.skipped++;
      continue;
    }
    if (suite) {
      // a suite fails when a hook or its own body throws, besides failed children
      if (event.type === 'test:fail' && d.details?.error?.failureType !== 'subtestsFailed')
        s.failures.push({ file: where, name: d.name });
      continue;
    }
    s.tests++;
    if (d.todo !== undefined && d.todo !== false) s.todo++;
    if (event.type === 'test:pass') s.passed++;
    else {
      s.failed++;
      s.failures.push({ file: where, name: d.name });
    }
  }
  yield JSON.stringify(s) + '\n';
}
