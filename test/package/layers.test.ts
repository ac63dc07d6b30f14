/**
 * scripts/layers.mjs checks src/'s imports against the table of layers in docs/architecture.md.
 * The checkout must pass; a copy of the table over a few made-up files must catch an import
 * from a lower layer to a higher one (core -> engine, data -> train), one inside align/ from
 * shared/ up to an algorithm, and one of a folder the table does not list, and must let the
 * allowed ones through (engine -> core, transitively lab -> core through "everything below").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'layers.mjs');

function layers(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('the layers of docs/architecture.md', () => {
  it('hold for every import in src/', () => {
    const r = layers([]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^0 imports against the layers/m);
  });

  it('are checked: lower-to-higher imports are caught, allowed ones pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-layers-'));
    try {
      mkdirSync(join(dir, 'docs'));
      copyFileSync(join(ROOT, 'docs', 'architecture.md'), join(dir, 'docs', 'architecture.md'));
      const files: Record<string, string> = {
        'core/a.ts': "import { b } from '../engine/b.ts';\n",
        'engine/b.ts': "import type { A } from '../core/a.ts';\nexport const b = 1;\n",
        'data/c.ts': "export * from '../train/d.ts';\n",
        'train/d.ts': "const x = await import('../data/c.ts');\n",
        'align/shared/e.ts': "import { p } from '../ppo.ts';\n",
        'align/ppo.ts': "import { e } from './shared/e.ts';\n",
        'lab/f.ts': "import { a } from '../core/a.ts';\n",
        'attic/g.ts': "import { a } from '../core/a.ts';\n",
      };
      for (const [f, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, 'src', f)), { recursive: true });
        writeFileSync(join(dir, 'src', f), text);
      }
      const r = layers(['--root', dir]);
      assert.equal(r.status, 1, r.out);
      const found = r.out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('src/'));
      assert.deepEqual(found.sort(), [
        'src/align/shared/e.ts -> src/align/ppo.ts (down-to-up inside align/)',
        "src/attic/g.ts -> src/core/a.ts (src/attic is not in docs/architecture.md's table)",
        'src/core/a.ts -> src/engine/b.ts (core may not import engine)',
        'src/data/c.ts -> src/train/d.ts (data may not import train)',
      ]);
      assert.match(r.out, /^4 imports against the layers/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
