/**
 * The API reference (`npm run docs`: TypeDoc over the entry points of the exports map, into
 * docs/api/) documents every exported name. TypeDoc's notDocumented validation lists the names
 * without a doc comment; test/package/undocumented.txt holds the ones not documented yet. The
 * test fails when a name is missing a comment and not on that list (a new export must come
 * documented), and when a listed name has been documented (strike it from the list): the list
 * only shrinks, to empty.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const LIST = join(import.meta.dirname, 'undocumented.txt');

/** "src/file.ts Symbol.member" for each warning TypeDoc gives about a missing comment. */
export function undocumentedNames(): string[] {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--emit', 'none', '--skipErrorChecking'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
  );
  const text = (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '');
  assert.equal(r.status, 0, `typedoc failed:\n${text.slice(-2000)}`);
  const names = new Set<string>();
  for (const m of text.matchAll(
    /^\[warning\] [a-z]+\.(\S+) \([A-Za-z]+\), defined in llmts\/(\S+), does not have any documentation$/gm,
  ))
    names.add(`${m[2]} ${m[1]}`);
  // any other warning (a broken {@link}, an unresolvable entry point) is a failure of its own
  const other = text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('[warning]') &&
        !l.includes('does not have any documentation') &&
        !/^\[warning\] Found \d+ errors/.test(l),
    );
  assert.deepEqual(other, [], 'TypeDoc warnings other than missing comments');
  return [...names].sort();
}

describe('the API reference', () => {
  it('documents every exported name (the not-yet-documented list only shrinks)', () => {
    const listed = new Set(
      readFileSync(LIST, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#')),
    );
    const missing = undocumentedNames();
    const fresh = missing.filter((n) => !listed.has(n));
    assert.deepEqual(fresh, [], 'exported names without a doc comment (add one: /** ... */)');
    const missingSet = new Set(missing);
    const done = [...listed].filter((n) => !missingSet.has(n));
    assert.deepEqual(done, [], `documented now: remove these lines from ${LIST}`);
  });
});
