// Builds the native backend (native/ + binding.gyp) with node-gyp during `npm install`.
// A failed build never fails the install: llmts then runs on the reference backend
// and says so once at startup (see src/backends/select.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);
if (process.env.LLMTS_SKIP_NATIVE_BUILD === '1') {
  console.log('llmts: LLMTS_SKIP_NATIVE_BUILD=1, not building the native backend');
  process.exit(0);
}
// npm passes the path of its bundled node-gyp to lifecycle scripts.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp && existsSync(gyp) ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (result.status !== 0) {
  console.log('llmts: native backend build failed; llmts will use the reference (TypeScript) backend');
}
process.exit(0);
