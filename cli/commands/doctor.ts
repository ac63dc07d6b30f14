/** `llmts doctor`: what llmts runs on here: backend, ISA path, threads, Node, the native addon. */
import { availableParallelism, arch, cpus, platform } from 'node:os';
import type { Command } from 'commander';
import { addonPath } from '../../src/backends/native/addon.ts';
import { getDefaultBackend, tryNativeBackend } from '../../src/backends/select.ts';
import { loadAddon } from '../../src/backends/native/addon.ts';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('the backend, ISA path, threads, Node version and whether the native addon built')
    .option('--json', 'print one JSON object')
    .action((o: { json?: boolean }) => {
      const native = tryNativeBackend();
      const backend = getDefaultBackend();
      const report = {
        llmtsBackend: backend.name,
        threads: backend.threads,
        isa: native instanceof Error ? null : loadAddon().isa(),
        nativeAddon: native instanceof Error ? `not available: ${native.message}` : addonPath(),
        envBackend: process.env['LLMTS_BACKEND'] ?? null,
        envThreads: process.env['LLMTS_THREADS'] ?? null,
        node: process.version,
        platform: `${platform()} ${arch()}`,
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: availableParallelism(),
      };
      if (o.json === true) {
        console.log(JSON.stringify(report));
        return;
      }
      const rows: [string, string][] = [
        ['backend', report.llmtsBackend],
        ['threads', String(report.threads)],
        ['ISA path', report.isa ?? '-'],
        ['native addon', report.nativeAddon],
        ['LLMTS_BACKEND', report.envBackend ?? '(unset)'],
        ['LLMTS_THREADS', report.envThreads ?? '(unset)'],
        ['node', report.node],
        ['platform', report.platform],
        ['cpu', `${report.cpu} (${report.cores} cores)`],
      ];
      for (const [k, v] of rows) console.log(`${k.padEnd(14)}${v}`);
    });
}
