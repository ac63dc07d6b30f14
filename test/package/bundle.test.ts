/**
 * package.json's `sideEffects` keeps the tokenizers' registrations in a bundle: the pipeline
 * components (normalizers, pre-tokenizers, models, post-processors, decoders) register
 * themselves by type name when their index modules are imported for their side effect, so a
 * bundler told that those modules are side-effect free drops them, and tokenizer.json files no
 * longer load. esbuild bundles `llmts/tokenizers` (the compiled dist/) for Node with tree
 * shaking; the bundle must load a tokenizer.json using one component of each stage. The same
 * bundle made from a copy of package.json that says `"sideEffects": false` must fail: the
 * check can tell.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');

const TOKENIZER = {
  version: '1.0',
  added_tokens: [],
  normalizer: { type: 'Lowercase' },
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ Sequence: { id: 'A', type_id: 0 } }],
    pair: [],
    special_tokens: {},
  },
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordLevel', vocab: { '[UNK]': 0, hello: 1, world: 2 }, unk_token: '[UNK]' },
};

const ENTRY = `
import { parseTokenizerJson } from 'llmts/tokenizers';
const tok = parseTokenizerJson(${JSON.stringify(JSON.stringify(TOKENIZER))}, 'bundle.json');
const ids = tok.encodeIds('Hello World, hello');
console.log(JSON.stringify({ ids, text: tok.decode(ids) }));
`;

/** Bundles ENTRY with `llmts` resolved to a package folder holding `pkg` and this dist/. */
async function bundleWith(pkg: Record<string, unknown>): Promise<{ code: number | null; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bundle-'));
  const llmts = join(dir, 'node_modules', 'llmts');
  mkdirSync(llmts, { recursive: true });
  writeFileSync(join(llmts, 'package.json'), JSON.stringify(pkg));
  symlinkSync(join(ROOT, 'dist'), join(llmts, 'dist'));
  writeFileSync(join(dir, 'entry.mjs'), ENTRY);
  await build({
    entryPoints: [join(dir, 'entry.mjs')],
    outfile: join(dir, 'bundle.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    treeShaking: true,
    preserveSymlinks: true, // the package.json that applies is the one in node_modules/llmts
    logLevel: 'silent',
  });
  const r = spawnSync(process.execPath, [join(dir, 'bundle.mjs')], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bundling llmts/tokenizers', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;

  it(
    "keeps the components' registrations (package.json sideEffects)",
    { skip: !existsSync(join(ROOT, 'dist', 'src', 'tokenizers', 'index.js')) && 'dist/ is not built (npm run build)' },
    async () => {
      assert.deepEqual(pkg['sideEffects'], ['./dist/src/tokenizers/**/*.js', './src/tokenizers/**/*.ts']);
      const r = await bundleWith(pkg);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), { ids: [1, 2, 0, 1], text: 'hello world [UNK] hello' });
    },
  );

  it(
    'loses them when the package claims to have no side effects',
    { skip: !existsSync(join(ROOT, 'dist', 'src', 'tokenizers', 'index.js')) && 'dist/ is not built (npm run build)' },
    async () => {
      const r = await bundleWith({ ...pkg, sideEffects: false });
      assert.notEqual(r.code, 0);
      assert.match(r.err, /unknown (model|normalizer|pre-tokenizer|post-processor|decoder) type/);
    },
  );
});
