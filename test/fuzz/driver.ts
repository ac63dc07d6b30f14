/**
 * Runs fuzz cases and classifies each outcome: ok (the file still loaded and worked), typed
 * (an LlmtsError: the clear one-line error users get), untyped (any other exception: a stack
 * trace for the user, a bug), oom (an allocation failure: a size taken from the file) and hang
 * (a case slower than `hangMs`; in-process a true hang would stop the run, which the test's
 * timeout then reports). Deterministic: case i of a target uses seed (seed * 1000003 + i).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmtsError } from '../../src/core/errors.ts';
import { Rng } from './mutate.ts';
import type { Target } from './targets.ts';

export interface Finding {
  target: string;
  caseSeed: number;
  kind: 'untyped' | 'oom' | 'hang';
  message: string;
}

export interface TargetReport {
  target: string;
  cases: number;
  ok: number;
  typed: number;
  untyped: number;
  oom: number;
  hang: number;
  slowestMs: number;
  findings: Finding[];
}

export function caseSeed(seed: number, i: number): number {
  return (Math.imul(seed, 1000003) + i) >>> 0;
}

function isOom(err: unknown): boolean {
  return (
    err instanceof RangeError &&
    /allocation failed|Invalid typed array length|Invalid array length|Array buffer allocation/i.test(err.message)
  );
}

/** Runs one case of `target` in `root` (a fresh case folder each time). */
export function runCase(
  target: Target,
  seedDir: string,
  root: string,
  cs: number,
): { outcome: 'ok' | 'typed' | 'untyped' | 'oom'; ms: number; message: string } {
  const dir = join(root, `case-${cs}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  target.mutate(seedDir, dir, new Rng(cs));
  const t0 = performance.now();
  let outcome: 'ok' | 'typed' | 'untyped' | 'oom' = 'ok';
  let message = '';
  try {
    target.run(dir);
  } catch (err) {
    message = err instanceof Error ? `${err.name}: ${err.message.split('\n')[0]!.slice(0, 200)}` : String(err);
    outcome = err instanceof LlmtsError ? 'typed' : isOom(err) ? 'oom' : 'untyped';
  }
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { outcome, ms, message };
}

export function fuzzTarget(target: Target, o: { cases: number; seed: number; hangMs: number }): TargetReport {
  const root = mkdtempSync(join(tmpdir(), 'llmts-fuzz-'));
  const seedDir = join(root, 'seed');
  try {
    target.setup(seedDir);
    // the unmutated seed must load and work, or every case would be an error for nothing
    try {
      target.run(seedDir);
    } catch (err) {
      throw new Error(`the seed of ${target.name} fails: ${(err as Error).message}`, { cause: err });
    }
    const r: TargetReport = {
      target: target.name,
      cases: 0,
      ok: 0,
      typed: 0,
      untyped: 0,
      oom: 0,
      hang: 0,
      slowestMs: 0,
      findings: [],
    };
    for (let i = 0; i < o.cases; i++) {
      const cs = caseSeed(o.seed, i);
      const { outcome, ms, message } = runCase(target, seedDir, root, cs);
      r.cases++;
      r[outcome]++;
      r.slowestMs = Math.max(r.slowestMs, ms);
      if (outcome === 'untyped' || outcome === 'oom')
        r.findings.push({ target: target.name, caseSeed: cs, kind: outcome, message });
      if (ms > o.hangMs) {
        r.hang++;
        r.findings.push({ target: target.name, caseSeed: cs, kind: 'hang', message: `${Math.round(ms)} ms` });
      }
    }
    return r;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function formatReport(reports: readonly TargetReport[]): string {
  const rows = [['format', 'cases', 'ok', 'typed errors', 'untyped', 'OOM', 'hangs', 'slowest ms']];
  for (const r of reports)
    rows.push([r.target, r.cases, r.ok, r.typed, r.untyped, r.oom, r.hang, Math.round(r.slowestMs)].map(String));
  const total = (k: 'cases' | 'ok' | 'typed' | 'untyped' | 'oom' | 'hang'): string =>
    String(reports.reduce((n, r) => n + r[k], 0));
  rows.push(['total', total('cases'), total('ok'), total('typed'), total('untyped'), total('oom'), total('hang'), '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `| ${r.map((x, c) => x.padEnd(widths[c]!)).join(' | ')} |`).join('\n');
}
