/**
 * SentencePieceProcessor against real SentencePiece 0.1.97 (fixtures written by
 * scripts/oracles/sentencepiece_fixtures.py): ids, pieces, offsets, decoding and n-best lists of
 * a Unigram model (nmt_nfkc: full-width, ligatures, whitespace runs, control characters), a
 * CJK Unigram model with byte fallback and user/control symbols, and a BPE model with byte
 * fallback and no whitespace removal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultNormalizerSpec,
  defaultTrainerSpec,
  SentencePieceProcessor,
} from '../../../src/tokenizers/sentencepiece/index.ts';
import { cpToUtf16, loadExpected, modelBytes, type Expected } from './fixtures.ts';

const names = Object.keys(loadExpected().models) as (keyof Expected['models'])[];

for (const name of names) {
  describe(`SentencePiece ${name}`, () => {
    const fixture = loadExpected().models[name];
    const sp = SentencePieceProcessor.fromBytes(modelBytes(name), fixture.file);

    it('loads the vocabulary', () => {
      assert.equal(sp.vocabSize, fixture.vocab_size);
      assert.equal(sp.idToPiece(0), '<unk>');
      assert.equal(sp.bosId, 1);
      assert.equal(sp.eosId, 2);
    });

    for (const c of fixture.cases) {
      it(`encodes ${JSON.stringify(c.text).slice(0, 50)}`, () => {
        const enc = sp.encode(c.text);
        assert.deepEqual(
          enc.map((p) => p.id),
          c.ids,
          'ids',
        );
        assert.deepEqual(
          enc.map((p) => p.piece),
          c.pieces,
          'pieces',
        );
        const want = c.offsets.map(([b, e]) => [cpToUtf16(c.text, b), cpToUtf16(c.text, e)]);
        assert.deepEqual(
          enc.map((p) => [p.start, p.end]),
          want,
          'offsets',
        );
        assert.deepEqual(sp.encodeIds(c.text), c.ids, 'encodeIds');
        assert.equal(sp.decode(c.ids), c.decoded, 'decode');
        if (c.nbest !== undefined)
          assert.deepEqual(
            sp.nbest(c.text, c.nbest.length).map((r) => r.ids),
            c.nbest,
            'n-best',
          );
      });
    }
  });
}

describe('SentencePiece decoding rules', () => {
  const sp = SentencePieceProcessor.fromBytes(modelBytes('bpe-en'));
  const hello = sp.encodeIds('Hello');
  const byteA = sp.pieceToId('<0x41>');
  const ws = sp.pieceToId('\u2581');
  // hand-checked against SentencePiece 0.1.97's DecodeIds
  it('drops the leading space of the first non-control piece only', () => {
    assert.equal(sp.decode([1, ...hello]), 'Hello');
    assert.equal(sp.decode([1, 1, ...hello]), 'Hello');
    assert.equal(sp.decode([ws, ws, ws, ...hello]), '   Hello');
    assert.equal(sp.decode([byteA, ...hello]), 'A Hello');
    assert.equal(sp.decode([byteA, ws, ...hello]), 'A  Hello');
  });
  it('decodes <unk> as its surface and invalid bytes as U+FFFD each', () => {
    assert.equal(sp.decode([0, ...hello]), ' \u2047  Hello');
    const e = (b: number): number => sp.pieceToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    assert.equal(sp.decode([e(0xe2), e(0x98), e(0x83)]), '☃');
    assert.equal(sp.decode([e(0xe2), e(0x98)]), '\ufffd\ufffd');
    assert.equal(sp.decode([e(0xff), e(0x41)]), '\ufffdA');
  });
  it('rejects ids outside the vocabulary', () => {
    assert.throws(() => sp.decode([sp.vocabSize]), /outside the vocabulary/);
  });
});

describe('WORD and CHAR models', () => {
  const make = (modelType: 'WORD' | 'CHAR', pieces: string[]): SentencePieceProcessor =>
    new SentencePieceProcessor({
      pieces: ['<unk>', '<s>', '</s>', ...pieces].map((piece, i) => ({
        piece,
        score: i < 3 ? 0 : -i,
        type: i === 0 ? 'UNKNOWN' : i < 3 ? 'CONTROL' : 'NORMAL',
      })),
      trainerSpec: { ...defaultTrainerSpec(), modelType },
      normalizerSpec: defaultNormalizerSpec(),
      denormalizerSpec: null,
    });
  it('CHAR: one piece per character, unknown ones merged', () => {
    const sp = make('CHAR', ['▁', 'a', 'b']);
    assert.deepEqual(sp.encodePieces('ab a'), ['▁', 'a', 'b', '▁', 'a']);
    assert.deepEqual(sp.encodeIds('a☃☃b'), [3, 4, 0, 5]);
  });
  it('WORD: one piece per whitespace-delimited word', () => {
    const sp = make('WORD', ['▁hello', '▁world']);
    assert.deepEqual(sp.encodeIds('hello  world'), [3, 4]);
    assert.deepEqual(sp.encodeIds('hello there world'), [3, 0, 4]);
    assert.equal(sp.decode([3, 4]), 'hello world');
  });
});
