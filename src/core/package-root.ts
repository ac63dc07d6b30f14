/**
 * The folder of llmts's own package.json, found by walking up from a module's URL: the same
 * answer from the TypeScript sources (src/...) and from the compiled build (dist/src/...).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'llmts') return (cached = dir);
      } catch {
        // a broken package.json is not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`llmts: no package.json named llmts above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}
