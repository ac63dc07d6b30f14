/**
 * Split delimiter behaviours, Metaspace prepend schemes and trainer alphabet options, with the
 * examples of Hugging Face's documentation (pre_tokenizers.Split: "the-final--countdown").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Metaspace,
  PreTokenizedString,
  Split,
  Tokenizer,
  WordLevel,
  trainBpeFromIterator,
  type BPE,
} from '../../src/tokenizers/index.ts';
import { regexPattern, stringPattern } from '../../src/tokenizers/pattern.ts';

const both = (p: Split | Metaspace, text: string): [string[], string[], [number, number][]] => {
  const pts = PreTokenizedString.fromText(text);
  p.preTokenize(pts);
  return [
    p.preTokenizeString(text),
    pts.splits.map((s) => s.normalized.normalized),
    pts.splits.map((s) => s.normalized.originalSpan()),
  ];
};

describe('Split behaviours (HF docs: "the-final--countdown" on "-")', () => {
  const text = 'the-final--countdown';
  const cases: [string, string[]][] = [
    ['Removed', ['the', 'final', 'countdown']],
    ['Isolated', ['the', '-', 'final', '-', '-', 'countdown']],
    ['MergedWithPrevious', ['the-', 'final-', '-', 'countdown']],
    ['MergedWithNext', ['the', '-final', '-', '-countdown']],
    ['Contiguous', ['the', '-', 'final', '--', 'countdown']],
  ];
  for (const [behavior, expected] of cases) {
    it(behavior, () => {
      const [fast, aligned, spans] = both(new Split(stringPattern('-'), behavior as 'Removed'), text);
      assert.deepEqual(fast, expected);
      assert.deepEqual(aligned, expected);
      assert.deepEqual(
        spans.map(([s, e]) => text.slice(s, e)),
        expected,
      );
    });
  }
  it('invert keeps the matches as the pieces', () => {
    const [fast, aligned] = both(new Split(regexPattern('[a-z]+'), 'Removed', true), text);
    assert.deepEqual(fast, ['the', 'final', 'countdown']);
    assert.deepEqual(aligned, ['the', 'final', 'countdown']);
    // Isolated keeps the gaps between matches too ('--' is one gap of [a-z]+)
    assert.deepEqual(both(new Split(regexPattern('[a-z]+'), 'Isolated', true), text)[0], [
      'the',
      '-',
      'final',
      '--',
      'countdown',
    ]);
  });
});

describe('Metaspace', () => {
  it("splits before each '▁' and prepends one (always / never)", () => {
    assert.deepEqual(both(new Metaspace('\u2581', 'always', true), 'Hello  world')[0], [
      '\u2581Hello',
      '\u2581',
      '\u2581world',
    ]);
    assert.deepEqual(both(new Metaspace('\u2581', 'never', true), 'Hello world')[0], ['Hello', '\u2581world']);
    assert.deepEqual(both(new Metaspace('\u2581', 'always', false), 'Hello world')[0], ['\u2581Hello\u2581world']);
  });

  it("prepend_scheme 'first' only prefixes the start of the input, not text after a special token", () => {
    const vocab = new Map(['<s>', '\u2581a', 'b', '\u2581b', 'a'].map((t, i) => [t, i]));
    const tok = new Tokenizer(new WordLevel(vocab, null), {
      preTokenizer: new Metaspace('\u2581', 'first', true),
      addedTokens: [
        { id: 0, content: '<s>', special: true, normalized: false, singleWord: false, lstrip: false, rstrip: false },
      ],
    });
    assert.deepEqual(tok.encode('a<s>b').tokens, ['\u2581a', '<s>', 'b']);
    assert.deepEqual(tok.encodeIds('a<s>b'), [1, 0, 2]);
    assert.deepEqual(tok.encode('a<s> b').tokens, ['\u2581a', '<s>', '\u2581b']);
  });
});

describe('BPE trainer alphabet options', () => {
  it('limitAlphabet keeps the most frequent characters; others never appear', () => {
    const tok = trainBpeFromIterator(['aaaa bbb cc d', 'aaaa bbb cc'], {
      vocabSize: 20,
      byteLevel: false,
      limitAlphabet: 2,
      unkToken: '[UNK]',
    });
    const vocab = (tok.model as BPE).vocab;
    assert.ok(vocab.has('a') && vocab.has('b'));
    assert.ok(!vocab.has('c') && !vocab.has('d'));
    assert.deepEqual(tok.tokenize('cab'), ['[UNK]', 'a', 'b']);
  });

  it('initialAlphabet characters are always in the vocabulary', () => {
    const tok = trainBpeFromIterator(['ab ab'], { vocabSize: 10, byteLevel: false, initialAlphabet: ['z', 'é'] });
    const vocab = (tok.model as BPE).vocab;
    assert.ok(vocab.has('z') && vocab.has('é'));
  });

  it('end_of_word_suffix marks word ends and decodes back to spaces', () => {
    const tok = trainBpeFromIterator(['low lower lowest', 'low low'], {
      vocabSize: 30,
      byteLevel: false,
      endOfWordSuffix: '</w>',
    });
    assert.ok((tok.model as BPE).vocab.has('low</w>'));
    assert.equal(tok.decode(tok.encodeIds('low lower')), 'low lower');
  });
});
