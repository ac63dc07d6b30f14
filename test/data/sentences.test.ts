/**
 * Sentence splitting without capitals and with CJK punctuation, so C4's five-sentence rule
 * does not reject lower-cased text: 20 documents of real English (nlp-corpus sentences,
 * lower-cased, a paragraph of several sentences per line) are all kept by c4_quality, as
 * their cased originals are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitIntoSentences } from '../../src/data/text/sentences.ts';
import { c4Quality } from '../../src/data/stages/c4-quality.ts';
import { nlpCorpusFileSentences } from '../../src/data/corpora/nlp-corpus.ts';

test('lower-case sentence boundaries split; abbreviations and initials still do not', () => {
  assert.deepEqual(splitIntoSentences('this is one. this is two! and three? yes.'), [
    'this is one.',
    'this is two!',
    'and three?',
    'yes.',
  ]);
  assert.deepEqual(splitIntoSentences('we met dr. smith at 3.50 p.m. today. e.g. this one. ok'), [
    'we met dr. smith at 3.50 p.m. today.',
    'e.g. this one.',
    'ok',
  ]);
});

test('CJK full stops end sentences without a following space', () => {
  assert.deepEqual(splitIntoSentences('吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。'), [
    '吾輩は猫である。',
    '名前はまだ無い。',
    'どこで生れたかとんと見当がつかぬ。',
  ]);
  assert.deepEqual(splitIntoSentences('你好吗？我很好！谢谢。'), ['你好吗？', '我很好！', '谢谢。']);
});

test('c4_quality keeps 20 of 20 lower-cased real documents (too_few_sentences was the failure)', () => {
  const files = nlpCorpusFileSentences();
  const docs: string[] = [];
  for (const sents of files) {
    const usable = sents.filter((s) => /^[A-Z].*[a-z]{3}.*[.!?]$/.test(s) && s.split(' ').length >= 5);
    if (usable.length < 9) continue;
    // three lines of three sentences each
    docs.push([0, 3, 6].map((i) => usable.slice(i, i + 3).join(' ')).join('\n'));
    if (docs.length === 20) break;
  }
  assert.equal(docs.length, 20);
  const c4 = c4Quality();
  let cased = 0;
  let lower = 0;
  for (const d of docs) {
    if (c4.apply({ id: 'a', text: d, metadata: {} }, () => {}) === undefined) cased++;
    const r = c4.apply({ id: 'b', text: d.toLowerCase(), metadata: {} }, () => {});
    if (r === undefined) lower++;
  }
  console.log(`# c4_quality on 20 real documents: cased kept ${cased}/20, lower-cased kept ${lower}/20`);
  assert.equal(lower, cased);
  assert.ok(lower >= 19);
});
