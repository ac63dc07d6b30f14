/**
 * Pipeline components against the same components of @huggingface/tokenizers (the JS port of
 * HF tokenizers), built from the JSON our components write: normalizers, pre-tokenizers and
 * decoders, on fixed and random strings. Both our fast string path and our alignment path
 * must give the reference's output.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as hfModule from '@huggingface/tokenizers';
import {
  BertPreTokenizer,
  ByteFallbackDecoder,
  ByteLevel,
  ByteLevelDecoder,
  DecoderSequence,
  Digits,
  FuseDecoder,
  Lowercase,
  Metaspace,
  MetaspaceDecoder,
  NormalizedString,
  NormalizerSequence,
  PreTokenizedString,
  PreTokenizerSequence,
  Prepend,
  Punctuation,
  Replace,
  ReplaceDecoder,
  Split,
  Strip,
  StripAccents,
  StripDecoder,
  UnicodeNormalizer,
  Whitespace,
  WhitespaceSplit,
  WordPieceDecoder,
  type Decoder,
  type Normalizer,
  type PreTokenizer,
} from '../../src/tokenizers/index.ts';
import { regexPattern, stringPattern } from '../../src/tokenizers/pattern.ts';
import { TEXTS } from './helpers.ts';

type HfCtor<T> = new (config: never) => T;
/** The JS port's component classes (its bundled .d.ts does not re-export them all). */
const hf = hfModule as unknown as Record<
  | 'BertPreTokenizer'
  | 'ByteLevelDecoder'
  | 'ByteLevelPreTokenizer'
  | 'DigitsPreTokenizer'
  | 'LowercaseNormalizer'
  | 'MetaspaceDecoder'
  | 'MetaspacePreTokenizer'
  | 'NFCNormalizer'
  | 'NFDNormalizer'
  | 'NFKCNormalizer'
  | 'NFKDNormalizer'
  | 'PrependNormalizer'
  | 'PunctuationPreTokenizer'
  | 'ReplaceDecoder'
  | 'ReplaceNormalizer'
  | 'SequenceDecoder'
  | 'SequenceNormalizer'
  | 'SequencePreTokenizer'
  | 'SplitPreTokenizer'
  | 'StripDecoder'
  | 'StripNormalizer'
  | 'WhitespacePreTokenizer'
  | 'WhitespaceSplitPreTokenizer'
  | 'WordPieceDecoder',
  never
>;
const unit = fc.constantFrom(
  'a',
  'B',
  'é',
  'e\u0301',
  'Å',
  'ﬁ',
  '①',
  '½',
  ' ',
  '  ',
  '\t',
  '\n',
  '.',
  ',',
  "'",
  '-',
  '$',
  '1',
  '23',
  '中',
  '😀',
  '▁',
  'İ',
  'ß',
  '\u00a0',
  'x',
  'hello',
  'WORLD',
);
const strings = fc.oneof(
  fc.array(unit, { maxLength: 20 }).map((a) => a.join('')),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
);

