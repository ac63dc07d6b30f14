// Builds the browser bundle of llmts (dist-browser/llmts.js + llmts.wasm beside it): one ES
// module with the engine, nn, models, tokenizers, generate, train, align and the wasm backend,
// from src/browser/index.ts, with esbuild. See docs/wasm-backend.md.
//
//   node scripts/build-browser.mjs [--outdir DIR] [--minify] [--if-available]
//
// The seam between Node and the browser:
// - src/core/platform.ts (files, environment, workers, CPU count) is replaced by
//   src/core/platform.browser.ts, which has the same exports;
// - Node built-ins that modules still import for Node-only features (writing checkpoints,
//   reading directories) resolve to src/browser/shims: path and os for real, module's
//   createRequire for the packages it loads lazily, and every other built-in to a module whose
//   functions throw "not available in the browser"; the bundle imports no Node built-in;
// - Buffer and process come from src/browser/shims/globals.ts (the npm `buffer` package).
// The build fails if any module outside that list pulls in a built-in it does not know.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const ifAvailable = argv.includes('--if-available');
const outdirArg = argv.indexOf('--outdir');
const outdir = outdirArg >= 0 ? argv[outdirArg + 1] : join(root, 'dist-browser');
const wasmFile = join(root, 'wasm', 'llmts.wasm');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  const msg = 'llmts: esbuild is not installed; not building the browser bundle';
  if (ifAvailable) {
    console.log(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}
if (!existsSync(wasmFile)) {
  const msg = `llmts: ${wasmFile} is missing (npm run build:wasm); not building the browser bundle`;
  if (ifAvailable) {
    console.log(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}

const shims = join(root, 'src', 'browser', 'shims');
/** Built-ins the browser build implements. */
const REAL = { path: 'path.ts', os: 'os.ts', module: 'module.ts' };
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const browserPlugin = {
  name: 'llmts-browser',
  setup(build) {
    // the host services: platform.ts -> platform.browser.ts
    build.onResolve({ filter: /[/\\]platform\.ts$/ }, (args) => {
      if (!args.importer.includes(join('src', ''))) return undefined;
      const resolved = join(args.resolveDir, args.path);
      if (resolved !== join(root, 'src', 'core', 'platform.ts')) return undefined;
      return { path: join(root, 'src', 'core', 'platform.browser.ts') };
    });
    // charts (src/core/plot.ts renders SVG files for runs on disk): not in the browser build
    build.onResolve({ filter: /^vega(-lite)?$/ }, (args) => ({ path: args.path, namespace: 'llmts-unavailable' }));
    // Node built-ins
    build.onResolve({ filter: /.*/ }, (args) => {
      if (!builtins.has(args.path)) return undefined;
      const name = args.path.replace(/^node:/, '').split('/')[0];
      if (name === 'buffer') return undefined; // the npm package (globals.ts)
      if (name in REAL) return { path: join(shims, REAL[name]) };
      return { path: name, namespace: 'llmts-unavailable' };
    });
    build.onLoad({ filter: /.*/, namespace: 'llmts-unavailable' }, (args) => ({
      loader: 'js',
      contents:
        `const name = ${JSON.stringify(args.path)};\n` +
        `const fail = (f) => () => { throw new Error(name + '.' + f + ' is not available in the browser build of llmts (read files with readSource / loadTokenizerFrom / loadHfModelFrom)'); };\n` +
        `module.exports = new Proxy({}, { get: (_, f) => f === '__esModule' ? false : typeof f === 'string' ? fail(f) : undefined });\n`,
    }));
  },
};

const tmp = `${outdir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
try {
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(root, 'src', 'browser', 'index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(tmp, 'llmts.js'),
    sourcemap: 'linked',
    minify: argv.includes('--minify'),
    inject: [join(shims, 'globals.ts')],
    plugins: [browserPlugin],
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  // no built-in may remain an import of the output
  const out = Object.values(result.metafile.outputs)[0];
  const leaked = (out?.imports ?? []).filter((i) => builtins.has(i.path) || i.external);
  if (leaked.length > 0) throw new Error(`the bundle imports ${leaked.map((i) => i.path).join(', ')}`);
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(result.metafile));
  copyFileSync(wasmFile, join(tmp, 'llmts.wasm'));
  rmSync(outdir, { recursive: true, force: true });
  renameSync(tmp, outdir);
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  const msg = `llmts: the browser bundle failed to build: ${err instanceof Error ? err.message : String(err)}`;
  if (ifAvailable) {
    console.log(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}
