/**
 * The llmts command line: a thin layer over the library. Each command lives in
 * cli/commands/<name>.ts and exports `register(program)`; only the module of the command
 * being run is imported (cli/commands/index.ts), so start-up stays close to bare Node.
 * Configs are validated here, at the boundary, and library errors (LlmtsError) are printed
 * as one clear line.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { LlmtsError } from '../src/core/errors.ts';
import { commandEntries } from './commands/index.ts';

/** package.json's version, found from this file in the sources (cli/) and in dist/cli/. */
function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'llmts' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}

/** The first argument that is not an option (or an option's value): the command's name. */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--threads') i++;
    else if (!a.startsWith('-')) return a === 'help' ? argv.slice(i + 1).find((b) => !b.startsWith('-')) : a;
  }
  return undefined;
}

/** --threads N (anywhere on the line) becomes LLMTS_THREADS before any backend starts. */
function applyThreads(argv: readonly string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = a === '--threads' ? argv[i + 1] : a.startsWith('--threads=') ? a.slice(10) : undefined;
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 1024) {
      console.error(`llmts: error [ARGUMENT]: --threads expects an integer from 1 to 1024, got ${value}`);
      process.exit(1);
    }
    process.env['LLMTS_THREADS'] = String(n);
  }
}

const argv = process.argv.slice(2);
applyThreads(argv);

const program = new Command();
program
  .name('llmts')
  .description('A ChatGPT-style LLM stack in TypeScript: train, inspect and run language models on a CPU.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .addOption(
    new Option('--threads <n>', 'kernel threads (default: LLMTS_THREADS, else one per core)').argParser((v) => v),
  )
  .showHelpAfterError()
  .showSuggestionAfterError();

const wanted = commandName(argv);
const entry = commandEntries.find((e) => wanted !== undefined && e.names.includes(wanted));
try {
  for (const e of commandEntries) {
    if (e === entry) (await e.load()).register(program);
    else for (const name of e.names) program.command(name).description(e.summary[name] ?? '');
  }
  await program.parseAsync(process.argv);
} catch (err) {
  // one line, whatever failed; LLMTS_DEBUG=1 adds the stack (a non-LlmtsError is a bug to report)
  const debug = process.env['LLMTS_DEBUG'] === '1';
  if (err instanceof LlmtsError) console.error(`llmts: error [${err.code}]: ${err.message}`);
  else {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    console.error(
      `llmts: internal error: ${message.split('\n')[0]!.slice(0, 500)}${debug ? '' : ' (LLMTS_DEBUG=1 shows the stack; please report it)'}`,
    );
  }
  if (debug && err instanceof Error && err.stack !== undefined) console.error(err.stack);
  process.exit(1);
}
