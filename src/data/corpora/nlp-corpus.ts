/**
 * nlp-corpus: real English sentences (~9 MB in 100 JSON arrays, builds/doc-0.json ..
 * doc-99.json) that the npm package of that name ships. llmts reads it from node_modules at
 * run time (never a copy in the repository) as the embedded default text of the demo, the lab
 * and the benchmarks, so they run on a fresh machine with nothing but `npm install`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IOError } from '../../core/errors.ts';

/** The package's builds/ folder; a typed IOError when the package is not installed. */
export function nlpCorpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    // the package exports only its entry point (src/server/index.js): walk up to its root
    const dir = join(dirname(require.resolve('nlp-corpus')), '..', '..', 'builds');
    if (!existsSync(dir)) throw new Error(`no builds/ folder at ${dir}`);
    return dir;
  } catch (err) {
    throw new IOError('nlp-corpus', 'the npm package nlp-corpus is not installed (run npm install)', { cause: err });
  }
}

/** Paths of doc-N.json in numeric order (doc-0, doc-1, ..., doc-99). */
export function nlpCorpusFiles(): string[] {
  const dir = nlpCorpusDir();
  return readdirSync(dir)
    .filter((f) => /^doc-\d+\.json$/.test(f))
    .sort((a, b) => Number(a.slice(4, -5)) - Number(b.slice(4, -5)))
    .map((f) => join(dir, f));
}

/** Each file's sentences as the package stores them (a file is a run of related sentences). */
export function* nlpCorpusFileSentences(): Generator<string[]> {
  for (const path of nlpCorpusFiles()) {
    const items = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!Array.isArray(items)) throw new IOError(path, 'expected a JSON array of sentences');
    yield items.filter((s): s is string => typeof s === 'string');
  }
}

/** Up to `maxSentences` sentences, whitespace collapsed, empty ones dropped, in corpus order. */
export function readNlpCorpus(maxSentences = Infinity): string[] {
  const out: string[] = [];
  if (maxSentences <= 0) return out;
  for (const sentences of nlpCorpusFileSentences()) {
    for (const s of sentences) {
      const line = s.replace(/\s+/g, ' ').trim();
      if (line.length > 0) out.push(line);
      if (out.length >= maxSentences) return out;
    }
  }
  return out;
}

/** Whole files, one sentence per line, until at least `maxBytes` UTF-8 bytes (the benchmarks' text; '' for maxBytes <= 0). */
export function nlpCorpusText(maxBytes: number): string {
  const parts: string[] = [];
  let size = 0;
  if (maxBytes <= 0) return '';
  for (const sentences of nlpCorpusFileSentences()) {
    const doc = sentences.join('\n') + '\n';
    parts.push(doc);
    size += Buffer.byteLength(doc);
    if (size >= maxBytes) break;
  }
  return parts.join('');
}
