/**
 * Our SentencePiece trainers against real SentencePiece 0.1.97 trained on the same corpora
 * (fixtures): held-out compression (tokens per byte) within 2%, and most pieces shared; the CJK
 * case with character coverage, byte fallback and user/control symbols; train -> save (.model and
 * tokenizer.json) -> load round trips; never out of vocabulary with byte fallback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError } from '../../../src/core/errors.ts';
import { loadTokenizer, getTrainer } from '../../../src/tokenizers/index.ts';
import {
  saveSentencePieceModel,
  SentencePieceProcessor,
  trainSentencePiece,
} from '../../../src/tokenizers/sentencepiece/index.ts';
import { loadExpected, modelBytes, nlpDocs, sha256, tokensPerByte, zhMessages, type Expected } from './fixtures.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmts-spm-train-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function overlap(a: SentencePieceProcessor, b: SentencePieceProcessor): number {
  const set = new Set(b.pieces);
  return a.pieces.filter((p) => set.has(p)).length / b.pieces.length;
}

interface Trained {
  name: keyof Expected['models'];
  sp: SentencePieceProcessor;
  heldout: string;
}
const trained: Trained[] = [];

describe('trainers vs SentencePiece on the same corpus', () => {
  const en = nlpDocs(0, 2);
  const enHeld = nlpDocs(3, 3);
  const zh = zhMessages(0, 1500);
  const zhHeld = zhMessages(1500, 1800);

  it('rebuilds the fixture corpora', () => {
    const m = loadExpected().models;
    assert.equal(sha256(en), m['unigram-en'].corpus_sha256);
    assert.equal(sha256(enHeld), m['unigram-en'].heldout_sha256);
    assert.equal(sha256(zh), m['unigram-zh'].corpus_sha256);
    assert.equal(sha256(zhHeld), m['unigram-zh'].heldout_sha256);
  });

  const cases: { name: keyof Expected['models']; train: () => Promise<SentencePieceProcessor>; held: () => string }[] =
    [
      {
        name: 'unigram-en',
        train: () => trainSentencePiece({ sentences: en.split('\n'), vocabSize: 2000 }),
        held: () => enHeld,
      },
      {
        name: 'bpe-en',
        train: async () => {
          const path = join(dir, 'en.txt');
          writeFileSync(path, en);
          return trainSentencePiece({
            input: [path],
            modelType: 'bpe',
            vocabSize: 2000,
            normalizationRuleName: 'identity',
            removeExtraWhitespaces: false,
            byteFallback: true,
            userDefinedSymbols: ['<br>'],
          });
        },
        held: () => enHeld,
      },
      {
        name: 'unigram-zh',
        train: () =>
          trainSentencePiece({
            sentences: zh.split('\n'),
            vocabSize: 3000,
            normalizationRuleName: 'identity',
            byteFallback: true,
            userDefinedSymbols: ['<sep>'],
            controlSymbols: ['<cls>'],
          }),
        held: () => zhHeld,
      },
    ];

  for (const c of cases) {
    it(`${c.name}: compression within 2% of SentencePiece's, same vocabulary layout`, async () => {
      const fixture = loadExpected().models[c.name];
      const sp = await c.train();
      const ref = SentencePieceProcessor.fromBytes(modelBytes(c.name));
      const ours = tokensPerByte((l) => sp.encodeIds(l), c.held());
      const ratio = ours / fixture.heldout_tokens_per_byte;
      assert.ok(
        Math.abs(ratio - 1) <= 0.02,
        `tokens/byte ${ours.toFixed(5)} vs SentencePiece ${fixture.heldout_tokens_per_byte.toFixed(5)}`,
      );
      assert.equal(sp.vocabSize, ref.vocabSize);
      // meta pieces, user/control symbols and byte pieces at SentencePiece's ids
      for (let id = 0; id < ref.vocabSize; id++)
        if (ref.types[id] !== 1) assert.equal(sp.pieces[id], ref.pieces[id], `meta piece ${id}`);
      assert.ok(overlap(sp, ref) > 0.95, `only ${(100 * overlap(sp, ref)).toFixed(1)}% of SentencePiece's pieces`);
      trained.push({ name: c.name, sp, heldout: c.held() });
    });
  }

  it('applies character coverage: rare CJK characters stay out and fall back to bytes', () => {
    const zhModel = trained.find((t) => t.name === 'unigram-zh')!.sp;
    const ref = SentencePieceProcessor.fromBytes(modelBytes('unigram-zh'));
    const alphabet = (s: SentencePieceProcessor): Set<string> =>
      new Set(s.pieces.filter((p, i) => s.types[i] === 1 && [...p].length === 1));
    assert.deepEqual([...alphabet(zhModel)].sort(), [...alphabet(ref)].sort());
    assert.deepEqual(zhModel.encodePieces('龘').slice(1), ['<0xE9>', '<0xBE>', '<0x98>']);
  });
});

describe('trained models round trip', () => {
  it('through .model and tokenizer.json, with identical encodings', () => {
    assert.equal(trained.length, 3, 'the training tests ran first');
    for (const { name, sp, heldout } of trained) {
      const lines = heldout
        .split('\n')
        .filter((l) => l.length > 0)
        .slice(0, 200);
      lines.push('  odd   spacing\there ', 'ＦＵＬＬ ﬁ ☃☃ 👍🏽', '');
      const modelPath = join(dir, `${name}.model`);
      sp.save(modelPath);
      const back = SentencePieceProcessor.load(modelPath);
      const tok = loadTokenizer(modelPath);
      const jsonPath = join(dir, `${name}.json`);
      sp.toTokenizer().save(jsonPath);
      const fromJson = loadTokenizer(jsonPath);
      const modelAgain = join(dir, `${name}-again.model`);
      saveSentencePieceModel(fromJson, modelAgain);
      const again = SentencePieceProcessor.load(modelAgain);
      const raw = { allowedSpecial: 'none', addSpecialTokens: false } as const;
      for (const l of lines) {
        const want = sp.encodeIds(l);
        assert.deepEqual(back.encodeIds(l), want, `${name} .model ${JSON.stringify(l)}`);
        assert.deepEqual(tok.encodeIds(l, raw), want, `${name} pipeline ${JSON.stringify(l)}`);
        assert.deepEqual(fromJson.encodeIds(l, raw), want, `${name} tokenizer.json ${JSON.stringify(l)}`);
        assert.deepEqual(again.encodeIds(l), want, `${name} tokenizer.json -> .model ${JSON.stringify(l)}`);
      }
    }
  });

  it('never goes out of vocabulary with byte fallback: decode(encode(x)) == x', () => {
    const models = trained.filter((t) => t.name !== 'unigram-en').map((t) => t.sp);
    models.push(SentencePieceProcessor.fromBytes(modelBytes('bpe-en')));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (x) => {
        // '▁' is the space symbol itself; lone surrogates have no UTF-8 (they become U+FFFD)
        const text = x.replaceAll('\u2581', '').replace(/[\ud800-\udfff]/gu, '');
        for (const sp of models) {
          const ids = sp.encodeIds(text);
          assert.ok(!ids.includes(sp.unkId), `unk in ${JSON.stringify(text)}`);
          // identity normalization: only the rules of whitespace change the text
          const ws = sp.proto.normalizerSpec.removeExtraWhitespaces
            ? text.replace(/ +/g, ' ').replace(/^ | $/g, '')
            : text;
          assert.equal(sp.decode(ids), ws);
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('trainer options', () => {
  it('rejects what cannot be trained, naming the option', async () => {
    await assert.rejects(trainSentencePiece({ sentences: ['abc'], vocabSize: 0 }), ConfigError);
    await assert.rejects(
      trainSentencePiece({ sentences: ['abc abc'], vocabSize: 5 }),
      (e: unknown) => e instanceof ConfigError && e.field === 'vocab_size',
    );
    await assert.rejects(trainSentencePiece({ sentences: ['hello world'], vocabSize: 500 }), /supports only/);
    await assert.rejects(
      trainSentencePiece({ sentences: [''], vocabSize: 50 }),
      (e: unknown) => e instanceof ConfigError && e.field === 'input',
    );
    await assert.rejects(
      trainSentencePiece({ sentences: ['abc'], vocabSize: 50, characterCoverage: 1.5 }),
      ConfigError,
    );
  });

  it('returns fewer pieces without hard_vocab_limit', async () => {
    const sp = await trainSentencePiece({
      sentences: ['hello world', 'hello there'],
      vocabSize: 500,
      hardVocabLimit: false,
    });
    assert.ok(sp.vocabSize < 500 && sp.vocabSize > 10);
    assert.deepEqual(sp.decode(sp.encodeIds('hello world')), 'hello world');
  });

  it('is reachable through the trainer registry with a progress-friendly API', async () => {
    const path = join(dir, 'small.txt');
    writeFileSync(path, nlpDocs(5, 5));
    for (const name of ['unigram', 'spm-bpe']) {
      const entry = getTrainer(name);
      assert.ok(entry !== undefined, name);
      const tok = await entry.train([path], { vocabSize: 600, extra: { byte_fallback: true } });
      assert.equal(tok.vocabSize, 600);
      assert.equal(tok.decode(tok.encodeIds('Hello, world!', { addSpecialTokens: false })), 'Hello, world!');
    }
  });
});
