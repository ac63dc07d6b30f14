/**
 * The web-data readers against files written by independent producers: a WARC written
 * by GNU wget's crawler (scripts/oracles/warc_fixture.py), Parquet written by arrow-rs
 * (parquet-wasm, the Rust implementation of Apache Arrow), zstd written by the reference
 * zstd library (compiled to wasm), gzip by zlib.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { init as zstdInit, compress as zstdCompress } from '@bokuweb/zstd-wasm';
import { planShards } from '../../src/data/readers/plan.ts';
import { emptyReaderStats, readShard } from '../../src/data/readers/read-shard.ts';
import type { ReadItem, ReaderStats } from '../../src/data/readers/read-shard.ts';
import { INPUT_DEFAULTS } from '../../src/data/readers/input-spec.ts';
import type { InputSpec } from '../../src/data/readers/input-spec.ts';
import { ConfigError } from '../../src/core/errors.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'data', 'web');

async function readAll(spec: InputSpec): Promise<{ items: ReadItem[]; stats: ReaderStats; batches: number }> {
  const stats = emptyReaderStats();
  const items: ReadItem[] = [];
  let batches = 0;
  for (const sh of planShards(spec))
    for await (const b of readShard(sh, spec, stats)) {
      batches++;
      items.push(...b);
    }
  return { items, stats, batches };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-web-'));
}

const WARC_PAGES = ['index.html', 'latin1.html', 'sjis.html', 'gz.html', 'chunked.html'];

function checkWarc(items: ReadItem[], stats: ReaderStats): void {
  assert.deepEqual(
    items.map((i) => String(i.doc.metadata['url']).replace(/^http:\/\/127\.0\.0\.1:\d+\//, '')),
    WARC_PAGES,
  );
  for (const i of items) {
    assert.match(i.doc.id, /^<urn:uuid:[0-9a-f-]{36}>$/);
    assert.match(String(i.doc.metadata['date']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(i.reject, undefined);
  }
  const text = (k: number): string => (items[k] as ReadItem).doc.text;
  assert.match(text(0), /Café au lait, naïve résumé/);
  // windows-1252 bytes declared ISO-8859-1 in the HTTP header: the en dash and euro are 0x96 and 0x80
  assert.match(text(1), /Crème brûlée – a dessert, priced at €5\./);
  assert.equal(items[1]?.doc.metadata['charset'], 'windows-1252');
  // Shift_JIS declared only by <meta charset>
  assert.match(text(2), /吾輩は猫である。名前はまだ無い。/);
  assert.equal(items[2]?.doc.metadata['charset'], 'shift_jis');
  // Content-Encoding: gzip and Transfer-Encoding: chunked are undone
  assert.match(text(3), /sent gzip-compressed over HTTP/);
  assert.match(text(4), /arrived in three chunks of chunked transfer encoding/);
  // nothing of the WARC or HTTP framing leaks into a document
  for (const i of items) assert.doesNotMatch(i.doc.text, /WARC\/1\.|HTTP\/1\.[01] \d{3}|WARC-Type/);
  assert.equal(stats.records, 5);
  assert.deepEqual(stats.skipped, {
    warc_warcinfo: 1,
    warc_request: 7,
    warc_status_not_2xx: 1,
    warc_not_html: 3, // the PNG, wget's manifest and its log
    warc_metadata: 1,
  });
}

test('WARC: a .warc.gz written by wget is read as WARC - HTML responses only, charset sniffed, URL and date kept', async () => {
  const { items, stats } = await readAll({ ...INPUT_DEFAULTS, paths: [join(FIX, 'crawl.warc.gz')] });
  checkWarc(items, stats);
});

test('WARC: the same records uncompressed (.warc) and zstd-compressed (.warc.zst) give the same documents', async () => {
  const dir = tmp();
  try {
    const raw = gunzipSync(readFileSync(join(FIX, 'crawl.warc.gz')));
    writeFileSync(join(dir, 'a.warc'), raw);
    await zstdInit();
    writeFileSync(join(dir, 'b.warc.zst'), zstdCompress(raw, 3));
    const a = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'a.warc')] });
    checkWarc(a.items, a.stats);
    const b = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'b.warc.zst')] });
    checkWarc(b.items, b.stats);
    assert.deepEqual(
      b.items.map((i) => i.doc.text),
      a.items.map((i) => i.doc.text),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WARC: a file that is not WARC is counted as unreadable, not read as text', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'fake.warc'), 'HTTP/1.1 200 OK\r\n\r\n<html>hello</html>\n');
    const { items, stats } = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'fake.warc')] });
    assert.equal(items.length, 0);
    assert.equal(stats.malformed['unreadable_warc'], 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Parquet written by arrow-rs: every row of every row group, zstd pages, other columns as metadata', async () => {
  const dir = tmp();
  try {
    const n = 2500;
    const table = tableFromArrays({
      id: Array.from({ length: n }, (_, i) => `doc-${i}`),
      text: Array.from({ length: n }, (_, i) => `Document number ${i} says ${'é'.repeat(i % 7)} hello.`),
      score: Float64Array.from({ length: n }, (_, i) => i / 4),
      n: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 3)),
    });
    const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).setMaxRowGroupSize(1000).build();
    const bytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
    writeFileSync(join(dir, 'train-00000-of-00001.parquet'), bytes);
    const { items, stats, batches } = await readAll({ ...INPUT_DEFAULTS, paths: [dir] });
    assert.equal(batches, 3, 'one batch per row group (1000, 1000, 500 rows)');
    assert.equal(items.length, n);
    assert.equal(stats.records, n);
    for (const i of [0, 1, 999, 1000, 2499]) {
      const d = (items[i] as ReadItem).doc;
      assert.equal(d.id, `doc-${i}`);
      assert.equal(d.text, `Document number ${i} says ${'é'.repeat(i % 7)} hello.`);
      assert.deepEqual(d.metadata, { score: i / 4, n: i * 3 });
    }
    // a missing text column is one clear error naming the file and the columns
    await assert.rejects(
      readAll({ ...INPUT_DEFAULTS, paths: [dir], text_field: 'content' }),
      /train-00000-of-00001\.parquet.*no column "content" \(columns: id, text, score, n\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV and TSV: header row, quoted commas and newlines, BOM, a broken row counted and skipped', async () => {
  const dir = tmp();
  try {
    writeFileSync(
      join(dir, 'a.csv'),
      '\ufeffid,text,lang\n1,"Hello, world",en\n2,"two\nlines ""quoted""",en\n3,"unbalanced,en\n',
    );
    writeFileSync(join(dir, 'b.tsv'), 'text\tsource\nfirst row\tweb\nsecond, with comma\tbook\n');
    const { items, stats } = await readAll({ ...INPUT_DEFAULTS, paths: [dir] });
    assert.deepEqual(
      items.map((i) => [i.doc.id, i.doc.text, i.doc.metadata]),
      [
        ['1', 'Hello, world', { lang: 'en' }],
        ['2', 'two\nlines "quoted"', { lang: 'en' }],
        ['b.tsv#0', 'first row', { source: 'web' }],
        ['b.tsv#1', 'second, with comma', { source: 'book' }],
      ],
    );
    assert.equal(stats.malformed['malformed_csv'], 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an HTML file is one document (blank lines inside do not split it), its charset from <meta>', async () => {
  const dir = tmp();
  try {
    const page =
      '<html><head><meta charset="windows-1252"></head><body>\n\n<p>caf\xe9</p>\n\n<p>two</p>\n\n</body></html>';
    writeFileSync(join(dir, 'page.html'), Buffer.from(page, 'latin1'));
    writeFileSync(join(dir, 'page2.htm.gz'), gzipSync('<p>one</p>\n\n<p>two</p>'));
    const { items } = await readAll({ ...INPUT_DEFAULTS, paths: [dir] });
    assert.equal(items.length, 2);
    assert.match(items[0]!.doc.text, /<p>café<\/p>\n\n<p>two<\/p>/);
    assert.equal(items[1]!.doc.text, '<p>one</p>\n\n<p>two</p>');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('zstd JSONL (.jsonl.zst, several frames) reads like the plain file', async () => {
  const dir = tmp();
  try {
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `row ${i}` })).join('\n');
    await zstdInit();
    const half = Buffer.from(lines.slice(0, 4001));
    const rest = Buffer.from(lines.slice(4001));
    writeFileSync(join(dir, 'a.jsonl.zst'), Buffer.concat([zstdCompress(half, 1), zstdCompress(rest, 19)]));
    const { items } = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'a.jsonl.zst')] });
    assert.equal(items.length, 300);
    assert.equal(items[299]!.doc.text, 'row 299');
    writeFileSync(join(dir, 'bad.jsonl.zst'), Buffer.from('not zstd at all'));
    // a corrupt compressed file is counted and named, not fatal (issue 15: the rest of a run completes)
    const bad = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'bad.jsonl.zst')] });
    assert.equal(bad.items.length, 0);
    assert.equal(bad.stats.malformed['corrupt_compressed'], 1);
    assert.match(bad.stats.errors[0] ?? '', /^bad\.jsonl\.zst: corrupt or truncated zstd/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown format is refused with the file named, never read as text', () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    writeFileSync(join(dir, 'noext'), 'text');
    assert.throws(
      () => planShards({ ...INPUT_DEFAULTS, paths: [join(dir, 'image.png')] }),
      (e: unknown) => e instanceof ConfigError && /image\.png: unknown input format "\.png"/.test(e.message),
    );
    assert.throws(
      () => planShards({ ...INPUT_DEFAULTS, paths: [join(dir, 'noext')] }),
      /noext: unknown input format \(no extension\)/,
    );
    // forcing a format reads it as that format
    assert.equal(planShards({ ...INPUT_DEFAULTS, paths: [join(dir, 'noext')], format: 'text' })[0]?.format, 'text');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
