/** The nlp-corpus reader (the demo's, the lab's and the benchmarks' embedded English text). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  nlpCorpusFileSentences,
  nlpCorpusFiles,
  nlpCorpusText,
  readNlpCorpus,
} from '../../src/data/corpora/nlp-corpus.ts';

test('nlpCorpusFiles: doc-0 .. doc-N in numeric order', () => {
  const files = nlpCorpusFiles().map((f) => basename(f));
  assert.ok(files.length >= 50, `${files.length} files`);
  files.forEach((f, i) => assert.equal(f, `doc-${i}.json`));
});

test('readNlpCorpus: the first sentences of doc-0, whitespace collapsed, capped at maxSentences', () => {
  const raw = JSON.parse(readFileSync(nlpCorpusFiles()[0]!, 'utf8')) as string[];
  const expected = raw
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0)
    .slice(0, 25);
  assert.deepEqual(readNlpCorpus(25), expected);
  assert.equal(readNlpCorpus(0).length, 0);
});

test('nlpCorpusText: whole files, a sentence per line, at least maxBytes', () => {
  const first = [...take(nlpCorpusFileSentences(), 2)];
  const oneFile = first[0]!.join('\n') + '\n';
  assert.equal(nlpCorpusText(1), oneFile);
  assert.equal(nlpCorpusText(0), '');
  assert.equal(nlpCorpusText(Buffer.byteLength(oneFile) + 1), oneFile + first[1]!.join('\n') + '\n');
});

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  let i = 0;
  for (const x of it) {
    if (i++ >= n) return;
    yield x;
  }
}
