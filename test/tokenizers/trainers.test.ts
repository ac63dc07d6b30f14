/**
 * Trainers against naive reference trainers written here (count every pair every step, merge
 * the best, Hugging Face's tie-break: higher count, then smaller (id a, id b)), minbpe's worked
 * example, and train -> save -> load round trips for BPE, WordPiece and char tokenizers.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BPE,
  loadTokenizer,
  saveBertVocab,
  trainBpe,
  trainBpeFromIterator,
  trainChar,
  trainCharTokenizer,
  trainWordPieceFromIterator,
  WordPiece,
  type Tokenizer,
} from '../../src/tokenizers/index.ts';
import { byteLevelAlphabet, toByteLevel } from '../../src/tokenizers/byte-alphabet.ts';
import { trainWordPieceCore } from '../../src/tokenizers/trainers/wordpiece.ts';
import { NM, readJson } from './helpers.ts';

/** A few hundred English sentences from the nlp-corpus package. */
function corpus(sentences: number, offset = 0): string[] {
  return readJson<string[]>(join(NM, 'nlp-corpus', 'builds', 'doc-0.json')).slice(offset, offset + sentences);
}

const GPT2_RE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The naive trainer: merges in order. */
function naiveBpe(
  counts: Map<string, number>,
  alphabet: string[],
  vocabSize: number,
  minFrequency = 0,
): [string, string][] {
  const id2w = [...alphabet];
  const w2id = new Map(id2w.map((t, i) => [t, i]));
  const words = [...counts.keys()].map((w) => [...w].map((c) => w2id.get(c)!));
  const freq = [...counts.values()];
  const merges: [string, string][] = [];
  while (id2w.length < vocabSize) {
    const pc = new Map<string, number>();
    words.forEach((w, i) => {
      for (let k = 0; k + 1 < w.length; k++)
        pc.set(`${w[k]},${w[k + 1]}`, (pc.get(`${w[k]},${w[k + 1]}`) ?? 0) + freq[i]!);
    });
    let best: [number, number] | null = null;
    let bestCount = 0;
    for (const [key, c] of pc) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best !== null && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = c;
      }
    }
    if (best === null || bestCount < 1 || bestCount < minFrequency) break;
    const [a, b] = best;
    const tok = id2w[a]! + id2w[b]!;
    const id = id2w.length;
    id2w.push(tok);
    merges.push([id2w[a]!, id2w[b]!]);
    for (const w of words) {
      for (let k = 0; k + 1 < w.length; k++) if (w[k] === a && w[k + 1] === b) w.splice(k, 2, id);
    }
  }
  return merges;
}

