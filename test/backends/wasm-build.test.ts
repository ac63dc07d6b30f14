/**
 * The shipped wasm/llmts.wasm is what the sources build: scripts/build-wasm.mjs rebuilds it
 * into a temporary file (same pinned flags) and the bytes must be identical, so the module in
 * the package never drifts from native/src. Needs Debian's clang and lld (CI installs them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemProgram } from '../helpers/requirements.ts';

const root = join(import.meta.dirname, '..', '..');
const shipped = join(root, 'wasm', 'llmts.wasm');
const clang = systemProgram('clang');

describe('wasm build', { skip: clang.skip }, () => {
  it('rebuilding from the sources gives the shipped module byte for byte', () => {
    assert.ok(existsSync(shipped), `${shipped} is missing (npm run build:wasm)`);
    const dir = mkdtempSync(join(tmpdir(), 'llmts-wasm-build-'));
    try {
      const out = join(dir, 'llmts.wasm');
      const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-wasm.mjs'), '--out', out, '--force'], {
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const a = readFileSync(out),
        b = readFileSync(shipped);
      assert.equal(a.length, b.length, 'same size');
      assert.ok(a.equals(b), 'same bytes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
