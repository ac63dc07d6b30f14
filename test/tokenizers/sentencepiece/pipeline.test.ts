/**
 * The pipeline form of SentencePiece models: loadTokenizer on a `.model` gives SentencePiece's
 * ids (fixtures from real SentencePiece 0.1.97) through both encode paths; tokenizer.json and
 * .model round trips keep them; Hugging Face's JS port reads the tokenizer.json we write and agrees
 * on plain text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { FormatError } from '../../../src/core/errors.ts';
import type { JsonValue } from '../../../src/tokenizers/config-reader.ts';
import { loadTokenizer, tokenizerFromJson, type Tokenizer } from '../../../src/tokenizers/index.ts';
import { saveSentencePieceModel, SentencePieceProcessor } from '../../../src/tokenizers/sentencepiece/index.ts';
import { loadExpected, modelBytes, type Case, type Expected } from './fixtures.ts';

const RAW = { allowedSpecial: 'none', addSpecialTokens: false } as const;
const names = Object.keys(loadExpected().models) as (keyof Expected['models'])[];

/**
 * Loaded back from tokenizer.json, a model follows Hugging Face's semantics, where control pieces
 * (<s>, <cls>) are ordinary vocabulary entries: text spelling them out literally (with special
 * tokens disabled) then differs from SentencePiece, which never matches control pieces in text.
 */
const spellsControl = (t: string): boolean => /<s>|<\/s>|<cls>/.test(t);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmts-spm-pipe-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const name of names) {
  describe(`pipeline ${name}`, () => {
    const fixture = loadExpected().models[name];
    let fromModel: Tokenizer;
    let fromJson: Tokenizer;
    before(() => {
      const path = join(dir, `${name}.model`);
      writeFileSync(path, modelBytes(name));
      fromModel = loadTokenizer(path);
      const json = join(dir, `${name}.json`);
      fromModel.save(json);
      fromJson = loadTokenizer(json);
    });

    it('loadTokenizer(.model) gives SentencePiece ids on both encode paths', () => {
      for (const c of fixture.cases) {
        assert.deepEqual(fromModel.encode(c.text, null, RAW).ids, c.ids, JSON.stringify(c.text));
        assert.deepEqual(fromModel.encodeIds(c.text, RAW), c.ids, JSON.stringify(c.text));
        // by default too (issue 15): control pieces spelled in the text stay text, as SentencePiece
        const plain = { addSpecialTokens: false } as const;
        assert.deepEqual(fromModel.encode(c.text, null, plain).ids, c.ids, JSON.stringify(c.text));
        assert.deepEqual(fromModel.encodeIds(c.text, plain), c.ids, JSON.stringify(c.text));
      }
    });

    it('decodes as SentencePiece except that <unk> is skipped like every special token', () => {
      for (const c of fixture.cases)
        assert.equal(fromModel.decode(c.ids), c.decoded.replaceAll(' \u2047 ', ''), JSON.stringify(c.text));
    });

    it('tokenizer.json round trip keeps the ids', () => {
      for (const c of fixture.cases) {
        if (spellsControl(c.text)) continue;
        assert.deepEqual(fromJson.encode(c.text, null, RAW).ids, c.ids, JSON.stringify(c.text));
        assert.deepEqual(fromJson.encodeIds(c.text, RAW), c.ids, JSON.stringify(c.text));
      }
      // tokenizer.json follows HF (specials in the text matched by default); the .model form
      // gives the same ids when the call allows them
      for (const c of fixture.cases)
        assert.deepEqual(
          fromJson.encode(c.text).ids,
          fromModel.encode(c.text, null, { allowedSpecial: 'all' }).ids,
          JSON.stringify(c.text),
        );
    });

    it('tokenizer.json -> .model gives SentencePiece exact again', () => {
      const path = join(dir, `${name}-back.model`);
      saveSentencePieceModel(fromJson, path);
      const sp = SentencePieceProcessor.load(path);
      for (const c of fixture.cases) assert.deepEqual(sp.encodeIds(c.text), c.ids, JSON.stringify(c.text));
      assert.equal(
        sp.proto.normalizerSpec.removeExtraWhitespaces,
        fixture.train_args['remove_extra_whitespaces'] ?? true,
      );
    });
  });
}

describe("Hugging Face's JS port reads our tokenizer.json", () => {
  it('and gives the same ids on plain text', () => {
    const fixture = loadExpected().models['unigram-en'];
    const path = join(dir, 'hf.model');
    writeFileSync(path, modelBytes('unigram-en'));
    const hf = new HfTokenizer(loadTokenizer(path).toJSON() as ConstructorParameters<typeof HfTokenizer>[0], {});
    // its port lacks what these need: unknown characters (it splits astral ones), empty
    // normalized text (it still prepends '▁'), special tokens in the text, and float32 sums (it
    // adds scores in float64, so near-ties such as '.' + '...' vs '...' + '.' can go the other way)
    const plain = (c: Case): boolean =>
      !c.ids.includes(0) && c.ids.length > 0 && !/<\/?\w+>/.test(c.text) && !/([.!?-])\1\1\1/.test(c.text);
    const cases = fixture.cases.filter(plain);
    assert.ok(cases.length >= 20);
    for (const c of cases)
      assert.deepEqual(hf.encode(c.text, { add_special_tokens: false }).ids, c.ids, JSON.stringify(c.text));
  });
});

describe('malformed Unigram / Precompiled sections of tokenizer.json', () => {
  const load = (section: Record<string, unknown>): unknown => tokenizerFromJson(section as JsonValue, 'bad.json');
  const unigram = {
    type: 'Unigram',
    unk_id: 0,
    vocab: [
      ['<unk>', 0],
      ['a', -1],
    ],
  };
  const field = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof FormatError, String(err));
      assert.equal(err.file, 'bad.json');
      return err.field;
    }
    assert.fail('expected a FormatError');
  };
  it('names the broken field', () => {
    assert.equal(
      field(() =>
        load({
          model: {
            ...unigram,
            vocab: [
              ['<unk>', 0],
              ['a', 'x'],
            ],
          },
        }),
      ),
      'model.vocab[1]',
    );
    assert.equal(
      field(() => load({ model: { ...unigram, vocab: {} } })),
      'model.vocab',
    );
    assert.equal(
      field(() => load({ model: { ...unigram, unk_id: 7 } })),
      'model.unk_id',
    );
    assert.equal(
      field(() => load({ model: { ...unigram, byte_fallback: true } })),
      'model.vocab',
    );
    const pre = (charsmap: string): unknown =>
      load({ model: unigram, normalizer: { type: 'Precompiled', precompiled_charsmap: charsmap } });
    assert.equal(
      field(() => pre('not base64!')),
      'normalizer.precompiled_charsmap',
    );
    assert.equal(
      field(() => pre(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4]).toString('base64'))),
      'normalizer.precompiled_charsmap',
    );
    assert.doesNotThrow(() => pre(''));
  });
});
