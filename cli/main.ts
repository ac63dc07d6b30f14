/**
 * The llmts command line: a thin layer over the library. Each command lives in
 * cli/commands/<name>.ts and exports `register(program)`; configs are validated here,
 * at the boundary, and library errors (LlmtsError) are printed as one clear line.
 */
import { Command } from 'commander';
import { LlmtsError } from '../src/errors.ts';
import { commands } from './commands/index.ts';

const program = new Command();
program
  .name('llmts')
  .description('A ChatGPT-style LLM stack in TypeScript: train, inspect and run language models on a CPU.')
  .showHelpAfterError();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof LlmtsError) {
    console.error(`llmts: error [${err.code}]: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
