import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gopherQuality } from '../../src/data/stages/gopher-quality.ts';
import { gopherRepetition, duplicateNGramChars, topNGramChars } from '../../src/data/stages/gopher-repetition.ts';
import { splitIntoWords } from '../../src/data/text/words.ts';
import { distinctWords, run } from './helpers.ts';

const q = gopherQuality();
const base = (n: number, len = 5): string => ['the', 'and', ...distinctWords(n - 2, len)].join(' ');

test('word tokenizer splits punctuation and clitics like the Treebank tokenizer', () => {
  assert.deepEqual(splitIntoWords("Don't stop... It's 3.14, ok?"), [
    'Do',
    "n't",
    'stop',
    '...',
    'It',
    "'s",
    '3.14',
    ',',
    'ok',
    '?',
  ]);
});

test('gopher: word count 50 kept, 49 short; 100000 kept, 100001 long', () => {
  assert.equal(run(q, base(50))[0], undefined);
  assert.equal(run(q, base(49))[0], 'gopher_short_doc');
  assert.equal(run(q, base(100_000))[0], undefined);
  assert.equal(run(q, base(100_001))[0], 'gopher_long_doc');
  // symbol-only tokens do not count as words
  assert.equal(run(q, base(49) + ' # ; !')[0], 'gopher_short_doc');
});

test('gopher: mean word length 3 kept, 2.98 rejected; 10 kept, 10.02 rejected', () => {
  const w3 = ['the', 'and', ...distinctWords(48, 3)];
  assert.equal(run(q, w3.join(' '))[0], undefined);
  const w298 = [...w3.slice(0, 49), 'ab'];
  assert.equal(run(q, w298.join(' '))[0], 'gopher_below_avg_threshold');
  // (2*3 + 36*10 + 14*11) / 52 = 10 exactly
  const w10 = ['the', 'and', ...distinctWords(36, 10), ...distinctWords(14, 11)];
  assert.equal(run(q, w10.join(' '))[0], undefined);
  const w1002 = ['the', 'and', ...distinctWords(35, 10), ...distinctWords(15, 11)];
  assert.equal(run(q, w1002.join(' '))[0], 'gopher_above_avg_threshold');
});

test('gopher: hash and ellipsis symbol ratio 0.1 kept, above rejected', () => {
  // 54 words + 6 '#' = 60 tokens: 6/60 = 0.1
  assert.equal(run(q, base(54) + ' #'.repeat(6))[0], undefined);
  assert.equal(run(q, base(54) + ' #'.repeat(7))[0], 'gopher_too_many_hashes');
  assert.equal(run(q, '… '.repeat(6) + base(54))[0], undefined);
  assert.equal(run(q, '... '.repeat(7) + base(54))[0], 'gopher_too_many_ellipsis');
});

test('gopher: bullet lines 90% kept, 100% rejected; ellipsis-ending lines 30% kept, 40% rejected', () => {
  const lines = Array.from({ length: 10 }, (_, i) => ['the', 'and', ...distinctWords(6, 5, i * 6)].join(' '));
  const bullets9 = lines.map((l, i) => (i < 9 ? `• ${l}` : l)).join('\n');
  assert.equal(run(q, bullets9)[0], undefined);
  assert.equal(run(q, lines.map((l) => `- ${l}`).join('\n'))[0], 'gopher_too_many_bullets');
  const ell3 = lines.map((l, i) => (i < 3 ? `${l}...` : l)).join('\n');
  assert.equal(run(q, ell3)[0], undefined);
  const ell4 = lines.map((l, i) => (i < 4 ? `${l}…` : l)).join('\n');
  assert.equal(run(q, ell4)[0], 'gopher_too_many_end_ellipsis');
});

test('gopher: 80% alphabetic words kept, 79% rejected', () => {
  const alpha = ['the', 'and', ...distinctWords(78)];
  const nums = (k: number): string[] => Array.from({ length: k }, (_, i) => String(100 + i));
  assert.equal(run(q, [...alpha, ...nums(20)].join(' '))[0], undefined);
  assert.equal(run(q, [...alpha.slice(0, 79), ...nums(21)].join(' '))[0], 'gopher_below_alpha_threshold');
});

test('gopher: two distinct stop words kept, one (even repeated) rejected; case-sensitive as datatrove', () => {
  const words = distinctWords(60);
  assert.equal(run(q, ['the', 'of', ...words].join(' '))[0], undefined);
  assert.equal(run(q, ['the', 'the', 'the', ...words].join(' '))[0], 'gopher_enough_stop_words');
  assert.equal(run(q, ['The', 'Of', ...words].join(' '))[0], 'gopher_enough_stop_words');
});