describe('BPE trainer', () => {
  it('merges equal a naive trainer on a small corpus (byte-level, GPT-2 split)', () => {
    const texts = corpus(300);
    const counts = new Map<string, number>();
    for (const t of texts)
      for (const p of t.match(GPT2_RE) ?? []) counts.set(toByteLevel(p), (counts.get(toByteLevel(p)) ?? 0) + 1);
    const alphabet = byteLevelAlphabet().sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
    const expected = naiveBpe(counts, alphabet, 256 + 300);
    const tok = trainBpeFromIterator(texts, { vocabSize: 256 + 300 });
    assert.deepEqual((tok.model as BPE).merges, expected);
  });

  it('min frequency stops the merges', () => {
    const texts = corpus(100);
    const counts = new Map<string, number>();
    for (const t of texts)
      for (const p of t.match(GPT2_RE) ?? []) counts.set(toByteLevel(p), (counts.get(toByteLevel(p)) ?? 0) + 1);
    const alphabet = byteLevelAlphabet().sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!);
    const expected = naiveBpe(counts, alphabet, 5000, 20);
    const tok = trainBpeFromIterator(texts, { vocabSize: 5000, minFrequency: 20 });
    assert.deepEqual((tok.model as BPE).merges, expected);
    assert.ok(expected.length < 5000 - 256);
  });

  it("minbpe's worked example: aaabdaaabac -> [258, 100, 258, 97, 99]", () => {
    const tok = trainBpeFromIterator(['aaabdaaabac'], { vocabSize: 259, pattern: null, byteOrderAlphabet: true });
    assert.deepEqual(tok.encodeIds('aaabdaaabac'), [258, 100, 258, 97, 99]);
    assert.equal(tok.decode([258, 100, 258, 97, 99]), 'aaabdaaabac');
  });

  it('special tokens take the first ids and are matched in text', () => {
    const tok = trainBpeFromIterator(corpus(50), { vocabSize: 300, specialTokens: ['<|endoftext|>', '<pad>'] });
    assert.equal(tok.tokenToId('<|endoftext|>'), 0);
    assert.equal(tok.tokenToId('<pad>'), 1);
    assert.deepEqual(tok.encodeIds('a<|endoftext|>').slice(-1), [0]);
    assert.equal(tok.eosId, 0);
  });

  it('train from files -> save tokenizer.json -> load: same ids, lossless decode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-bpe-'));
    writeFileSync(join(dir, 'a.txt'), corpus(400).join('\n'));
    writeFileSync(join(dir, 'b.txt'), corpus(200, 400).join('\n'));
    const tok = await trainBpe([join(dir, 'a.txt'), join(dir, 'b.txt')], {
      vocabSize: 700,
      specialTokens: ['<|endoftext|>'],
    });
    tok.save(join(dir, 'tokenizer.json'));
    const back = loadTokenizer(join(dir, 'tokenizer.json'));
    const held = corpus(50, 1000).join('\n') + ' 😀 中文 <|endoftext|>';
    assert.deepEqual(back.encodeIds(held), tok.encodeIds(held));
    assert.deepEqual(back.encode(held).ids, tok.encodeIds(held));
    assert.equal(back.decode(back.encodeIds(held), { skipSpecialTokens: false }), held);
    assert.equal(back.vocabSize, 700);
  });
});

/** Naive WordPiece: every step recompute pair counts and token frequencies. */
function naiveWordPiece(
  counts: Map<string, number>,
  specials: string[],
  vocabSize: number,
  minFrequency: number,
): string[] {
  const id2w = [...specials];
  const initial = new Set<string>();
  for (const w of counts.keys()) [...w].forEach((c, i) => initial.add(i === 0 ? c : `##${c}`));
  id2w.push(...[...initial].sort());
  const w2id = new Map(id2w.map((t, i) => [t, i]));
  const words = [...counts.keys()].map((w) => [...w].map((c, i) => w2id.get(i === 0 ? c : `##${c}`)!));
  const f = [...counts.values()];
  while (id2w.length < vocabSize) {
    const pc = new Map<string, number>();
    const tf = new Map<number, number>();
    words.forEach((w, i) => {
      w.forEach((t) => tf.set(t, (tf.get(t) ?? 0) + f[i]!));
      for (let k = 0; k + 1 < w.length; k++)
        pc.set(`${w[k]},${w[k + 1]}`, (pc.get(`${w[k]},${w[k + 1]}`) ?? 0) + f[i]!);
    });
    let best: [number, number] | null = null;
    let bs = -1;
    let bc = 0;
    for (const [key, c] of pc) {
      if (c < minFrequency) continue;
      const [a, b] = key.split(',').map(Number) as [number, number];
      const s = c / (tf.get(a)! * tf.get(b)!);
      if (
        s > bs ||
        (s === bs && (c > bc || (c === bc && best !== null && (a < best[0] || (a === best[0] && b < best[1])))))
      ) {
        best = [a, b];
        bs = s;
        bc = c;
      }
    }
    if (best === null) break;
    const [a, b] = best;
    const tb = id2w[b]!;
    const tok = id2w[a]! + (tb.startsWith('##') ? tb.slice(2) : tb);
    let id = w2id.get(tok);
    if (id === undefined) {
      id = id2w.length;
      id2w.push(tok);
      w2id.set(tok, id);
    }
    for (const w of words) for (let k = 0; k + 1 < w.length; k++) if (w[k] === a && w[k + 1] === b) w.splice(k, 2, id);
  }
  return id2w;
}

