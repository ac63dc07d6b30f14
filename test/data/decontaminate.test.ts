/**
 * Decontamination: documents sharing a word 13-gram (after simplify_text) with an
 * evaluation set are dropped and the rejection names the benchmark; 12 shared words, or
 * the same words reordered, are not an overlap; short examples match whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decontaminate } from '../../src/data/stages/decontaminate.ts';

const QUESTION =
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether?';

test('13-gram overlap with a benchmark rejects the document and names the benchmark', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-decont-'));
  try {
    writeFileSync(join(dir, 'gsm8k.jsonl'), JSON.stringify({ question: QUESTION, answer: '72' }) + '\n');
    writeFileSync(join(dir, 'short.txt'), 'the quick brown fox jumps over the lazy dog\n');
    const st = decontaminate({ benchmarks: { gsm8k: join(dir, 'gsm8k.jsonl'), pangrams: join(dir, 'short.txt') } });
    const counts: Record<string, number> = {};
    const run = (text: string): string | undefined =>
      st.apply({ id: 'd', text, metadata: {} }, (k, n = 1) => void (counts[k] = (counts[k] ?? 0) + n));
    const words = QUESTION.split(' ');
    // 13 consecutive words, different case and punctuation, inside other text
    const thirteen = words.slice(5, 18).join(' ').toUpperCase().replace(/,/g, ' ;');
    assert.equal(run(`A forum post quoting: ${thirteen} ... and more.`), 'contaminated_gsm8k');
    // 12 consecutive words are not enough
    assert.equal(run(`A forum post quoting: ${words.slice(5, 17).join(' ')} and nothing else.`), undefined);
    // the same words out of order are not an overlap
    assert.equal(run(words.slice(0, 20).reverse().join(' ')), undefined);
    // a short example (9 words, >= min_ngram 8) matches whole
    assert.equal(run('Typing practice: The quick brown fox jumps over the lazy dog!'), 'contaminated_pangrams');
    assert.deepEqual(counts, { matched_gsm8k: 1, matched_pangrams: 1 });
    assert.throws(() => decontaminate({ benchmarks: {} }), /at least one benchmark/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
