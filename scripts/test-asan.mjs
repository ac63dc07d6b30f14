// Runs the native boundary's fuzz test (and the native conformance suites with --all) against
// the AddressSanitizer build: `npm run test:asan [-- --all]`. Builds build-asan/ first when it
// is missing or older than a C source. Node itself is not instrumented, so libasan is
// preloaded (it must come first in the process to intercept malloc); V8's own allocator
// trips the leak checker, so leak detection is off. Arrays are allocated without guard bytes
// (LLMTS_FUZZ_EXACT=1) so the sanitizer's redzone is what follows each one: an out-of-bounds
// read or write aborts the process with a report, and this script exits non-zero.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build-asan', 'llmts_native.node');
const newest = Math.max(
  ...readdirSync(join(root, 'native', 'src')).map((f) => statSync(join(root, 'native', 'src', f)).mtimeMs),
);
if (!existsSync(addon) || statSync(addon).mtimeMs < newest) {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs'), '--asan'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const lib = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!lib || !existsSync(lib)) {
  console.error('test:asan: libasan.so not found (gcc -print-file-name=libasan.so)');
  process.exit(1);
}
const files = ['test/backends/fuzz-addon.test.ts'];
if (process.argv.includes('--all'))
  files.push(
    ...readdirSync(join(root, 'test', 'backends'))
      .filter((f) => f.startsWith('conformance-') && f.endsWith('.test.ts'))
      .map((f) => `test/backends/${f}`),
  );
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    LD_PRELOAD: lib,
    ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1',
    LLMTS_NATIVE_ADDON: addon,
    LLMTS_FUZZ_EXACT: '1',
  },
});
if (r.signal)
  console.error(`test:asan: the test process died with ${r.signal} (see the AddressSanitizer report above)`);
process.exit(r.status ?? 1);
