#!/usr/bin/env node
// The llmts command: runs the compiled CLI (dist/cli/main.js, which `npm install` builds in a
// clone and `npm pack` ships). LLMTS_FROM_SOURCE=1 runs the TypeScript sources through tsx
// instead (development: no rebuild after an edit).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.LLMTS_FROM_SOURCE === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  console.error('llmts: dist/ is missing; run `npm run build` (or set LLMTS_FROM_SOURCE=1 to run the sources)');
  process.exit(1);
}
