/**
 * Model options with hand-derived expectations (Hugging Face semantics): BPE dropout (seeded,
 * with the skip distribution worked out below), continuing_subword_prefix, ignore_merges,
 * byte_fallback, unk fusing; WordPiece's longest match and max_input_chars_per_word; WordLevel.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BPE, WordLevel, WordPiece } from '../../src/tokenizers/index.ts';

const vocabOf = (tokens: string[]): Map<string, number> => new Map(tokens.map((t, i) => [t, i]));
const values = (m: { tokenize(s: string): { value: string }[] }, s: string): string[] =>
  m.tokenize(s).map((t) => t.value);

describe('BPE options', () => {
  const abc = (): Map<string, number> => vocabOf(['a', 'b', 'c', 'ab', 'abc']);
  const merges: [string, string][] = [
    ['a', 'b'],
    ['ab', 'c'],
  ];

  it('merges by rank; dropout 0 = no dropout; dropout 1 keeps characters', () => {
    assert.deepEqual(values(new BPE(abc(), merges), 'abc'), ['abc']);
    assert.deepEqual(values(new BPE(abc(), merges, { dropout: 0 }), 'abc'), ['abc']);
    assert.deepEqual(values(new BPE(abc(), merges, { dropout: 1 }), 'abc'), ['a', 'b', 'c']);
  });

  it('dropout 0.5: seeded and reproducible; P(abc) = 1/4, P(ab c) = 1/4, P(a b c) = 1/2', () => {
    // each pop is skipped with p = 0.5 and a skip with nothing else queued ends the merging:
    // (a b) skipped -> a b c; else (ab c) skipped -> ab c; else abc
    const run = (seed: number): string[] => {
      const m = new BPE(abc(), merges, { dropout: 0.5, seed });
      return Array.from({ length: 4000 }, () => values(m, 'abc').join(' '));
    };
    const a = run(1);
    assert.deepEqual(a, run(1));
    const freq = (s: string): number => a.filter((x) => x === s).length / a.length;
    assert.ok(Math.abs(freq('abc') - 0.25) < 0.03, `abc ${freq('abc')}`);
    assert.ok(Math.abs(freq('ab c') - 0.25) < 0.03, `ab c ${freq('ab c')}`);
    assert.ok(Math.abs(freq('a b c') - 0.5) < 0.03, `a b c ${freq('a b c')}`);
  });

  it('continuing_subword_prefix: non-initial characters carry ##, merges strip it', () => {
    const m = new BPE(
      vocabOf(['a', '##b', '##c', 'ab', 'abc']),
      [
        ['a', '##b'],
        ['ab', '##c'],
      ],
      { continuingSubwordPrefix: '##' },
    );
    assert.deepEqual(values(m, 'abc'), ['abc']);
    assert.deepEqual(values(m, 'ac'), ['a', '##c']);
  });

  it('ignore_merges: a word in the vocab is taken whole', () => {
    const v = vocabOf(['a', 'b', 'c', 'ab', 'abc']);
    assert.deepEqual(values(new BPE(v, [['a', 'b']]), 'abc'), ['ab', 'c']);
    assert.deepEqual(values(new BPE(v, [['a', 'b']], { ignoreMerges: true }), 'abc'), ['abc']);
  });

  it('byte_fallback: missing characters become <0xNN> tokens spanning the character', () => {
    const v = vocabOf(['<unk>', 'a', '<0xC3>', '<0xA9>']);
    const m = new BPE(v, [], { byteFallback: true, unkToken: '<unk>' });
    const t = m.tokenize('aéa');
    assert.deepEqual(
      t.map((x) => x.value),
      ['a', '<0xC3>', '<0xA9>', 'a'],
    );
    assert.deepEqual(
      t.map((x) => x.offsets),
      [
        [0, 1],
        [1, 2],
        [1, 2],
        [2, 3],
      ],
    );
    // a byte missing from the vocab: the character becomes unk
    assert.deepEqual(values(m, 'aü'), ['a', '<unk>']);
  });

  it('unk: one per unknown character, or fused runs with fuse_unk', () => {
    const v = vocabOf(['<unk>', 'a']);
    assert.deepEqual(values(new BPE(v, [], { unkToken: '<unk>' }), 'azza'), ['a', '<unk>', '<unk>', 'a']);
    assert.deepEqual(values(new BPE(v, [], { unkToken: '<unk>', fuseUnk: true }), 'azza'), ['a', '<unk>', 'a']);
    assert.deepEqual(new BPE(v, [], { unkToken: '<unk>', fuseUnk: true }).tokenize('azza')[1]!.offsets, [1, 3]);
  });

  it('long words merge the same through the heap path as through the linear path', () => {
    const v = vocabOf(['a', 'aa', 'aaaa']);
    const m = new BPE(v, [
      ['a', 'a'],
      ['aa', 'aa'],
    ]);
    const ids: number[] = [];
    m.encodeIds('a'.repeat(1001), ids);
    // 1001 = 250 x 'aaaa' + 'a'
    assert.equal(ids.length, 251);
    assert.deepEqual(ids.slice(0, 2), [2, 2]);
    assert.equal(ids[250], 0);
    const short: number[] = [];
    m.encodeIds('a'.repeat(9), short);
    assert.deepEqual(short, [2, 2, 0]);
  });
});

describe('WordPiece', () => {
  const v = vocabOf(['[UNK]', 'un', 'unaff', '##aff', '##able', '##a', '##ble', 'a']);
  it('greedy longest match first', () => {
    const m = new WordPiece(v);
    assert.deepEqual(values(m, 'unaffable'), ['unaff', '##able']);
    assert.deepEqual(values(m, 'unaffa'), ['unaff', '##a']);
    assert.deepEqual(
      m.tokenize('unaffable').map((t) => t.offsets),
      [
        [0, 5],
        [5, 9],
      ],
    );
  });
  it('an uncoverable word, or one longer than max_input_chars_per_word, is one [UNK]', () => {
    const m = new WordPiece(v, { maxInputCharsPerWord: 8 });
    assert.deepEqual(values(m, 'unx'), ['[UNK]']);
    assert.deepEqual(values(m, 'unaffable'), ['[UNK]']);
    assert.deepEqual(m.tokenize('unaffable')[0]!.offsets, [0, 9]);
  });
});

describe('WordLevel', () => {
  it('whole-word lookup with unk, or an error without one', () => {
    assert.deepEqual(values(new WordLevel(vocabOf(['<unk>', 'hi']), '<unk>'), 'yo'), ['<unk>']);
    assert.throws(() => new WordLevel(vocabOf(['hi'])).tokenize('yo'), /no unk token/);
  });
});
