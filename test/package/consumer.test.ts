/**
 * llmts as its users get it: `npm pack` the project, install the tarball into a fresh project
 * (offline: `npm ci --offline` from the npm cache this checkout's `npm ci` filled), and there
 *  (a) run examples/quickstart.mjs with plain `node` (imports llmts, llmts/tokenizers and
 *      llmts/models; trains a tiny BPE, a GPT forward pass, a greedy generation) - its output
 *      must equal the same example run against this checkout's dist/;
 *  (b) type-check examples/quickstart.ts with `tsc --noEmit` (module/moduleResolution nodenext,
 *      strict) against the declarations the package ships, then run it;
 *  (c) run `npx llmts --help` and `npx llmts --version`.
 * The tarball's file list is checked too: dist/ (JavaScript, declarations, source maps), the
 * native sources and build scripts, README; no tests, benchmarks, fixtures or TypeScript sources.
 *
 * The native addon: the package's install script builds it with node-gyp (minutes on two
 * cores), from the same sources and script that `npm ci` in this checkout already built. So
 * the consumer installs with LLMTS_SKIP_NATIVE_BUILD=1, gets this checkout's built addon and
 * its input stamp copied in, and npm runs the installed package's install script again: it must find
 * the stamp of the shipped sources equal to this checkout's (every native input is in the
 * tarball) and build nothing; then the examples run on the native backend. Without a built
 * addon here (no compiler) that step is skipped like any native-only test (LLMTS_REQUIRE_NATIVE=1
 * makes it fail) and the examples run on the reference backend.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { requireNative } from '../helpers/requirements.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: {
      ...process.env,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

interface PackResult {
  filename: string;
  integrity: string;
  files: { path: string }[];
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The consumer's lockfile: the tarball as `node_modules/llmts`, and every entry of this
 * checkout's lockfile that its dependencies (and typescript, @types/node) resolve to by Node's
 * rule (the nearest node_modules up the path), at the same place, without the dev flags.
 */
function consumerLock(deps: Record<string, string>, packed: PackResult): object {
  const root = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as LockEntry;
  const packages: Record<string, LockEntry> = {
    '': { name: 'consumer', dependencies: deps },
    'node_modules/llmts': {
      version: rootPkg.version,
      resolved: deps['llmts'],
      integrity: packed.integrity,
      hasInstallScript: true,
      license: pkg['license'],
      dependencies: pkg.dependencies ?? {},
      bin: pkg['bin'],
      engines: pkg['engines'],
    },
  };
  const parent = (at: string): string => at.slice(0, Math.max(0, at.lastIndexOf('/node_modules/')));
  const find = (from: string, name: string): string | undefined => {
    for (let at = from; ; at = parent(at)) {
      const key = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
      if (root.packages[key] !== undefined) return key;
      if (at === '') return undefined;
    }
  };
  const queue: [string, string][] = [
    ...Object.keys(pkg.dependencies ?? {}).map((n): [string, string] => ['node_modules/llmts', n]),
    ['', 'typescript'],
    ['', '@types/node'],
  ];
  for (let item = queue.pop(); item !== undefined; item = queue.pop()) {
    const [from, name] = item;
    const key = find(from, name);
    if (key === undefined || packages[key] !== undefined) continue; // an optional peer not installed
    const { dev: _d, devOptional, peer: _p, ...entry } = root.packages[key]!;
    packages[key] = devOptional === true ? { ...entry, optional: true } : entry;
    for (const n of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies }))
      queue.push([key, n]);
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

