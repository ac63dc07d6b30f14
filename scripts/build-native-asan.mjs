// The AddressSanitizer build of the native addon: `npm run build:native -- --asan` (or
// `node scripts/build-native-asan.mjs`). Compiles binding.gyp's sources (read from it, so the
// lists never drift) with gcc -fsanitize=address -O1 -g into build-asan/llmts_native.node,
// never touching build/. `npm run test:asan` loads it (LLMTS_NATIVE_ADDON) under LD_PRELOAD
// of libasan and runs the boundary fuzz test against it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.exit(buildAsan());

/** binding.gyp is a Python literal that is also a JavaScript object literal once its comments go. */
function readGyp() {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^\s*#.*$/, '').replace(/\s+#[^'"]*$/, ''))
    .join('\n');
  return new Function(`return (${text});`)();
}

/** The addon compiled and linked by gcc with -fsanitize=address into build-asan/llmts_native.node. */
function buildAsan() {
  const gypSpec = readGyp();
  const vars = gypSpec.variables;
  // the x86-64 kernel libraries sit in binding.gyp's per-architecture conditions
  const x64 = (gypSpec.conditions ?? []).filter(([cond]) => cond === 'target_arch=="x64"').map(([, v]) => v);
  const all = [...gypSpec.targets, ...x64.flatMap((c) => c.targets ?? [])];
  const targets = Object.fromEntries(all.map((t) => [t.target_name, t]));
  const nodeDir = process.env.npm_config_nodedir || '/usr';
  const include = [join(nodeDir, 'include', 'node'), join(nodeDir, 'include')].find((d) =>
    existsSync(join(d, 'node_api.h')),
  );
  if (include === undefined) {
    console.error(`llmts: node_api.h not found under ${nodeDir}/include (set npm_config_nodedir)`);
    return 1;
  }
  const out = join(root, 'build-asan');
  const objDir = join(out, 'obj');
  mkdirSync(objDir, { recursive: true });
  const base = [
    ...vars.kernel_cflags.filter((f) => f !== '-O3'),
    '-O1',
    '-g',
    '-fsanitize=address',
    '-fno-omit-frame-pointer',
    `-I${include}`,
    '-DNAPI_DISABLE_CPP_EXCEPTIONS',
    '-DNODE_GYP_MODULE_NAME=llmts_native',
  ];
  const objects = [];
  const compile = (src, flags, tag) => {
    const obj = join(objDir, `${src.replace(/[/.]/g, '_')}.${tag}.o`);
    const r = spawnSync('gcc', [...base, ...flags, '-c', join(root, src), '-o', obj], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`gcc failed on ${src} (${tag})`);
    objects.push(obj);
  };
  try {
    for (const isa of ['scalar', 'avx2', 'avx512']) {
      const t = targets[`llmts_kernels_${isa}`];
      const flags = [...(t.cflags ?? []), ...t.defines.map((d) => `-D${d}`)];
      for (const src of vars.kernel_sources) compile(src, flags, isa);
    }
    for (const src of targets.llmts_native.sources) compile(src, [], 'addon');
  } catch (err) {
    console.error(`llmts: ASan build failed: ${err.message}`);
    return 1;
  }
  const lib = join(out, 'llmts_native.node');
  const tmp = `${lib}.tmp`;
  const r = spawnSync('gcc', ['-shared', '-fsanitize=address', '-o', tmp, ...objects, '-lm', '-lpthread'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('llmts: ASan link failed');
    return 1;
  }
  renameSync(tmp, lib);
  console.log(`llmts: AddressSanitizer build at ${lib} (run with npm run test:asan)`);
  return 0;
}
