// Builds the WebAssembly backend (wasm/llmts.wasm) from the same kernel sources as the native
// addon (native/src/*.c through the WebAssembly path of native/src/simd.h) plus the wasm runtime
// (native/src/wasm: a small libc and heap, the worker-thread pool, the entry points), with
// Debian's clang and lld. See docs/wasm-backend.md.
//
//   node scripts/build-wasm.mjs [--out FILE] [--if-available] [--force] [-DNAME=VALUE ...]
//
// A stamp of the inputs (sources, headers, flags, the compiler's version) is kept beside the
// output (FILE.stamp); when it matches, nothing is done.
//
// Reproducible: fixed flags, fixed input order, no debug info or paths in the output; building
// twice gives the same bytes (test/backends/wasm-build.test.ts rebuilds and compares).
// --if-available (used by `npm install`): when clang or wasm-ld is missing, say so in one line
// and exit 0; llmts then has no wasm backend (the native and reference backends are unaffected).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const ifAvailable = argv.includes('--if-available');
const outArg = argv.indexOf('--out');
const out = outArg >= 0 ? argv[outArg + 1] : join(root, 'wasm', 'llmts.wasm');
const defines = argv.filter((a) => a.startsWith('-D'));

/** The kernel sources shared with the native addon (binding.gyp's kernel_sources), then the wasm runtime. */
const KERNEL_SOURCES = [
  'gemm.c',
  'elementwise.c',
  'reduce.c',
  'softmax.c',
  'norm.c',
  'loss.c',
  'misc.c',
  'attention.c',
  'paged_attention.c',
  'quant.c',
  'stream.c',
  'table.c',
  'par.c',
].map((f) => join('native/src', f));
const RUNTIME_SOURCES = ['libc.c', 'pool.c', 'entry.c', 'stack.S'].map((f) => join('native/src/wasm', f));

// -msimd128: WebAssembly SIMD; -matomics -mbulk-memory: shared memory for worker threads and
// memory.copy/fill; -mnontrapping-fptoint: float->int conversions saturate instead of trapping
// (as the x86 paths never trap). The float flags are binding.gyp's: no -ffast-math, no implicit
// contraction (and WebAssembly has no fused multiply-add to contract into anyway).
const CFLAGS = [
  '--target=wasm32',
  '-std=gnu11',
  '-O3',
  '-msimd128',
  '-matomics',
  '-mbulk-memory',
  '-mnontrapping-fptoint',
  '-msign-ext',
  '-mmutable-globals',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-fno-strict-aliasing',
  '-ffp-contract=off',
  '-DLLMTS_ISA_WASM',
  '-isystem',
  'native/src/wasm/include',
  '-Wall',
  '-Wno-unused-function',
];

// The memory is created by JavaScript (shared, so worker threads can run on it and views survive
// growth) and imported; the stack of the main thread (1 MiB) sits below the data, so an overflow
// traps instead of writing into the heap.
const LDFLAGS = [
  '--no-entry',
  '--import-memory',
  '--shared-memory',
  '--max-memory=4294967296',
  '--initial-memory=2097152',
  '-z',
  'stack-size=1048576',
  '--stack-first',
  '--export=llmts_set_stack',
];

function tool(names) {
  for (const n of names) {
    const r = spawnSync(n, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return n;
  }
  return undefined;
}

const clang = tool(['clang', 'clang-16', 'clang-15', 'clang-14']);
const wasmLd = tool(['wasm-ld', 'wasm-ld-16', 'wasm-ld-15', 'wasm-ld-14']);
if (clang === undefined || wasmLd === undefined) {
  const missing = [clang === undefined ? 'clang' : null, wasmLd === undefined ? 'wasm-ld (lld)' : null]
    .filter(Boolean)
    .join(' and ');
  const msg = `llmts: ${missing} not found (apt-get install -y clang lld); not building the wasm backend`;
  if (ifAvailable) {
    console.log(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    const msg = `llmts: the wasm build failed (${cmd} ${args.slice(-3).join(' ')})`;
    if (ifAvailable) {
      console.log(msg);
      process.exit(0);
    }
    console.error(msg);
    process.exit(1);
  }
}

function inputsStamp() {
  const hash = createHash('sha256');
  hash.update(spawnSync(clang, ['--version'], { encoding: 'utf8' }).stdout);
  hash.update(spawnSync(wasmLd, ['--version'], { encoding: 'utf8' }).stdout);
  hash.update(JSON.stringify([CFLAGS, LDFLAGS, defines]));
  const headers = ['native/src', 'native/src/wasm', 'native/src/wasm/include'].flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith('.h'))
      .sort()
      .map((f) => join(d, f)),
  );
  for (const f of [...KERNEL_SOURCES, ...RUNTIME_SOURCES, ...headers, 'scripts/build-wasm.mjs'])
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(join(root, f)))
      .update('\0');
  return hash.digest('hex');
}

const stampFile = `${out}.stamp`;
const stamp = inputsStamp();
if (!argv.includes('--force') && existsSync(out) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp)
  process.exit(0);

console.log(`llmts: building the wasm backend (${relative(root, out)})`);
const work = mkdtempSync(join(tmpdir(), 'llmts-wasm-'));
try {
  const objects = [];
  for (const src of [...KERNEL_SOURCES, ...RUNTIME_SOURCES]) {
    const obj = join(work, relative('native/src', src).replace(/[/.]/g, '_') + '.o');
    run(clang, [...CFLAGS, ...defines, '-c', src, '-o', obj]);
    objects.push(obj);
  }
  mkdirSync(dirname(out), { recursive: true });
  const tmpOut = join(work, 'llmts.wasm');
  run(wasmLd, [...LDFLAGS, '-o', tmpOut, ...objects]);
  // copy, then rename in the output's folder: a process loading the module never sees half a file
  const staged = `${out}.tmp-${process.pid}`;
  copyFileSync(tmpOut, staged);
  renameSync(staged, out);
  writeFileSync(stampFile, stamp);
} finally {
  rmSync(work, { recursive: true, force: true });
}
