/**
 * Benchmark dispatcher: `npm run bench -- NAME [args]` runs bench/NAME.ts, whose
 * `main(args)` measures llmts and its peer in the same run and prints the ratio.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface BenchModule {
  main(args: string[]): Promise<void> | void;
}

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (name === undefined || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}> [options]`);
  process.exit(name === undefined ? 0 : 1);
}
const mod = (await import(join(here, `${name}.ts`))) as BenchModule;
await mod.main(args);