describe('the packed package, installed in a fresh project', () => {
  let work = '';
  let app = '';
  let files: string[] = [];
  let tarball = '';
  let native = false;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'llmts-consumer-'));
    // npm pack runs `prepare` (the idempotent build of dist/)
    const packed = JSON.parse(
      ok(run(NPM, ['pack', '--json', '--pack-destination', work], ROOT), 'npm pack'),
    ) as PackResult[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);

    app = join(work, 'app');
    mkdirSync(app);
    // Offline: the app gets a package-lock.json cut from this checkout's (the tarball plus the
    // entries its dependencies resolve to, and typescript/@types/node for the TypeScript
    // consumer), so `npm ci --offline` takes every tarball from the cache `npm ci` filled here.
    // (`npm install <tarball>` would need the registry's metadata documents, which it cannot get
    // offline.)
    const deps = {
      llmts: `file:../${packed[0]!.filename}`,
      typescript: versionOf('typescript'),
      '@types/node': versionOf('@types/node'),
    };
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: deps }),
    );
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(consumerLock(deps, packed[0]!), null, 2));
    ok(
      // the consumer's install skips the native build (the addon is copied in below); CI's
      // LLMTS_REQUIRE_NATIVE=1 is about this checkout's build and would turn that skip into exit 1
      run(NPM, ['ci', '--offline', '--no-audit', '--no-fund'], app, {
        LLMTS_SKIP_NATIVE_BUILD: '1',
        LLMTS_REQUIRE_NATIVE: '',
      }),
      'npm ci --offline of the tarball',
    );
    for (const f of ['quickstart.mjs', 'quickstart.ts']) copyFileSync(join(ROOT, 'examples', f), join(app, f));
  });

  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  it('ships dist/, the native sources and build scripts, and no tests, benchmarks or sources', () => {
    for (const f of [
      'package.json',
      'README.md',
      'bin/llmts.mjs',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/index.js.map',
      'dist/src/tokenizers/index.d.ts',
      'dist/cli/main.js',
      'binding.gyp',
      'scripts/build-native.mjs',
      'scripts/build.mjs',
    ])
      assert.ok(files.includes(f), `the tarball has ${f}`);
    // every source binding.gyp compiles
    const gyp = readFileSync(join(ROOT, 'binding.gyp'), 'utf8');
    for (const m of gyp.matchAll(/'(native\/src\/[^']+\.c)'/g))
      assert.ok(files.includes(m[1]!), `the tarball has ${m[1]}`);
    const stray = files.filter(
      (f) =>
        /^(test|bench|examples|src|cli|dev|build|node_modules|runs)\//.test(f) ||
        f.includes('fixtures') ||
        /\.test\.(ts|js)$/.test(f) ||
        f.startsWith('docs/api/') ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(stray, []);
  });

  it('passes publint and are-the-types-wrong (ESM-only: every entry resolves, with types, under node16 and bundlers)', () => {
    const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);
    const lint = ok(run(bin('publint'), [join(app, 'node_modules', 'llmts')], ROOT), 'publint');
    assert.match(lint, /All good!/);
    ok(run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT), 'attw');
  });

  it('installs with every native input: the build script finds them unchanged and builds nothing', (t) => {
    const addon = join(ROOT, 'build', 'Release', 'llmts_native.node');
    const stamp = join(ROOT, 'build', '.native-stamp');
    const skip = requireNative(existsSync(addon) && existsSync(stamp), "this checkout's native addon");
    if (skip !== false) {
      t.skip(skip);
      return;
    }
    const installed = join(app, 'node_modules', 'llmts');
    mkdirSync(join(installed, 'build', 'Release'), { recursive: true });
    copyFileSync(addon, join(installed, 'build', 'Release', 'llmts_native.node'));
    copyFileSync(stamp, join(installed, 'build', '.native-stamp'));
    // the package's install script, run by npm as at install time (npm passes its nodedir etc.)
    const r = ok(run(NPM, ['rebuild', 'llmts', '--foreground-scripts'], app), 'npm rebuild llmts');
    assert.doesNotMatch(r, /llmts: building the native kernels/, 'the shipped inputs hash to this stamp: no build');
    assert.doesNotMatch(r, /LLMTS_SKIP_NATIVE_BUILD/, 'the install script really ran its check');
    native = true;
  });

  it('runs the quickstart from plain node, as this checkout does', () => {
    const theirs = ok(run(process.execPath, ['quickstart.mjs'], app), 'node quickstart.mjs');
    assert.match(theirs, /^tokenizer: \d+ tokens; "the cat sat" -> \[\d+(, \d+)*\]$/m);
    assert.match(theirs, /^logits: \[1, \d+, \d+\], first: -?\d\.\d{6}$/m);
    assert.match(theirs, /^greedy: ".+"$/m);
    // the same example against this checkout's dist/ (the package refers to itself by name)
    const ours = ok(run(process.execPath, [join(ROOT, 'examples', 'quickstart.mjs')], ROOT), 'in the checkout');
    assert.equal(theirs, ours);
    const backend = ok(run(process.execPath, ['--input-type=module', '-e', BACKEND_PROBE], app), 'backend probe');
    assert.equal(backend.trim(), native ? 'native' : 'reference');
  });

  it('type-checks a TypeScript consumer (nodenext) against the shipped declarations, and runs it', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          types: ['node'],
          noEmit: true,
        },
        files: ['quickstart.ts'],
      }),
    );
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    // skipLibCheck off: the shipped .d.ts files themselves must check too
    ok(run(process.execPath, [tsc, '--noEmit', '-p', '.'], app), 'tsc --noEmit');
    // a wrong call must fail the check: the declarations are really consulted
    writeFileSync(join(app, 'wrong.ts'), "import { gptPreset } from 'llmts';\ngptPreset('gpt2', { nLayer: 'two' });\n");
    const wrong = run(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--types', 'node', 'wrong.ts'],
      app,
    );
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /^wrong\.ts\(2,\d+\): error TS2322/m);
    // and the TypeScript example runs (through tsx, as the TypeScript it is) like the JavaScript one
    const tsx = join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
    const out = ok(run(process.execPath, ['--import', pathToFileURL(tsx).href, 'quickstart.ts'], app), 'quickstart.ts');
    assert.equal(out, ok(run(process.execPath, ['quickstart.mjs'], app), 'node quickstart.mjs'));
  });

  it('runs the llmts command through npx', () => {
    const help = ok(run(NPM, ['exec', '--offline', '--', 'llmts', '--help'], app), 'npx llmts --help');
    assert.match(help, /^Usage: llmts /m);
    assert.match(help, /^\s+tokenize\b/m);
    const version = ok(run(NPM, ['exec', '--offline', '--', 'llmts', '--version'], app), 'npx llmts --version');
    assert.equal(version.trim(), rootPkg.version);
  });
});

const BACKEND_PROBE = "import { getDefaultBackend } from 'llmts'; console.log(getDefaultBackend().name);";
