/**
 * Pipeline behaviour with hand-derived expectations (Hugging Face semantics): offsets into the
 * original text, post-processors and type ids, truncation with stride, padding, batches,
 * alignment through normalizers, and the streaming decoder.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  BertProcessing,
  Lowercase,
  NormalizedString,
  RobertaProcessing,
  TemplateProcessing,
  UnicodeNormalizer,
  Tokenizer,
  WordLevel,
  WhitespaceSplit,
  bertTokenizerFromVocab,
  loadTiktoken,
  BPE,
  ByteFallbackDecoder,
  FuseDecoder,
  DecoderSequence,
  Metaspace,
  MetaspaceDecoder,
} from '../../src/tokenizers/index.ts';
import { parseTemplate } from '../../src/tokenizers/post-processors/template.ts';
import { bertUncasedVocab, NM, TEXTS } from './helpers.ts';

let bert: Tokenizer;
let gpt2: Tokenizer;
before(() => {
  bert = bertTokenizerFromVocab(bertUncasedVocab());
  gpt2 = loadTiktoken(join(NM, 'gpt-tokenizer', 'data', 'r50k_base.tiktoken'));
});

describe('offsets into the original text', () => {
  it('BERT: punctuation, accents (normalized away), CJK', () => {
    const e = bert.encode('Hello, World! Héllo 中文');
    assert.deepEqual(e.tokens, ['[CLS]', 'hello', ',', 'world', '!', 'hello', '中', '文', '[SEP]']);
    assert.deepEqual(e.offsets, [
      [0, 0],
      [0, 5],
      [5, 6],
      [7, 12],
      [12, 13],
      [14, 19],
      [20, 21],
      [21, 22],
      [0, 0],
    ]);
    assert.deepEqual(e.specialTokensMask, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(e.wordIds, [null, 0, 1, 2, 3, 4, 5, 6, null]);
  });

  it('BERT: word pieces split a word, [UNK] spans the whole word', () => {
    const text = 'unaffable 😀x';
    const e = bert.encode(text, null, { addSpecialTokens: false });
    assert.deepEqual(e.tokens, ['una', '##ffa', '##ble', '[UNK]']);
    assert.deepEqual(
      e.offsets.map(([s, t]) => text.slice(s, t)),
      ['una', 'ffa', 'ble', '😀x'],
    );
  });

  it('GPT-2: every token maps to its text; split characters map to the whole character', () => {
    const text = 'Hello  wörld 😀!';
    const e = gpt2.encode(text);
    assert.deepEqual(e.tokens, ['Hello', 'Ġ', 'Ġw', 'Ã¶r', 'ld', 'ĠðŁĺ', 'Ģ', '!']);
    // 'ĠðŁĺ' holds the space and 3 of the emoji's 4 bytes, 'Ģ' the last: both span the emoji
    assert.deepEqual(
      e.offsets.map(([s, t]) => text.slice(s, t)),
      ['Hello', ' ', ' w', 'ör', 'ld', ' 😀', '😀', '!'],
    );
  });

  it('GPT-2: offsets cover the text in order and match each whole-character token (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const e = gpt2.encode(text);
        let prevEnd = 0;
        e.ids.forEach((id, i) => {
          const [s, t] = e.offsets[i]!;
          assert.ok(s <= t && s >= 0 && t <= text.length);
          assert.ok(t >= prevEnd);
          prevEnd = t;
          const piece = gpt2.decode([id]);
          if (!piece.includes('\uFFFD')) assert.equal(text.slice(s, t), piece);
        });
        if (e.ids.length > 0) assert.equal(e.offsets[e.offsets.length - 1]![1], text.length);
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('normalizer alignment: NFD and lowercase expansions keep the source span', () => {
    const ns = NormalizedString.from('aéİb');
    new UnicodeNormalizer('NFD').normalize(ns);
    new Lowercase().normalize(ns);
    // é -> e + U+0301 (NFD), İ -> I + U+0307 (NFD) -> i + U+0307 (lowercase)
    assert.equal(ns.normalized, 'ae\u0301i\u0307b');
    assert.deepEqual([...ns.starts], [0, 1, 1, 2, 2, 3]);
    assert.deepEqual([...ns.ends], [1, 2, 2, 3, 3, 4]);
  });
});

describe('post-processors', () => {
  const vocab = new Map(['<s>', '</s>', '[CLS]', '[SEP]', 'a', 'b', 'c', '[PAD]'].map((t, i) => [t, i]));
  const make = (pp: Tokenizer['postProcessor']): Tokenizer =>
    new Tokenizer(new WordLevel(vocab, null), { preTokenizer: new WhitespaceSplit(), postProcessor: pp });

  it('BertProcessing: [CLS] A [SEP] B [SEP] with type ids 0..0 1..1', () => {
    const t = make(new BertProcessing(['[SEP]', 3], ['[CLS]', 2]));
    const e = t.encode('a b', 'c');
    assert.deepEqual(e.ids, [2, 4, 5, 3, 6, 3]);
    assert.deepEqual(e.typeIds, [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(e.specialTokensMask, [1, 0, 0, 1, 0, 1]);
    assert.deepEqual(e.sequenceIds, [null, 0, 0, null, 1, null]);
    assert.deepEqual(t.encodeIds('a b'), [2, 4, 5, 3]);
  });

  it('RobertaProcessing: <s> A </s> </s> B </s>, all type ids 0', () => {
    const t = make(new RobertaProcessing(['</s>', 1], ['<s>', 0]));
    const e = t.encode('a', 'b c');
    assert.deepEqual(e.ids, [0, 4, 1, 1, 5, 6, 1]);
    assert.deepEqual(e.typeIds, [0, 0, 0, 0, 0, 0, 0]);
  });

  it('TemplateProcessing with explicit type ids; addSpecialTokens: false skips specials', () => {
    const specials = new Map([
      ['<s>', { id: '<s>', ids: [0], tokens: ['<s>'] }],
      ['</s>', { id: '</s>', ids: [1], tokens: ['</s>'] }],
    ]);
    const t = make(
      new TemplateProcessing(parseTemplate('<s> $A </s>'), parseTemplate('<s>:0 $A:0 </s>:0 $B:1 </s>:1'), specials),
    );
    assert.deepEqual(t.encode('a b').ids, [0, 4, 5, 1]);
    const p = t.encode('a', 'b');
    assert.deepEqual(
      [p.ids, p.typeIds],
      [
        [0, 4, 1, 5, 1],
        [0, 0, 0, 1, 1],
      ],
    );
    assert.deepEqual(t.encode('a b', null, { addSpecialTokens: false }).ids, [4, 5]);
    assert.equal(t.numSpecialTokensToAdd(true), 3);
  });
});

describe('truncation and padding', () => {
  const text = 'the quick brown fox jumps over the lazy dog';

  it('right truncation with stride produces overlapping overflow windows, each with specials', () => {
    const t = bertTokenizerFromVocab(bertUncasedVocab());
    t.enableTruncation({ maxLength: 6, stride: 1 });
    const e = t.encode(text);
    // budget 6 - 2 specials = 4 tokens per window, step 4 - 1 = 3
    assert.deepEqual(e.tokens, ['[CLS]', 'the', 'quick', 'brown', 'fox', '[SEP]']);
    assert.deepEqual(
      e.overflowing.map((o) => o.tokens.slice(1, -1)),
      [
        ['fox', 'jumps', 'over', 'the'],
        ['the', 'lazy', 'dog'],
      ],
    );
    assert.ok(e.overflowing.every((o) => o.tokens[0] === '[CLS]' && o.tokens[o.tokens.length - 1] === '[SEP]'));
  });

  it('left truncation keeps the end', () => {
    const t = bertTokenizerFromVocab(bertUncasedVocab());
    t.enableTruncation({ maxLength: 5, direction: 'left' });
    assert.deepEqual(t.encode(text).tokens, ['[CLS]', 'the', 'lazy', 'dog', '[SEP]']);
  });

  it('longest_first on a pair takes from the longer side; only_second only from the pair', () => {
    const t = bertTokenizerFromVocab(bertUncasedVocab());
    t.enableTruncation({ maxLength: 9 });
    const e = t.encode('a b', text);
    // 9 - 3 specials = 6: n1 = 2 stays, n2 = 4
    assert.deepEqual(e.tokens, ['[CLS]', 'a', 'b', '[SEP]', 'the', 'quick', 'brown', 'fox', '[SEP]']);
    t.enableTruncation({ maxLength: 7, strategy: 'longest_first' });
    // both longer than 2: n1 = floor(4/2) = 2, n2 = 2
    assert.deepEqual(t.encode('one two three', text).tokens, ['[CLS]', 'one', 'two', '[SEP]', 'the', 'quick', '[SEP]']);
    t.enableTruncation({ maxLength: 7, strategy: 'only_second' });
    assert.deepEqual(t.encode('a b', text).tokens, ['[CLS]', 'a', 'b', '[SEP]', 'the', 'quick', '[SEP]']);
    t.enableTruncation({ maxLength: 7, strategy: 'only_first' });
    assert.throws(() => t.encode('a b', text), /too short/);
  });

  it('padding: batch longest, right and left, multiple of, attention mask', () => {
    const t = bertTokenizerFromVocab(bertUncasedVocab());
    t.enablePadding();
    const [a, b] = t.encodeBatch(['hello', 'hello world again']);
    assert.deepEqual(a!.ids, [101, 7592, 102, 0, 0]);
    assert.deepEqual(a!.attentionMask, [1, 1, 1, 0, 0]);
    assert.deepEqual(b!.attentionMask, [1, 1, 1, 1, 1]);
    t.enablePadding({ direction: 'left', padToMultipleOf: 4 });
    const [c] = t.encodeBatch(['hello']);
    assert.deepEqual(c!.ids, [0, 101, 7592, 102]);
    assert.deepEqual(c!.tokens[0], '[PAD]');
    assert.deepEqual(c!.offsets[0], [0, 0]);
    t.enablePadding({ strategy: { fixed: 6 } });
    assert.deepEqual(t.encode('hello').ids, [101, 7592, 102, 0, 0, 0]);
    assert.equal(t.padId, 0);
  });
});

describe('streaming decode', () => {
  it('never emits half a character, and the deltas add up to decode(all)', () => {
    for (const text of TEXTS) {
      const ids = gpt2.encodeIds(text);
      const dec = gpt2.createStreamDecoder({ skipSpecialTokens: false });
      let out = '';
      for (const id of ids) {
        const d = dec.push(id);
        assert.ok(!d.includes('\uFFFD'), JSON.stringify(text.slice(0, 30)));
        out += d;
      }
      out += dec.flush();
      assert.equal(out, text);
    }
  });

  it('works with byte fallback + Metaspace (SentencePiece-style pipeline)', () => {
    const pieces = [
      '<unk>',
      ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`),
      '\u2581',
      'a',
      'b',
      '\u2581a',
      '\u2581ab',
    ];
    const vocab = new Map(pieces.map((p, i) => [p, i]));
    const model = new BPE(
      vocab,
      [
        ['\u2581', 'a'],
        ['\u2581a', 'b'],
      ],
      { byteFallback: true, unkToken: '<unk>', fuseUnk: true },
    );
    const t = new Tokenizer(model, {
      preTokenizer: new Metaspace('\u2581', 'always', true),
      decoder: new DecoderSequence([
        new MetaspaceDecoder('\u2581', 'always', true),
        new ByteFallbackDecoder(),
        new FuseDecoder(),
      ]),
    });
    const text = 'ab a 中😀 b';
    const ids = t.encodeIds(text);
    assert.equal(t.decode(ids), text);
    const dec = t.createStreamDecoder();
    let out = '';
    for (const id of ids) {
      const d = dec.push(id);
      assert.ok(!d.includes('\uFFFD'));
      out += d;
    }
    assert.equal(out + dec.flush(), text);
  });
});
