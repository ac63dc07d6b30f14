/**
 * scripts/build-native.mjs is idempotent: it builds only when its inputs changed, prints one
 * line when it does, and never removes a working addon. node-gyp is replaced by a stand-in
 * (through npm_config_node_gyp, the variable npm passes to install scripts) that records each
 * call, checks that the package's addon is still in place while it "builds", and writes an
 * addon holding the staged sources' text, so the test runs in a second, not a compile.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..', '..');

const FAKE_GYP = `
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.FAKE_ROOT;
const addon = path.join(root, 'build', 'Release', 'llmts_native.node');
fs.appendFileSync(path.join(root, 'gyp-calls.log'), JSON.stringify({
  args: process.argv.slice(2), cwd: process.cwd(), addonPresent: fs.existsSync(addon),
}) + '\\n');
if (process.env.FAKE_FAIL === '1') { console.error('cc: error: pretend compile failure'); process.exit(1); }
fs.mkdirSync('build/Release', { recursive: true });
fs.writeFileSync('build/Release/llmts_native.node', fs.readFileSync('native/src/kernel.c', 'utf8'));
`;

interface Run {
  stdout: string;
  calls: { args: string[]; cwd: string; addonPresent: boolean }[];
}

describe('scripts/build-native.mjs', () => {
  let root: string;
  const addon = (): string => join(root, 'build', 'Release', 'llmts_native.node');

  function run(env: Record<string, string> = {}, status = 0): Run {
    // a user's install (CI sets LLMTS_REQUIRE_NATIVE=1 for the suite itself)
    const base: NodeJS.ProcessEnv = { ...process.env, LLMTS_REQUIRE_NATIVE: '' };
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...base, npm_config_node_gyp: join(root, 'fake-gyp.cjs'), FAKE_ROOT: root, CC: 'cc', ...env },
    });
    assert.equal(r.status, status, r.stderr);
    const log = join(root, 'gyp-calls.log');
    const calls = existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Run['calls'][number])
      : [];
    return { stdout: r.stdout, calls };
  }

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'llmts-native-stamp-'));
    mkdirSync(join(root, 'scripts'));
    cpSync(join(repo, 'scripts', 'build-native.mjs'), join(root, 'scripts', 'build-native.mjs'));
    cpSync(join(repo, 'binding.gyp'), join(root, 'binding.gyp'));
    mkdirSync(join(root, 'native', 'src'), { recursive: true });
    writeFileSync(join(root, 'native', 'src', 'kernel.c'), 'int v1;\n');
    writeFileSync(join(root, 'fake-gyp.cjs'), FAKE_GYP);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds once, printing one line, in a staging folder it removes', () => {
    const r = run();
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
    assert.match(r.stdout, /^llmts: building the native kernels .*first build/);
    assert.equal(r.calls.length, 1);
    assert.deepEqual(r.calls[0]!.args, ['rebuild']);
    assert.match(r.calls[0]!.cwd, /\.native-build-\d+$/);
    assert.equal(readFileSync(addon(), 'utf8'), 'int v1;\n');
    assert.deepEqual(
      readdirSync(root).filter((n) => n.startsWith('.native-build-')),
      [],
    );
  });

  it('a second run with the same inputs does nothing and prints nothing', () => {
    const ino = statSync(addon()).ino;
    const r = run();
    assert.equal(r.stdout, '');
    assert.equal(r.calls.length, 1);
    assert.equal(statSync(addon()).ino, ino);
  });

  it('a changed source rebuilds, while the old addon stays in place until the new one replaces it', () => {
    writeFileSync(join(root, 'native', 'src', 'kernel.c'), 'int v2;\n');
    const r = run();
    assert.match(r.stdout, /^llmts: building the native kernels .*sources or toolchain changed/);
    assert.equal(r.calls.length, 2);
    assert.equal(r.calls[1]!.addonPresent, true);
    assert.equal(readFileSync(addon(), 'utf8'), 'int v2;\n');
    assert.equal(run().calls.length, 2);
  });

  it('a different compiler (CC) rebuilds', () => {
    const r = run({ CC: 'gcc' });
    assert.equal(r.calls.length, 3);
    assert.equal(run({ CC: 'gcc' }).calls.length, 3);
  });

  it('a failed build keeps the working addon, says so, and is retried next time', () => {
    writeFileSync(join(root, 'native', 'src', 'kernel.c'), 'int v3 = ;\n');
    const r = run({ CC: 'gcc', FAKE_FAIL: '1' });
    assert.match(r.stdout, /pretend compile failure/);
    assert.match(r.stdout, /native backend build failed .*the previous build is kept/);
    assert.equal(readFileSync(addon(), 'utf8'), 'int v2;\n');
    assert.equal(run({ CC: 'gcc', FAKE_FAIL: '1' }).calls.length, 5);
    // where the addon is required (CI), the same failure fails the install
    const required = run({ CC: 'gcc', FAKE_FAIL: '1', LLMTS_REQUIRE_NATIVE: '1' }, 1);
    assert.match(required.stdout, /LLMTS_REQUIRE_NATIVE=1: failing/);
    const ok = run({ CC: 'gcc' });
    assert.equal(ok.calls.length, 7);
    assert.equal(readFileSync(addon(), 'utf8'), 'int v3 = ;\n');
  });

  it('--force rebuilds', () => {
    const before = run({ CC: 'gcc' }).calls.length;
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--force'], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        LLMTS_REQUIRE_NATIVE: '',
        npm_config_node_gyp: join(root, 'fake-gyp.cjs'),
        FAKE_ROOT: root,
        CC: 'gcc',
      },
    });
    assert.equal(r.status, 0);
    assert.equal(readFileSync(join(root, 'gyp-calls.log'), 'utf8').trim().split('\n').length, before + 1);
  });
});
