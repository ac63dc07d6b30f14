// Builds the native backend (native/ + binding.gyp) with node-gyp during `npm install`.
// A failed build never fails the install: llmts then runs on the reference backend
// and says so once at startup (see src/backends/select.ts).
//
// Idempotent: a stamp of the inputs (every file under native/, binding.gyp, this script, the
// C compiler's identity and the CC/CFLAGS environment, Node's version, ABI, platform and
// architecture) is kept in build/.native-stamp; when it matches and the addon exists, nothing
// is done and nothing is printed. So `npx llmts` inside the clone (npm links the project into
// its npx cache and runs its install script there) and a second `npm install` are no-ops.
//
// A build never removes a working addon while something may be using it: node-gyp runs in a
// staging copy (.native-build-<pid>/), and only the finished llmts_native.node is renamed over
// build/Release/llmts_native.node (an atomic replace: a process that loaded the old one keeps
// it, one that loads now gets a whole file). node-gyp's output goes to build/native-build.log;
// one line is printed when a build starts, and the log's tail when it fails.
//
// Where LLMTS_REQUIRE_NATIVE=1 (CI) a failed or skipped build exits 1 instead of 0, so CI
// cannot go green on the reference backend alone.
//
//   node scripts/build-native.mjs [--force]
//   node scripts/build-native.mjs --asan      the AddressSanitizer build (build-native-asan.mjs)
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
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.LLMTS_REQUIRE_NATIVE === '1';
if (!existsSync(join(root, 'binding.gyp'))) process.exit(0);
if (process.argv.includes('--asan')) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native-asan.mjs')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (process.env.LLMTS_SKIP_NATIVE_BUILD === '1') {
  console.log('llmts: LLMTS_SKIP_NATIVE_BUILD=1, not building the native backend');
  process.exit(required ? 1 : 0);
}

const buildDir = join(root, 'build');
const addon = join(buildDir, 'Release', 'llmts_native.node');
const stampFile = join(buildDir, '.native-stamp');
const logFile = join(buildDir, 'native-build.log');

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** The first line of `CC --version` (the compiler make will call), or why there is none. */
function compilerIdentity() {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? `${cc}: ${r.stdout.split('\n')[0]}` : `${cc}: unavailable`;
}

/** The stamp of the inputs under `base` (the package root, or the staging copy being built). */
function inputStamp(base) {
  const hash = createHash('sha256');
  const env = ['CC', 'CXX', 'CFLAGS', 'CXXFLAGS', 'LDFLAGS', 'npm_config_nodedir', 'npm_config_arch'];
  hash.update(
    [
      `node ${process.version} abi ${process.versions.modules} napi ${process.versions.napi}`,
      `${process.platform} ${process.arch}`,
      compilerIdentity(),
      ...env.map((k) => `${k}=${process.env[k] ?? ''}`),
    ].join('\n'),
  );
  hash.update('\0').update(readFileSync(fileURLToPath(import.meta.url)));
  for (const f of [join(base, 'binding.gyp'), ...walk(join(base, 'native'))])
    hash.update('\0').update(relative(base, f)).update('\0').update(readFileSync(f));
  return hash.digest('hex');
}

const force = process.argv.includes('--force');
if (!force && existsSync(addon) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === inputStamp(root))
  process.exit(0);

console.log(
  `llmts: building the native kernels with node-gyp (${existsSync(addon) ? 'sources or toolchain changed' : 'first build'}; about a minute; log: ${relative(process.cwd(), logFile) || logFile})`,
);

// node-gyp always builds into ./build of its working directory (and `rebuild` deletes it
// first), so it works on a copy of the inputs
const staging = join(root, `.native-build-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging);
cpSync(join(root, 'binding.gyp'), join(staging, 'binding.gyp'));
cpSync(join(root, 'native'), join(staging, 'native'), { recursive: true });
const stamp = inputStamp(staging); // of what is built, should a source change meanwhile

// npm passes the path of its bundled node-gyp to lifecycle scripts; run by hand, the one
// bundled with the npm beside this node is used, else node-gyp from PATH
const gyp = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((p) => p && existsSync(p));
const [cmd, args] = gyp && existsSync(gyp) ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(cmd, args, { cwd: staging, encoding: 'utf8', maxBuffer: 64 << 20 });
const built = join(staging, 'build', 'Release', 'llmts_native.node');
mkdirSync(join(buildDir, 'Release'), { recursive: true });
writeFileSync(logFile, `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`);

if (result.status !== 0 || !existsSync(built)) {
  rmSync(staging, { recursive: true, force: true });
  const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  if (tail) console.log(tail);
  console.log(
    existsSync(addon)
      ? `llmts: native backend build failed (${logFile}); the previous build is kept`
      : `llmts: native backend build failed (${logFile}); llmts will use the reference (TypeScript) backend`,
  );
  if (required) console.log('llmts: LLMTS_REQUIRE_NATIVE=1: failing');
  process.exit(required ? 1 : 0);
}
// same filesystem: rename is atomic, and replaces the old file without deleting it under a user
renameSync(built, addon);
writeFileSync(`${stampFile}.next-${process.pid}`, stamp);
renameSync(`${stampFile}.next-${process.pid}`, stampFile);
rmSync(staging, { recursive: true, force: true });
process.exit(0);
