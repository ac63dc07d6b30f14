import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  truncateSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createShardWriter, openShardDataset } from '../../src/data/shards/index.ts';
import { FormatError, ArgumentError } from '../../src/core/errors.ts';
import { Generator } from '../../src/core/random.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-shards-'));
}

function randomDocs(g: Generator, n: number, vocab: number, maxLen: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: g.randint(maxLen) }, () => g.randint(vocab)));
}

test('round trip: documents, eos, multi-file rolling, random windows, bounds', () => {
  const root = tmp();
  try {
    const dir = join(root, 'ds');
    const g = new Generator(7);
    const vocab = 1000;
    const docs = randomDocs(g, 200, vocab - 1, 40);
    const w = createShardWriter(dir, {
      vocabSize: vocab,
      eosId: vocab - 1,
      maxTokensPerFile: 500,
      source: 'unit test',
    });
    const expected: number[] = [];
    const bounds: [number, number][] = [];
    for (const d of docs) {
      const start = expected.length;
      w.addDocument('train', d);
      expected.push(...d, vocab - 1);
      bounds.push([start, expected.length]);
    }
    w.addDocument('val', [1, 2, 3]);
    const meta = w.finish();
    assert.equal(meta.dtype, 'uint16');
    assert.ok((meta.splits['train']?.files.length ?? 0) > 1, 'rolled into several files');
    const ds = openShardDataset(dir, { chunkTokens: 64, cacheChunks: 4 });
    const train = ds.split('train');
    assert.equal(train.numTokens, expected.length);
    assert.equal(train.numDocuments, docs.length);
    // every document bound and a full read
    for (let i = 0; i < docs.length; i++) assert.deepEqual(train.documentBounds(i), bounds[i]);
    const all = train.read(0, train.numTokens, new Int32Array(train.numTokens));
    assert.deepEqual(Array.from(all), expected);
    // random windows across file and chunk boundaries
    const out = new Int32Array(65);
    for (let k = 0; k < 300; k++) {
      const s = g.randint(train.numTokens - 65);
      train.read(s, 65, out);
      assert.deepEqual(Array.from(out), expected.slice(s, s + 65));
      const d = train.documentAt(s);
      const [a, b] = train.documentBounds(d);
      assert.ok(a <= s && s < b);
    }
    assert.deepEqual(Array.from(ds.split('val').read(0, 4, new Int32Array(4))), [1, 2, 3, vocab - 1]);
    train.verify();
    ds.close();
    assert.deepEqual(readdirSync(root), ['ds'], 'no staging directory left behind');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('single-file uint16 split is byte-compatible with nanoGPT train.bin; uint32 above 65536', () => {
  const root = tmp();
  try {
    const ids = [0, 1, 64, 65535, 300];
    const w = createShardWriter(join(root, 'a'), { vocabSize: 65536 });
    w.addDocument('train', ids);
    w.finish();
    const bin = readFileSync(join(root, 'a', 'train-00000.bin'));
    const le = Buffer.alloc(ids.length * 2);
    ids.forEach((v, i) => le.writeUInt16LE(v, i * 2));
    assert.deepEqual(bin, le);
    const idx = readFileSync(join(root, 'a', 'train-00000.idx'));
    assert.equal(idx.readBigUInt64LE(0), 0n);
    assert.equal(idx.readBigUInt64LE(8), BigInt(ids.length));

    const w2 = createShardWriter(join(root, 'b'), { vocabSize: 100_000, eosId: 99_999 });
    w2.addDocument('train', [70_000, 5]);
    const m2 = w2.finish();
    assert.equal(m2.dtype, 'uint32');
    const b2 = readFileSync(join(root, 'b', 'train-00000.bin'));
    assert.deepEqual([b2.readUInt32LE(0), b2.readUInt32LE(4), b2.readUInt32LE(8)], [70_000, 5, 99_999]);
    const ds = openShardDataset(join(root, 'b'));
    assert.deepEqual(Array.from(ds.split('train').read(0, 3, new Int32Array(3))), [70_000, 5, 99_999]);
    assert.equal(ds.split('val').numTokens, 0);
    ds.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('writer rejects out-of-vocabulary ids and bad options', () => {
  const root = tmp();
  try {
    const w = createShardWriter(join(root, 'c'), { vocabSize: 10 });
    assert.throws(() => w.addDocument('train', [3, 10]), ArgumentError);
    assert.throws(() => w.addDocument('train', [1.5]), ArgumentError);
    w.abort();
    assert.throws(() => createShardWriter(join(root, 'd'), { vocabSize: 70_000, dtype: 'uint16' }), ArgumentError);
    assert.throws(() => createShardWriter(join(root, 'd'), { vocabSize: 10, eosId: 10 }), ArgumentError);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

function freshDataset(root: string): string {
  const dir = join(root, `ds${Math.random().toString(36).slice(2)}`);
  const w = createShardWriter(dir, { vocabSize: 50, eosId: 0 });
  w.addDocument('train', [1, 2, 3, 4]);
  w.addDocument('train', [5, 6]);
  w.finish();
  return dir;
}

test('FormatError on a missing or corrupt meta.json, size mismatches and out-of-vocabulary ids', () => {
  const root = tmp();
  try {
    assert.throws(() => openShardDataset(join(root, 'nothing')), FormatError);

    let dir = freshDataset(root);
    writeFileSync(join(dir, 'meta.json'), '{"format": "llmts-shards", ');
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && /not valid JSON/.test(e.message),
    );

    dir = freshDataset(root);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, version: 2 }));
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'version',
    );
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, dtype: 'int8' }));
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'dtype',
    );
    const wrongTotal = structuredClone(meta);
    wrongTotal.splits.train.tokens = 99;
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(wrongTotal));
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'splits.train.tokens',
    );

    dir = freshDataset(root);
    truncateSync(join(dir, 'train-00000.bin'), 6);
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && /bytes but meta.json says/.test(e.message),
    );

    dir = freshDataset(root);
    rmSync(join(dir, 'train-00000.idx'));
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && /missing/.test(e.message),
    );

    dir = freshDataset(root);
    const bin = readFileSync(join(dir, 'train-00000.bin'));
    bin.writeUInt16LE(77, 4); // id 77 >= vocab 50
    writeFileSync(join(dir, 'train-00000.bin'), bin);
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'sha256' && /train-00000\.bin/.test(e.file),
    );
    // without the checksum (a dataset from before checksums), each chunk's ids are still checked
    const ds = openShardDataset(dir, { verifyChecksums: false });
    assert.throws(
      () => ds.split('train').read(0, 3, new Int32Array(3)),
      (e) => e instanceof FormatError && /vocab_size/.test(e.message),
    );
    assert.throws(() => ds.split('train').verify(), FormatError);
    ds.close();

    dir = freshDataset(root);
    const idx = readFileSync(join(dir, 'train-00000.idx'));
    idx.writeBigUInt64LE(9n, 16); // last offset no longer the token count
    writeFileSync(join(dir, 'train-00000.idx'), idx);
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'sha256',
    );
    const ds2 = openShardDataset(dir, { verifyChecksums: false });
    assert.throws(() => ds2.split('train').documentBounds(0), FormatError);
    ds2.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('finish replaces an existing dataset but refuses a directory that is not one', () => {
  const root = tmp();
  try {
    const dir = freshDataset(root);
    const w = createShardWriter(dir, { vocabSize: 5 });
    w.addDocument('train', [4]);
    w.finish();
    assert.equal(openShardDataset(dir).split('train').numTokens, 1);
    const other = join(root, 'other');
    writeFileSync(join(root, 'placeholder'), '');
    const w2 = createShardWriter(root, { vocabSize: 5 });
    w2.addDocument('train', [1]);
    assert.throws(() => w2.finish(), /not a shard dataset/);
    assert.ok(!existsSync(other));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('meta.json cannot point outside the dataset, nor declare a vocabulary that sizes an absurd model', () => {
  const root = tmp();
  try {
    const dir = freshDataset(root);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'outside', 'tokenizer.json'), '{}');
    for (const file of ['../outside/tokenizer.json', '/etc/passwd', '.hidden', 'a\\b']) {
      writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, tokenizer: { file, name: null } }));
      assert.throws(
        () => openShardDataset(dir),
        (e) => e instanceof FormatError && e.field === 'tokenizer.file',
      );
    }
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ ...meta, dtype: 'uint32', vocab_size: 2 ** 31 }));
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'vocab_size' && /larger than/.test(e.message),
    );
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    writeFileSync(join(dir, 'meta.json'), `{"format":"llmts-shards","version":1,"dtype":${deep}}`);
    assert.throws(
      () => openShardDataset(dir),
      (e) => e instanceof FormatError && e.field === 'dtype' && e.message.length < 300,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the tokenizer copy is checked against its SHA-256 in meta.json', () => {
  const root = tmp();
  try {
    const dir = join(root, 'ds');
    const w = createShardWriter(dir, { vocabSize: 50, tokenizerJson: '{"model":"x"}' });
    w.addDocument('train', [1, 2]);
    w.finish();
    const ds = openShardDataset(dir);
    assert.equal(ds.tokenizerPath(), join(dir, 'tokenizer.json'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model":"y"}');
    assert.throws(
      () => ds.tokenizerPath(),
      (e) => e instanceof FormatError && /tokenizer\.json/.test(e.file) && e.field === 'sha256',
    );
    ds.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
