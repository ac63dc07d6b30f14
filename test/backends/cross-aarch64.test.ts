/**
 * The native kernels on AArch64, built and run here with Debian's cross-compiler and qemu-user:
 * every kernel source of binding.gyp is compiled for the NEON path and the scalar path (the
 * flags binding.gyp gives every kernel; no x86 -m flags), linked with the thread pool and
 * test/native/kernel-check.c into a static AArch64 program, and run under qemu-aarch64, where
 * it checks NEON against scalar and both against plain double loops (gemm, every unary op and
 * its gradient, binary ops with broadcasting, reductions with NaN, softmax, norms, cross
 * entropy, attention, AdamW). The whole addon (addon.c with Node's headers) is also compiled
 * and linked as an AArch64 shared object, as node-gyp would on an ARM machine.
 *
 * It takes about 30 s of CPU (two minutes on a loaded machine), so `npm test` runs it only when
 * LLMTS_CROSS_AARCH64=1 asks; .ci/run does (`LLMTS_CROSS_AARCH64=1 npm test -- cross-aarch64`).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemProgram } from '../helpers/requirements.ts';

const root = join(import.meta.dirname, '..', '..');
const asked = process.env['LLMTS_CROSS_AARCH64'] === '1';
const gcc = asked ? systemProgram('aarch64-linux-gnu-gcc') : { path: undefined, skip: false as const };
const qemu = asked ? systemProgram('qemu-aarch64') : { path: undefined, skip: false as const };
const skip = asked
  ? gcc.skip || qemu.skip
  : 'the AArch64 cross test runs where LLMTS_CROSS_AARCH64=1 (about 30 s of CPU; .ci/run sets it)';

/** binding.gyp's kernel sources and flags (it is a Python literal: a JS object once its comments go). */
function gypKernels(): { sources: string[]; cflags: string[] } {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/^\s*#.*$/, ''))
    .join('\n');
  const gyp = new Function(`return (${text});`)() as {
    variables: { kernel_sources: string[]; kernel_cflags: string[] };
  };
  return { sources: gyp.variables.kernel_sources, cflags: gyp.variables.kernel_cflags };
}

/** Node's headers (node_api.h), where node-gyp or a distribution puts them. */
function nodeHeaders(): string | undefined {
  const candidates = [
    process.env['npm_config_nodedir'] && join(process.env['npm_config_nodedir'], 'include', 'node'),
    join(homedir(), '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
  ];
  return candidates.find((d): d is string => typeof d === 'string' && existsSync(join(d, 'node_api.h')));
}

function cc(args: string[]): void {
  const r = spawnSync(gcc.path!, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `aarch64-linux-gnu-gcc ${args.join(' ')}\n${r.stderr}`);
}

describe('native kernels on AArch64 (cross-compiled, run under qemu-user)', { skip }, () => {
  let dir: string;
  const objects: string[] = [];
  const { sources, cflags } = gypKernels();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'llmts-aarch64-'));
    for (const isa of ['NEON', 'SCALAR'])
      for (const src of sources) {
        const obj = join(dir, `${src.replace(/\W/g, '_')}.${isa}.o`);
        cc([...cflags, `-DLLMTS_ISA_${isa}`, '-Wall', '-Werror', '-c', join(root, src), '-o', obj]);
        objects.push(obj);
      }
    for (const src of ['native/src/pool.c', 'native/src/par.c']) {
      const obj = join(dir, `${src.replace(/\W/g, '_')}.o`);
      cc([...cflags, '-c', join(root, src), '-o', obj]);
      objects.push(obj);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('NEON matches the scalar path and double-precision loops on every kernel', () => {
    const exe = join(dir, 'kernel-check');
    // the checker at -O1: GCC 12's AArch64 vectorizer crashes (internal compiler error) on its double loops at -O3
    cc([
      '-std=gnu11',
      '-O1',
      '-ffp-contract=off',
      '-static',
      '-DCHECK_TABLE=llmts_table_neon',
      join(root, 'test', 'native', 'kernel-check.c'),
      ...objects,
      '-lm',
      '-lpthread',
      '-o',
      exe,
    ]);
    const r = spawnSync(qemu.path!, [exe], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'table neon vs scalar');
    assert.equal(lines.at(-1), 'ok');
    const ops = new Map(
      lines
        .filter((l) => l.startsWith('op '))
        .map((l) => {
          const [, name, n, err] = l.split(' ');
          return [name!, { n: Number(n), err: Number(err) }];
        }),
    );
    // 21 unary ops and their gradients, 7 binary, 4 reductions, and the rest
    assert.equal([...ops.keys()].filter((k) => k.startsWith('unary_grad_')).length, 21);
    for (const op of ['sgemm', 'binary_pow', 'reduce_max', 'softmax', 'layer_norm_grad', 'rms_norm', 'attention'])
      assert.ok((ops.get(op)?.n ?? 0) > 0, `${op} was checked`);
  });

  it('the whole addon compiles and links as an AArch64 shared object', (t) => {
    const headers = nodeHeaders();
    if (headers === undefined) {
      t.skip("Node's headers (node_api.h) are not installed here");
      return;
    }
    const addonObjects = ['native/src/addon.c'].map((src) => {
      const obj = join(dir, 'addon.o');
      cc([...cflags, `-I${headers}`, '-DNAPI_DISABLE_CPP_EXCEPTIONS', '-c', join(root, src), '-o', obj]);
      return obj;
    });
    const so = join(dir, 'llmts_native.node');
    cc(['-shared', ...addonObjects, ...objects, '-lm', '-lpthread', '-o', so]);
    const r = spawnSync('file', [so], { encoding: 'utf8' });
    if (r.status === 0) assert.match(r.stdout, /ARM aarch64/);
  });
});
