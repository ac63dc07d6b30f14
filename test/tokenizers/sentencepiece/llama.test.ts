/**
 * LLaMA-1/2's tokenizer (SentencePiece BPE with byte fallback, 32000 pieces) from the vocabulary
 * and merges embedded in llama-tokenizer-js: identical ids to llama-tokenizer-js on English,
 * Chinese, emoji, code, whitespace runs and text that needs byte fallback, through the exact
 * SentencePiece processor, the pipeline, and the pipeline's tokenizer.json read back by the
 * core BPE model (merges by rank).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import llamaTokenizer from 'llama-tokenizer-js';
import { tokenizerFromJson, type Tokenizer } from '../../../src/tokenizers/index.ts';
import {
  bpeModelProtoFromMerges,
  SentencePieceProcessor,
  tokenizerFromModelProto,
} from '../../../src/tokenizers/sentencepiece/index.ts';
import { Generator } from '../../../src/core/random.ts';
import { nlpDocs } from './fixtures.ts';

interface LlamaJs {
  vocabById: string[];
  merges: Map<string, number>;
  encode(text: string, addBos?: boolean): number[];
  decode(ids: number[], addBos?: boolean): string;
}
const llama = llamaTokenizer as unknown as LlamaJs;
const reference = (t: string): number[] => (t.length === 0 ? [] : llama.encode(t, false));

const TEXTS = [
  'Hello world!',
  'The quick brown fox jumps over the lazy dog.',
  '你好，世界！我们今天去公园散步。',
  '日本語のテキストとカタカナ、ひらがな。',
  'emoji 👍🏽 🇯🇵 👨‍👩‍👧 🦙🦙🦙',
  'def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n',
  'a  b   c    d     e      f       g        h                         i',
  '\n\n\t\t  x \r\n',
  '     leading and trailing     ',
  'byte fallback: \u0000\u0001\u007f \u{10FFFF} 𝄞 𐍈 \uFFFD ﬁ',
  '<s> </s> <unk> <0x41> ▁▁ literal specials',
  'Ünïcödé àccents, Ελληνικά, Русский, עברית, العربية, हिन्दी, ไทย',
  'grabbed lowered unbelievable supercalifragilisticexpialidocious',
  'x',
  ' ',
];

describe('LLaMA SentencePiece BPE vs llama-tokenizer-js', () => {
  let sp: SentencePieceProcessor;
  let tok: Tokenizer;
  let fromJson: Tokenizer;
  before(() => {
    const merges = [...llama.merges.keys()].map((k) => k.split(' ') as [string, string]);
    const proto = bpeModelProtoFromMerges(llama.vocabById, merges, {
      unkPiece: '<unk>',
      controlPieces: ['<s>', '</s>'],
      byteFallback: true,
    });
    sp = new SentencePieceProcessor(proto);
    tok = tokenizerFromModelProto(proto);
    fromJson = tokenizerFromJson(tok.toJSON(), '<llama tokenizer.json>');
  });

  const check = (t: string): void => {
    const want = reference(t);
    const opts = { allowedSpecial: 'none', addSpecialTokens: false } as const;
    assert.deepEqual(sp.encodeIds(t), want, `processor ${JSON.stringify(t)}`);
    assert.deepEqual(tok.encodeIds(t, opts), want, `pipeline ${JSON.stringify(t)}`);
    assert.deepEqual(tok.encode(t, null, opts).ids, want, `pipeline encode ${JSON.stringify(t)}`);
    assert.deepEqual(fromJson.encodeIds(t, opts), want, `tokenizer.json ${JSON.stringify(t)}`);
  };

  it('uses LLaMA ids', () => {
    assert.deepEqual(sp.encodeIds('Hello world!'), [15043, 3186, 29991]);
    assert.equal(sp.vocabSize, 32000);
    assert.equal(sp.bosId, 1);
  });

  it('matches on hand-picked texts', () => {
    for (const t of TEXTS) check(t);
  });

  it('matches on 1000 corpus sentences', () => {
    const lines = nlpDocs(10, 10)
      .split('\n')
      .filter((l) => l.length > 0);
    for (const t of lines) check(t);
  });

  it('matches on random mixtures of whitespace, scripts, emoji and bytes', () => {
    const g = new Generator(7);
    const atoms = [
      'a',
      'b',
      'th',
      'ing',
      ' ',
      '  ',
      '\n',
      '\t',
      'é',
      '你',
      '好',
      '😀',
      '🇯🇵',
      '\u200d',
      'ﬁ',
      '<s>',
      '<0x41>',
      '\u2581',
      '\u0000',
      '1',
      '.',
      '\u{1F9D9}',
    ];
    for (let i = 0; i < 1500; i++) {
      let t = '';
      const n = 1 + g.randint(14);
      for (let k = 0; k < n; k++) t += atoms[g.randint(atoms.length)];
      check(t);
    }
  });

  it('matches on arbitrary unicode and round-trips through byte fallback', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 24 }), (t) => {
        check(t);
        assert.equal(sp.decode(sp.encodeIds(t)), t.length === 0 ? '' : t.replaceAll('\u2581', ' '));
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
