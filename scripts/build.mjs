// Compiles the TypeScript sources (src/, cli/) to ESM JavaScript, declarations and source maps
// in dist/ (tsconfig.build.json), and copies the data files the modules read beside them.
// Runs from `npm install` in a clone (the `prepare` script) and from `npm pack`.
//
// Idempotent: a stamp of the inputs (every source file, the tsconfigs, the TypeScript version)
// is kept in dist/.build-stamp; when it matches, nothing is done. The new build is written to
// a temporary folder and swapped in, so a process using dist/ never sees a half-written one.
//   node scripts/build.mjs [--force]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stampFile = join(dist, '.build-stamp');

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

const require = createRequire(import.meta.url);
let tscPath;
try {
  tscPath = require.resolve('typescript/bin/tsc');
} catch {
  if (existsSync(stampFile)) process.exit(0); // an installed package: dist/ is shipped, nothing to build
  console.error('llmts: TypeScript is not installed and dist/ is missing; run `npm install` in the clone');
  process.exit(1);
}
const tsVersion = JSON.parse(readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;

const inputs = [...walk(join(root, 'src')), ...walk(join(root, 'cli'))].concat(
  ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'].map((f) => join(root, f)),
);
const hash = createHash('sha256').update(`typescript ${tsVersion}\n`);
for (const f of inputs) hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
const stamp = hash.digest('hex');

if (!process.argv.includes('--force') && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
  process.exit(0);

console.log('llmts: compiling the TypeScript sources to dist/');
const tmp = join(root, `.dist-tmp-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tscPath, '-p', join(root, 'tsconfig.build.json'), '--outDir', tmp], {
  cwd: root,
  stdio: 'inherit',
});
if (r.status !== 0) {
  rmSync(tmp, { recursive: true, force: true });
  console.error('llmts: the TypeScript build failed');
  process.exit(1);
}
// data files that modules read relative to themselves (charsmaps, lab corpora, ...)
for (const f of walk(join(root, 'src'))) {
  if (/\.(ts|mts|mjs)$/.test(f) || f.endsWith('.md')) continue;
  const to = join(tmp, relative(root, f));
  mkdirSync(dirname(to), { recursive: true });
  cpSync(f, to);
}
writeFileSync(join(tmp, '.build-stamp'), stamp);
const old = join(root, `.dist-old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(tmp, dist);
rmSync(old, { recursive: true, force: true });
