/**
 * What a test needs from the machine, and what happens when it is missing.
 *
 * On a developer's machine a test whose system program (Debian's chromium, redis-server,
 * python3-torch, clang + lld for the wasm build) or native addon is absent is skipped with a one-line reason, so `npm test`
 * passes on a fresh clone. In CI, `.ci/run` installs those programs and sets
 * LLMTS_REQUIRE_SYSTEM=1 and LLMTS_REQUIRE_NATIVE=1: a missing requirement then fails the test
 * file at load time instead of skipping, so CI is never green because something was skipped.
 *
 *   const chromium = systemProgram('chromium');
 *   describe('in the browser', { skip: chromium.skip }, () => { ... chromium.path ... });
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type SystemProgram =
  'chromium' | 'redis-server' | 'python3-torch' | 'clang' | 'aarch64-linux-gnu-gcc' | 'qemu-aarch64';

export interface Requirement {
  /** Where the program is (python3-torch: the python3 that imports torch); undefined when absent. */
  path: string | undefined;
  /** false when present; the one-line reason to skip when absent (never set where it is required). */
  skip: string | false;
}

const INSTALL: Record<SystemProgram, string> = {
  chromium: 'apt-get install -y chromium',
  'redis-server': 'apt-get install -y redis-server',
  'python3-torch': 'apt-get install -y python3-torch',
  clang: 'apt-get install -y clang lld',
  'aarch64-linux-gnu-gcc': 'apt-get install -y gcc-aarch64-linux-gnu libc6-dev-arm64-cross',
  'qemu-aarch64': 'apt-get install -y qemu-user',
};

function find(program: SystemProgram): string | undefined {
  if (program === 'python3-torch') {
    // Debian's torch lives in /usr/lib/python3/dist-packages, for Debian's /usr/bin/python3
    const python = '/usr/bin/python3';
    if (!existsSync(python)) return undefined;
    return spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0 ? python : undefined;
  }
  if (program === 'clang') {
    // the wasm build needs the compiler and lld's wasm-ld
    const has = (p: string): boolean => spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).status === 0;
    return has('clang') && has('wasm-ld')
      ? spawnSync('sh', ['-c', 'command -v clang'], { encoding: 'utf8' }).stdout.trim()
      : undefined;
  }
  const candidates = program === 'chromium' ? ['chromium', 'chromium-browser'] : [program];
  for (const c of candidates) {
    const r = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() !== '') return r.stdout.trim();
  }
  return undefined;
}

const cache = new Map<SystemProgram, Requirement>();

/** A Debian program a test runs for real. Throws where LLMTS_REQUIRE_SYSTEM=1 and it is absent. */
export function systemProgram(program: SystemProgram): Requirement {
  const hit = cache.get(program);
  if (hit !== undefined) return hit;
  const path = find(program);
  let skip: string | false = false;
  if (path === undefined) {
    const reason = `${program} is not installed (${INSTALL[program]})`;
    if (process.env['LLMTS_REQUIRE_SYSTEM'] === '1')
      throw new Error(`LLMTS_REQUIRE_SYSTEM=1 but ${reason}: this test must run here`);
    skip = reason;
  }
  const r: Requirement = { path, skip };
  cache.set(program, r);
  return r;
}

/** For tests that need the native addon: a skip reason, or an error where LLMTS_REQUIRE_NATIVE=1. */
export function requireNative(available: boolean, what = 'the native backend'): string | false {
  if (available) return false;
  if (process.env['LLMTS_REQUIRE_NATIVE'] === '1')
    throw new Error(`LLMTS_REQUIRE_NATIVE=1 but ${what} is not built: this test must run here`);
  return `${what} is not built (npm install builds it; a C compiler is needed)`;
}