/** Inputs where the JS port is known to depart from the Rust library (we follow Rust). */
type Skip = (t: string) => boolean;
const none: Skip = () => false;
const empty: Skip = (t) => t.length === 0; // Rust never prepends to an empty string
const nonAscii: Skip = (t) => /[^\x00-\x7f]/.test(t); // JS port: ASCII \w; Rust: Unicode \w
const jsSpace: Skip = (t) => /[\u0085\ufeff]/.test(t); // JS \s vs Rust White_Space
const astral: Skip = (t) => /[\u{10000}-\u{10ffff}]/u.test(t); // JS port: UTF-16 units, no u flag
const punctRun: Skip = (t) => /[\p{P}!-/:-@[-`{-~]{2}/u.test(t); // JS port merges runs; Rust isolates each char
const notNd = (t: string): boolean => /[^\P{N}0-9]/u.test(t); // Rust is_numeric is \p{N}; the JS port ASCII \d
const any =
  (...fs: Skip[]): Skip =>
  (t) =>
    fs.some((f) => f(t));

function checkNormalizer(
  name: string,
  ours: Normalizer,
  Ref: HfCtor<{ normalize(s: string): string }>,
  skip: Skip = none,
): void {
  it(`normalizer ${name}`, () => {
    const ref = new Ref(ours.toJSON() as never);
    const check = (t: string): void => {
      if (skip(t)) return;
      const expected = ref.normalize(t);
      assert.equal(ours.normalizeString(t), expected, JSON.stringify(t));
      const ns = NormalizedString.from(t);
      ours.normalize(ns);
      assert.equal(ns.normalized, expected, JSON.stringify(t));
      // every normalized unit points inside the original
      for (let i = 0; i < ns.length; i++)
        assert.ok(ns.starts[i]! >= 0 && ns.ends[i]! <= t.length && ns.starts[i]! <= ns.ends[i]!);
    };
    for (const t of TEXTS) if (!t.includes('Σ')) check(t);
    fc.assert(fc.property(strings, check), { numRuns: 200, seed: 11 });
  });
}

function checkPreTokenizer(
  name: string,
  ours: PreTokenizer,
  Ref: HfCtor<{ pre_tokenize_text(s: string): string[] }>,
  skip: Skip = none,
): void {
  it(`pre-tokenizer ${name}`, () => {
    const ref = new Ref(ours.toJSON() as never);
    const check = (t: string): void => {
      if (skip(t)) return;
      const expected = ref.pre_tokenize_text(t).filter((p) => p.length > 0);
      assert.deepEqual(ours.preTokenizeString(t), expected, JSON.stringify(t));
      const pts = PreTokenizedString.fromText(t);
      ours.preTokenize(pts);
      assert.deepEqual(
        pts.splits.map((s) => s.normalized.normalized),
        expected,
        JSON.stringify(t),
      );
    };
    for (const t of TEXTS) check(t);
    fc.assert(fc.property(strings, check), { numRuns: 200, seed: 12 });
  });
}

function checkDecoder(
  name: string,
  ours: Decoder,
  Ref: HfCtor<{ decode_chain(t: string[]): string[] }>,
  tokens: fc.Arbitrary<string[]>,
  skip: (t: string[]) => boolean = () => false,
): void {
  it(`decoder ${name}`, () => {
    const ref = new Ref(ours.toJSON() as never);
    fc.assert(
      fc.property(tokens, (t) => {
        if (skip(t)) return;
        assert.deepEqual(ours.decodeChain(t.slice()).join(''), ref.decode_chain(t.slice()).join(''));
      }),
      { numRuns: 200, seed: 13 },
    );
  });
}

describe('normalizers vs @huggingface/tokenizers', () => {
  checkNormalizer('NFC', new UnicodeNormalizer('NFC'), hf.NFCNormalizer as never);
  checkNormalizer('NFD', new UnicodeNormalizer('NFD'), hf.NFDNormalizer as never);
  checkNormalizer('NFKC', new UnicodeNormalizer('NFKC'), hf.NFKCNormalizer as never);
  checkNormalizer('NFKD', new UnicodeNormalizer('NFKD'), hf.NFKDNormalizer as never);
  checkNormalizer('Lowercase', new Lowercase(), hf.LowercaseNormalizer as never);
  checkNormalizer(
    'StripAccents after NFD',
    new NormalizerSequence([new UnicodeNormalizer('NFD'), new StripAccents()]),
    hf.SequenceNormalizer as never,
  );
  checkNormalizer('Strip', new Strip(true, true), hf.StripNormalizer as never);
  checkNormalizer('Prepend', new Prepend('\u2581'), hf.PrependNormalizer as never, empty);
  checkNormalizer('Replace (string)', new Replace(stringPattern(' '), '\u2581'), hf.ReplaceNormalizer as never);
  checkNormalizer('Replace (regex)', new Replace(regexPattern(' {2,}'), ' '), hf.ReplaceNormalizer as never);
});

describe('pre-tokenizers vs @huggingface/tokenizers', () => {
  checkPreTokenizer('Whitespace', new Whitespace(), hf.WhitespacePreTokenizer as never, nonAscii);
  checkPreTokenizer('WhitespaceSplit', new WhitespaceSplit(), hf.WhitespaceSplitPreTokenizer as never, jsSpace);
  checkPreTokenizer('BertPreTokenizer', new BertPreTokenizer(), hf.BertPreTokenizer as never, jsSpace);
  checkPreTokenizer('Punctuation', new Punctuation('Isolated'), hf.PunctuationPreTokenizer as never, punctRun);
  checkPreTokenizer('Digits (individual)', new Digits(true), hf.DigitsPreTokenizer as never, any(astral, notNd));
  checkPreTokenizer('Digits (runs)', new Digits(false), hf.DigitsPreTokenizer as never, any(astral, notNd));
  checkPreTokenizer(
    'ByteLevel (prefix space, regex)',
    new ByteLevel({ addPrefixSpace: true }),
    hf.ByteLevelPreTokenizer as never,
    empty,
  );
  checkPreTokenizer(
    'ByteLevel (no prefix)',
    new ByteLevel({ addPrefixSpace: false }),
    hf.ByteLevelPreTokenizer as never,
  );
  checkPreTokenizer(
    'Metaspace (always, no split)',
    new Metaspace('\u2581', 'always', false),
    hf.MetaspacePreTokenizer as never,
    empty,
  );
  checkPreTokenizer(
    'Metaspace (never, no split)',
    new Metaspace('\u2581', 'never', false),
    hf.MetaspacePreTokenizer as never,
  );
  checkPreTokenizer(
    'Split regex Isolated',
    new Split(regexPattern('\\d+|[a-z]+'), 'Isolated'),
    hf.SplitPreTokenizer as never,
  );
  checkPreTokenizer(
    'Split regex Removed inverted',
    new Split(regexPattern('\\w+'), 'Removed', true),
    hf.SplitPreTokenizer as never,
    nonAscii,
  );
  checkPreTokenizer(
    'Sequence',
    new PreTokenizerSequence([new WhitespaceSplit(), new Digits(true)]),
    hf.SequencePreTokenizer as never,
    any(jsSpace, astral, notNd),
  );
});

describe('decoders vs @huggingface/tokenizers', () => {
  const pieces = fc.array(
    fc.constantFrom(
      'a',
      '##b',
      '##',
      'hello',
      ' .',
      ',',
      '\u2581the',
      '\u2581',
      'x\u2581y',
      '<0x41>',
      '<0xE4>',
      '<0xB8>',
      '<0xAD>',
      '<0xFF>',
      'Ġworld',
      'Ċ',
      'Ã©',
      '__',
      '_a_',
    ),
    { maxLength: 12 },
  );
  checkDecoder('WordPiece', new WordPieceDecoder('##', true), hf.WordPieceDecoder as never, pieces);
  // Rust drops every '▁' of the first token and keeps real spaces; the JS port strips one leading space
  const firstTokenPlain = (t: string[]): boolean =>
    t.length > 0 && (t[0]!.includes(' ') || t[0]!.slice(1).includes('\u2581'));
  checkDecoder(
    'Metaspace',
    new MetaspaceDecoder('\u2581', 'always', true),
    hf.MetaspaceDecoder as never,
    pieces,
    firstTokenPlain,
  );
  // valid byte runs only: for invalid UTF-8 Rust emits one U+FFFD per byte, the JS port decodes lossily
  const bytePieces = fc
    .array(
      fc.constantFrom(
        ['<0x41>'],
        ['<0xE4>', '<0xB8>', '<0xAD>'],
        ['a'],
        ['\u2581the'],
        ['<0xF0>', '<0x9F>', '<0x98>', '<0x80>'],
      ),
      { maxLength: 8 },
    )
    .map((a) => a.flat());
  checkDecoder(
    'ByteFallback + Fuse',
    new DecoderSequence([new ByteFallbackDecoder(), new FuseDecoder()]),
    hf.SequenceDecoder as never,
    bytePieces,
  );
  checkDecoder(
    'ByteLevel',
    new ByteLevelDecoder(),
    hf.ByteLevelDecoder as never,
    fc.array(fc.constantFrom('Ġworld', 'Ċ', 'Ã©', 'a', 'ðŁĺ', 'Ģ', 'Hello'), { maxLength: 10 }),
  );
  checkDecoder('Strip', new StripDecoder('_', 1, 1), hf.StripDecoder as never, pieces);
  checkDecoder('Replace', new ReplaceDecoder(stringPattern('\u2581'), ' '), hf.ReplaceDecoder as never, pieces);
});