describe('WordPiece trainer (likelihood score)', () => {
  it('equals a naive trainer that rescores every pair each step', () => {
    const counts = new Map<string, number>();
    for (const t of corpus(150))
      for (const w of t.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
    const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const size = 400;
    const expected = naiveWordPiece(counts, specials, size, 2);
    const got = trainWordPieceCore(counts, {
      vocabSize: size,
      minFrequency: 2,
      specialTokens: specials,
      limitAlphabet: null,
      continuingSubwordPrefix: '##',
      showProgress: false,
    });
    assert.deepEqual(got, expected);
  });

  it('prefers the pair with the highest freq(ab) / (freq(a) freq(b)), not the most frequent', () => {
    // "q u" always together (score 1/60) beats the far more frequent "t h" (score 50/(100*100))
    const counts = new Map([
      ['qu', 60],
      ['th', 50],
      ['tx', 50],
      ['yh', 50],
    ]);
    const v = trainWordPieceCore(counts, {
      vocabSize: 5 + 6 + 1,
      minFrequency: 1,
      specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
      limitAlphabet: null,
      continuingSubwordPrefix: '##',
      showProgress: false,
    });
    assert.equal(v[v.length - 1], 'qu');
  });

  it('train -> tokenizer.json and vocab.txt -> load: same ids', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-wp-'));
    const tok = trainWordPieceFromIterator(corpus(300), { vocabSize: 500 });
    assert.ok(tok.model instanceof WordPiece);
    tok.save(join(dir, 'tokenizer.json'));
    saveBertVocab(tok, join(dir, 'vocab.txt'));
    assert.deepEqual(readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n').slice(0, 5), [
      '[PAD]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
    ]);
    const held = corpus(40, 2000).join(' ');
    const fromJson = loadTokenizer(join(dir, 'tokenizer.json'));
    const fromTxt = loadTokenizer(join(dir, 'vocab.txt'));
    const ids = tok.encode(held).ids;
    assert.deepEqual(fromJson.encode(held).ids, ids);
    assert.deepEqual(fromTxt.encode(held).ids, ids);
    assert.equal(ids[0], 2);
  });
});

describe('char tokenizer (nanoGPT shakespeare_char)', () => {
  let text: string;
  before(() => {
    text = corpus(200).join('\n') + '\n\u00e9\u{1F600}';
  });

  it('vocab = sorted unique characters, ids = their ranks', () => {
    const tok = trainCharTokenizer(text);
    const chars = [...new Set([...text])].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    assert.equal(tok.vocabSize, chars.length);
    chars.forEach((c, i) => assert.equal(tok.tokenToId(c), i));
    const sample = text.slice(0, 300);
    assert.deepEqual(
      tok.encodeIds(sample),
      [...sample].map((c) => chars.indexOf(c)),
    );
    assert.deepEqual(tok.encode(sample).ids, tok.encodeIds(sample));
    assert.equal(tok.decode(tok.encodeIds(text)), text);
  });

  it('saves and loads as tokenizer.json; trains from files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llmts-char-'));
    writeFileSync(join(dir, 'input.txt'), text);
    const tok: Tokenizer = await trainChar([join(dir, 'input.txt')]);
    tok.save(join(dir, 'tokenizer.json'));
    const back = loadTokenizer(join(dir, 'tokenizer.json'));
    assert.deepEqual(back.encodeIds(text), tok.encodeIds(text));
    assert.equal(back.decode(back.encodeIds(text)), text);
    assert.throws(() => back.encodeIds('\u4e2d'), /not in the vocab/);
  });
});