const only = (o: Parameters<typeof gopherRepetition>[0]): ReturnType<typeof gopherRepetition> =>
  gopherRepetition({
    dup_line_frac: null,
    dup_para_frac: null,
    dup_line_char_frac: null,
    dup_para_char_frac: null,
    top_n_grams: [],
    dup_n_grams: [],
    ...o,
  });

test('repetition: duplicate paragraph fraction 0.3 kept, 0.4 rejected', () => {
  const paras = distinctWords(10, 6);
  const three = [...paras.slice(0, 7), paras[0], paras[0], paras[1]] as string[];
  const four = [...paras.slice(0, 6), paras[0], paras[0], paras[1], paras[2]] as string[];
  const r = only({ dup_para_frac: 0.3 });
  assert.equal(run(r, three.join('\n\n'))[0], undefined);
  assert.equal(run(r, four.join('\n\n'))[0], 'dup_para_frac');
});

test('repetition: duplicate paragraph chars 10/50 kept, 10/49 rejected', () => {
  const p = 'abcdefghij';
  const r = only({ dup_para_char_frac: 0.2 });
  assert.equal(run(r, `${p}\n\n${p}\n\n${'x'.repeat(26)}`)[0], undefined);
  assert.equal(run(r, `${p}\n\n${p}\n\n${'x'.repeat(25)}`)[0], 'dup_para_char_frac');
});

test('repetition: duplicate lines 0.3 kept, 0.4 rejected; duplicate line chars 0.2 kept, above rejected', () => {
  const lines = distinctWords(10, 6);
  const r = only({ dup_line_frac: 0.3 });
  assert.equal(run(r, [...lines.slice(0, 7), lines[0], lines[1], lines[2]].join('\n'))[0], undefined);
  assert.equal(run(r, [...lines.slice(0, 6), lines[0], lines[1], lines[2], lines[3]].join('\n'))[0], 'dup_line_frac');
  const rc = only({ dup_line_char_frac: 0.2 });
  const l = 'abcdefghij';
  // blank-line runs count as one separator for lines: len 10+1+10+1+28 = 50
  assert.equal(run(rc, `${l}\n${l}\n${'y'.repeat(28)}`)[0], undefined);
  assert.equal(run(rc, `${l}\n${l}\n${'y'.repeat(27)}`)[0], 'dup_line_char_frac');
});

test('repetition: top 2-gram chars 20/100 kept, 20/99 rejected', () => {
  // "ab cd" x4 = 20 chars of the top bigram; filler makes the length exact
  const head = 'ab cd ab cd ab cd ab cd';
  const fill = (n: number): string => {
    const words = distinctWords(20, 6);
    let s = '';
    for (const w of words) {
      if (s.length + 1 + w.length > n - 3) break;
      s += ` ${w}`;
    }
    return s + ' ' + 'z'.repeat(n - s.length - 1);
  };
  const t100 = head + fill(100 - head.length);
  const t99 = head + fill(99 - head.length);
  assert.equal(t100.length, 100);
  assert.equal(t99.length, 99);
  assert.equal(topNGramChars(splitIntoWords(t100), 2), 20);
  const r = only({ top_n_grams: [[2, 0.2]] });
  assert.equal(run(r, t100)[0], undefined);
  assert.equal(run(r, t99)[0], 'top_2_gram');
});

test('repetition: duplicated 5-gram chars 15/100 kept, 15/99 rejected; overlapping repeats counted once', () => {
  const rep = 'aaa bbb ccc ddd eee aaa bbb ccc ddd eee';
  assert.equal(duplicateNGramChars(splitIntoWords(rep), 5), 15);
  // "x x x x x x x x x x" : 5-grams repeat; after a hit the scan jumps 5 words
  assert.equal(duplicateNGramChars(Array(10).fill('x'), 5), 5);
  const pad = (n: number): string => ' ' + distinctWords(1, n - 1, 99)[0];
  const r = only({ dup_n_grams: [[5, 0.15]] });
  assert.equal(run(r, rep + pad(100 - rep.length))[0], undefined);
  assert.equal(run(r, rep + pad(99 - rep.length))[0], 'duplicated_5_n_grams');
});

test('repetition: defaults pass ordinary prose and reject spam', () => {
  const r = gopherRepetition();
  const prose = distinctWords(200, 6).join(' ');
  assert.equal(run(r, prose)[0], undefined);
  assert.equal(run(r, 'buy cheap pills now\n\n'.repeat(20))[0], 'dup_para_frac');
  assert.equal(run(r, 'buy cheap pills now\n'.repeat(20))[0], 'dup_line_frac');
  assert.equal(run(r, '')[0], 'empty_document');
});
