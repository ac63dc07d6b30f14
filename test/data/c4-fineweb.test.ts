import { test } from 'node:test';
import assert from 'node:assert/strict';
import { c4Quality } from '../../src/data/stages/c4-quality.ts';
import { c4BadWords } from '../../src/data/stages/c4-badwords.ts';
import { finewebQuality } from '../../src/data/stages/fineweb-quality.ts';
import { splitIntoSentences } from '../../src/data/text/sentences.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { distinctWords, run } from './helpers.ts';

const sentence = (i: number): string => `The ${distinctWords(4, 5, i * 4).join(' ')} went home.`;
const c4 = c4Quality();

test('sentence splitter: abbreviations, initials and decimals do not end sentences', () => {
  assert.deepEqual(splitIntoSentences('Dr. Smith paid $3.50 today. J. R. R. Tolkien wrote it! Did he? Yes.'), [
    'Dr. Smith paid $3.50 today.',
    'J. R. R. Tolkien wrote it!',
    'Did he?',
    'Yes.',
  ]);
});

test('c4: five sentences kept, four rejected (too_few_sentences)', () => {
  const five = [0, 1, 2, 3, 4].map(sentence).join('\n');
  assert.equal(run(c4, five)[0], undefined);
  assert.equal(run(c4, [0, 1, 2, 3].map(sentence).join('\n'))[0], 'too_few_sentences');
  // two sentences on one line count as two
  assert.equal(run(c4, `${sentence(0)} ${sentence(1)}\n${[2, 3, 4].map(sentence).join('\n')}`)[0], undefined);
});

test('c4: lines without terminal punctuation, ending in "...", or with < 3 words are dropped', () => {
  const five = [0, 1, 2, 3, 4].map(sentence);
  const [r, text, counters] = run(
    c4,
    [...five, 'Menu Home About', 'And then it went on...', 'Two words.', 'Three words here.'].join('\n'),
  );
  assert.equal(r, undefined);
  assert.equal(text, [...five, 'Three words here.'].join('\n'));
  assert.equal(counters['line-filter-no_terminal_punc'], 2);
  assert.equal(counters['line-filter-too_few_words'], 1);
  assert.equal(counters['line-kept'], 6);
  // with the rule off (FineWeb's setting) the unpunctuated line stays
  const [, t2] = run(c4Quality({ filter_no_terminal_punct: false }), [...five, 'Menu Home About'].join('\n'));
  assert.ok(t2.endsWith('Menu Home About'));
});

test('c4: a word of 1000 chars is fine, 1001 drops the line; citations are removed', () => {
  const five = [0, 1, 2, 3, 4].map(sentence);
  const [, t1] = run(c4, [...five, `A ${'w'.repeat(1000)} word.`].join('\n'));
  assert.ok(t1.includes('w'.repeat(1000)));
  const [, t2, c2] = run(c4, [...five, `A ${'w'.repeat(1001)} word.`].join('\n'));
  assert.ok(!t2.includes('wwww'));
  assert.equal(c2['line-filter-too_long_word'], 1);
  const [, t3] = run(c4, [...five.slice(1), 'The war ended in 1945.[12] Peace came.[citation needed]'].join('\n'));
  assert.ok(t3.endsWith('The war ended in 1945. Peace came.'));
});

test('c4: lorem ipsum and "{" reject the document; javascript and policy lines are dropped', () => {
  const five = [0, 1, 2, 3, 4].map(sentence);
  assert.equal(run(c4, [...five, 'Lorem ipsum dolor sit amet.'].join('\n'))[0], 'lorem_ipsum');
  assert.equal(run(c4, [...five, 'We use code like f() { return 1; } here.'].join('\n'))[0], 'curly_bracket');
  const [r, text, c] = run(
    c4,
    [...five, 'Please enable JavaScript to view this.', 'Read our Privacy Policy for details.'].join('\n'),
  );
  assert.equal(r, undefined);
  assert.equal(text, five.join('\n'));
  assert.equal(c['line-filter-javascript'], 1);
  assert.equal(c['line-filter-policy'], 1);
  // order matters: a lorem ipsum line that is dropped earlier (no punctuation) does not reject
  assert.equal(run(c4, [...five, 'lorem ipsum dolor sit amet'].join('\n'))[0], undefined);
});

test('c4 bad words: whole-word match, no bundled list', () => {
  const f = c4BadWords({ words: ['badword'] });
  assert.equal(run(f, 'This has a BadWord in it.')[0], 'document_removed_with_badwords');
  assert.equal(run(f, 'This has badwording in it.')[0], undefined);
  assert.throws(() => c4BadWords({}), ConfigError);
});

const longLine = (i: number, end = '.'): string => `${distinctWords(6, 6, i * 6).join(' ')}${end}`; // 41 chars + end

test('fineweb: terminal-punctuation line ratio 3/25 kept, 2/25 rejected', () => {
  const lines = (k: number): string => Array.from({ length: 25 }, (_, i) => longLine(i, i < k ? '.' : '')).join('\n');
  const f = finewebQuality();
  assert.equal(run(f, lines(3))[0], undefined);
  assert.equal(run(f, lines(2))[0], 'line_punct_ratio');
  // blank lines are not lines
  assert.equal(run(finewebQuality({ new_line_ratio: 1 }), lines(3).replace(/\n/g, '\n\n'))[0], undefined);
});

test('fineweb: short-line ratio 67/100 kept, 68/100 rejected (<= 30 chars is short)', () => {
  const short = (i: number): string => `${distinctWords(3, 5, i * 3).join(' ')}.`; // 18 chars
  const lines = (k: number): string =>
    Array.from({ length: 100 }, (_, i) => (i < k ? short(i) : longLine(i))).join('\n');
  const f = finewebQuality();
  assert.equal(run(f, lines(67))[0], undefined);
  assert.equal(run(f, lines(68))[0], 'short_line_ratio');
  const exactly30 = `${'a'.repeat(29)}.`;
  assert.equal(exactly30.length, 30);
});

test('fineweb: duplicated-line chars 15/1500 kept, 15/1499 rejected', () => {
  const dup = 'Same line here.'; // 15 chars
  const build = (total: number): string => {
    const lines = [dup, dup];
    let used = 30;
    let i = 0;
    while (total - used > 60) {
      const l = longLine(i++);
      lines.push(l);
      used += l.length;
    }
    const rest = total - used;
    lines.push(`${'q'.repeat(rest - 1)}.`);
    return lines.join('\n');
  };
  const t1500 = build(1500);
  assert.equal(t1500.replace(/\n/g, '').length, 1500);
  const f = finewebQuality();
  assert.equal(run(f, t1500)[0], undefined);
  assert.equal(run(f, build(1499))[0], 'char_dup_ratio');
});

test('fineweb: newline-per-word ratio 3/10 kept, 4/10 rejected', () => {
  const f = finewebQuality({ line_punct_thr: 0, short_line_thr: 1, char_duplicates_ratio: 1 });
  const t = 'alpha beta gamma\ndelta epsilon zeta\neta theta iota\nkappa';
  assert.equal(run(f, t)[0], undefined);
  assert.equal(run(f, t + '\n')[0], 'list_ratio');
});
