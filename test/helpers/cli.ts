/**
 * Runs the `llmts` command in a child process, from the TypeScript sources (LLMTS_FROM_SOURCE=1),
 * so tests exercise the code as it is in the tree, not a possibly stale dist/. The compiled
 * build is exercised by test/package/consumer.test.ts, which packs and installs the package.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const LLMTS_BIN = join(import.meta.dirname, '..', '..', 'bin', 'llmts.mjs');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runLlmts(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [LLMTS_BIN, ...args], {
    encoding: 'utf8',
    input: options.input ?? '',
    cwd: options.cwd,
    timeout: options.timeoutMs,
    maxBuffer: 256 << 20,
    env: { ...process.env, LLMTS_NO_PROGRESS: '1', LLMTS_FROM_SOURCE: '1', ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
