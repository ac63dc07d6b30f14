/**
 * The parts under the trainers and the normalizer, each against an independent reference:
 * suffix array and suffix-tree nodes vs brute force; piece validity vs hand-derived cases of
 * SentencePiece's rules; digamma vs known values; the shipped nmt_nfkc charsmap vs the one in
 * SentencePiece's model; the Precompiled normalizer's text and alignment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Generator } from '../../../src/core/random.ts';
import { NormalizedString } from '../../../src/tokenizers/normalized-string.ts';
import { decodeModelProto, nmtNfkcCharsmap, Precompiled } from '../../../src/tokenizers/sentencepiece/index.ts';
import { DEFAULT_PIECE_RULES, isValidPiece } from '../../../src/tokenizers/sentencepiece/piece-validity.ts';
import { suffixArray, suffixTreeNodes } from '../../../src/tokenizers/sentencepiece/suffix-array.ts';
import { digamma } from '../../../src/tokenizers/trainers/unigram-trainer.ts';
import { loadExpected, modelBytes } from './fixtures.ts';

describe('suffix array', () => {
  it('sorts suffixes and finds every repeated right-branching substring (brute force)', () => {
    const g = new Generator(1);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + g.randint(50);
      const k = 1 + g.randint(4);
      const t = Int32Array.from({ length: n }, () => g.randint(k));
      const sa = suffixArray(t, k);
      const cmp = (a: number, b: number): number => {
        for (let d = 0; ; d++) {
          if (a + d >= n) return -1;
          if (b + d >= n) return 1;
          if (t[a + d] !== t[b + d]) return t[a + d]! - t[b + d]!;
        }
      };
      assert.deepEqual([...sa], [...Array(n).keys()].sort(cmp));
      const nodes = suffixTreeNodes(t, sa);
      const got = new Set<string>();
      for (let i = 0; i < nodes.count; i++) {
        if (nodes.depth[i] === 0) continue;
        const start = sa[nodes.left[i]!]!;
        got.add(`${[...t.subarray(start, start + nodes.depth[i]!)].join(',')}#${nodes.right[i]! - nodes.left[i]!}`);
      }
      const occ = new Map<string, number[]>();
      for (let i = 0; i < n; i++)
        for (let j = i + 1; j <= n; j++) {
          const s = [...t.subarray(i, j)].join(',');
          const o = occ.get(s);
          if (o === undefined) occ.set(s, [i]);
          else o.push(i);
        }
      const want = new Set<string>();
      for (const [s, o] of occ) {
        if (o.length < 2) continue;
        const len = s.split(',').length;
        const next = new Set(o.map((i) => (i + len < n ? t[i + len] : -1)));
        if (next.size > 1 || next.has(-1)) want.add(`${s}#${o.length}`);
      }
      assert.deepEqual([...got].sort(), [...want].sort());
    }
  });
});

describe('piece validity (SentencePiece rules)', () => {
  const ok = (s: string, rules = DEFAULT_PIECE_RULES): boolean =>
    isValidPiece(
      Array.from(s, (c) => c.codePointAt(0)!),
      rules,
    );
  it('allows "▁" only first, one script per piece, digits apart from letters', () => {
    assert.ok(ok('▁the'));
    assert.ok(!ok('the▁'));
    assert.ok(!ok('a▁b'));
    assert.ok(!ok('a.'));
    assert.ok(ok('...'));
    assert.ok(ok('12'));
    assert.ok(!ok('a1'));
    assert.ok(ok('a1', { ...DEFAULT_PIECE_RULES, splitByNumber: false }));
    assert.ok(!ok('12', { ...DEFAULT_PIECE_RULES, splitDigits: true }));
    assert.ok(!ok('дa')); // Cyrillic then Latin
    assert.ok(ok('カタカナ漢字ひらがな')); // Katakana and Hiragana count as Han
    assert.ok(ok('e\u0301')); // a combining mark inherits the script before it
    assert.ok(!ok('a\u2585')); // the UNK placeholder
    assert.ok(!ok('a b') && !ok('a\tb') && !ok('a\u0000'));
    assert.ok(!ok('abcdefghijklmnopq')); // 17 > max_sentencepiece_length 16
    assert.ok(!ok('▁▁'));
    assert.ok(ok('▁▁', { ...DEFAULT_PIECE_RULES, allowWhitespaceOnlyPieces: true }));
  });
});

describe('digamma', () => {
  it('matches known values', () => {
    const gamma = 0.5772156649015329;
    assert.ok(Math.abs(digamma(1) + gamma) < 1e-9);
    assert.ok(Math.abs(digamma(0.5) - (-gamma - 2 * Math.LN2)) < 1e-9);
    assert.ok(Math.abs(digamma(10) - 2.251752589066721) < 1e-9);
    assert.ok(Math.abs(digamma(1e6) - Math.log(1e6 - 0.5)) < 1e-9);
  });
});

describe('nmt_nfkc charsmap and the Precompiled normalizer', () => {
  it('ships the charsmap SentencePiece 0.1.97 compiles', () => {
    const fromModel = decodeModelProto(modelBytes('unigram-en')).normalizerSpec.precompiledCharsmap;
    assert.deepEqual(Buffer.from(nmtNfkcCharsmap()), Buffer.from(fromModel));
    assert.equal(createHash('sha256').update(nmtNfkcCharsmap()).digest('hex'), loadExpected().nmt_nfkc_charsmap_sha256);
  });

  const pre = new Precompiled(nmtNfkcCharsmap());
  it('normalizes as nmt_nfkc: NFKC, control characters dropped, unusual spaces to " "', () => {
    assert.equal(pre.normalizeString('ＡＢＣ１２３'), 'ABC123');
    assert.equal(pre.normalizeString('ﬁnal ½'), 'final 1⁄2');
    assert.equal(pre.normalizeString('e\u0301'), 'é'); // composition rule spanning two characters
    assert.equal(pre.normalizeString('a\u0001b\u007fc'), 'abc');
    assert.equal(pre.normalizeString('a\u3000b\u00a0c\td'), 'a b c d');
    assert.equal(pre.normalizeString('ｶﾀｶﾅ'), 'カタカナ');
    assert.equal(pre.normalizeString('plain ascii'), 'plain ascii');
  });

  it('keeps the alignment: a replacement spans the characters it replaced', () => {
    const text = 'xﬁ😀Ａ';
    const ns = NormalizedString.from(text);
    pre.normalize(ns);
    assert.equal(ns.normalized, 'xfi😀A');
    assert.equal(ns.normalized, pre.normalizeString(text));
    assert.deepEqual(ns.originalRange(1, 3), [1, 2]); // 'fi' <- 'ﬁ'
    assert.deepEqual(ns.originalRange(3, 5), [2, 4]); // the emoji, untouched
    assert.deepEqual(ns.originalRange(5, 6), [4, 5]); // 'A' <- 'Ａ'
  });

  it('round-trips through tokenizer.json as base64', () => {
    const json = pre.toJSON();
    assert.equal(json['type'], 'Precompiled');
    assert.deepEqual(Buffer.from(json['precompiled_charsmap'] as string, 'base64'), Buffer.from(nmtNfkcCharsmap()));
  });
});
