/**
 * The lab's statistics over seeds (src/lab/stats.ts) against values computed by hand and
 * Student's t quantiles from tables (scipy.stats.t.ppf(0.975, df): 12.7062, 4.3027, 2.7764, 2.0423).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greaterVerdict, interval, noBetterVerdict, summarize, tCritical } from '../../src/lab/stats.ts';
import { overallVerdict } from '../../src/lab/verdict.ts';
import type { Finding } from '../../src/lab/types.ts';

const close = (a: number, b: number, tol = 1e-3): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('t quantiles match the tables', () => {
  close(tCritical(1), 12.7062);
  close(tCritical(2), 4.3027);
  close(tCritical(4), 2.7764);
  close(tCritical(30), 2.0423);
  assert.equal(tCritical(0), Infinity);
});

test('mean, SE and the 95% interval of [1, 2, 3]: 2 ± 4.303 / √3', () => {
  const s = summarize([1, 2, 3]);
  assert.equal(s.mean, 2);
  close(s.sd, 1, 1e-12);
  close(s.se, 1 / Math.sqrt(3), 1e-12);
  const iv = interval([1, 2, 3]);
  close(iv.lo, 2 - 4.3027 / Math.sqrt(3));
  close(iv.hi, 2 + 4.3027 / Math.sqrt(3));
  assert.equal(summarize([5]).se, Infinity, 'one value resolves nothing');
});

test('verdicts: above, below, inside the noise, and a negligible difference', () => {
  assert.equal(greaterVerdict([1, 1.1, 0.9]), 'holds');
  assert.equal(greaterVerdict([-1, -1.1, -0.9]), 'does not hold');
  assert.equal(greaterVerdict([1, -1, 0.5]), 'not resolved at this size');
  // tiny, consistent difference: inside a margin of 0.1 it is no difference worth the name
  assert.equal(greaterVerdict([0.01, 0.02, 0.015], 0.1), 'does not hold');
  assert.equal(greaterVerdict([0.01, 0.02, 0.015]), 'holds');
  assert.equal(greaterVerdict([3]), 'not resolved at this size', 'one seed gives no interval');
  // "no gain larger than 0.1": loss differences candidate − baseline
  assert.equal(noBetterVerdict([0.02, -0.01, 0.0], 0.1), 'holds');
  assert.equal(noBetterVerdict([-0.5, -0.45, -0.55], 0.1), 'does not hold');
  assert.equal(noBetterVerdict([-0.5, 0.3, -0.1], 0.1), 'not resolved at this size');
});

test('the headline counts evidence only; sanity checks do not decide it', () => {
  const f = (verdict: Finding['verdict'], kind?: 'sanity'): Finding => ({
    statement: '',
    evidence: '',
    verdict,
    ...(kind ? { kind } : {}),
  });
  assert.equal(overallVerdict([f('holds', 'sanity'), f('does not hold')]), 'does not hold');
  assert.equal(overallVerdict([f('holds', 'sanity'), f('not resolved at this size')]), 'not resolved at this size');
  assert.equal(overallVerdict([f('holds'), f('not resolved at this size')]), 'holds with a caveat');
  assert.equal(
    overallVerdict([f('does not hold'), f('not resolved at this size')]),
    'does not hold',
    'unresolved findings neither support nor rescue a claim',
  );
  assert.equal(overallVerdict([f('holds', 'sanity')]), 'not resolved at this size', 'no evidence, no verdict');
});
