/** The lab's character corpus: Tiny Shakespeare when present, else nlp-corpus paragraphs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labCharCorpus, nlpCorpusParagraphs } from '../../src/lab/corpus.ts';
import { ArgumentError } from '../../src/core/errors.ts';

function withCorpus<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env['LLMTS_LAB_CORPUS'];
  if (value === undefined) delete process.env['LLMTS_LAB_CORPUS'];
  else process.env['LLMTS_LAB_CORPUS'] = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env['LLMTS_LAB_CORPUS'];
    else process.env['LLMTS_LAB_CORPUS'] = saved;
  }
}

test('nlpCorpusParagraphs: printable ASCII, twelve lines per blank-line separated paragraph, within maxChars', () => {
  const text = nlpCorpusParagraphs(200_000);
  assert.ok(text.length <= 200_000 && text.length > 150_000, `${text.length} characters`);
  assert.match(text, /^[\x20-\x7e\n]+$/);
  const paragraphs = text.split('\n\n').filter((p) => p.length > 0);
  for (const p of paragraphs) assert.equal(p.split('\n').length, 12);
});

test('labCharCorpus(nlp-corpus): a Shakespeare-sized character corpus with a 90/10 split', () => {
  const c = withCorpus('nlp-corpus', () => labCharCorpus());
  assert.equal(c.id, 'nlp-corpus');
  const total = c.trainText.length + c.valText.length;
  assert.ok(total > 1_000_000 && total <= 1_115_394, `${total} characters`);
  assert.equal(c.trainText.length, Math.floor(total * 0.9));
  assert.equal(c.train.numTokens, c.trainText.length);
  assert.ok(c.vocab.chars.length <= 95, `${c.vocab.chars.length} characters`);
  assert.equal(c.vocab.decode(c.vocab.encode('Zebra')), 'Zebra');
  // documents are the paragraphs, covering the split in order
  const [s0, e0] = c.train.documentBounds(0);
  assert.equal(s0, 0);
  assert.ok(c.trainText.slice(s0, e0).endsWith('\n\n'));
  assert.ok(c.train.numDocuments > 1000);
});

test('labCharCorpus: an unknown LLMTS_LAB_CORPUS is a typed error', () => {
  assert.throws(() => withCorpus('wikipedia', () => labCharCorpus()), ArgumentError);
});
