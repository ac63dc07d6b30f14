import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planShards } from '../../src/data/readers/plan.ts';
import { emptyReaderStats, readShard } from '../../src/data/readers/read-shard.ts';
import type { ReadItem } from '../../src/data/readers/read-shard.ts';
import { INPUT_DEFAULTS } from '../../src/data/readers/input-spec.ts';
import type { InputSpec } from '../../src/data/readers/input-spec.ts';
import { ConfigError } from '../../src/core/errors.ts';

async function readAll(spec: InputSpec): Promise<[ReadItem[], ReturnType<typeof emptyReaderStats>]> {
  const stats = emptyReaderStats();
  const items: ReadItem[] = [];
  for (const sh of planShards(spec)) for await (const b of readShard(sh, spec, stats)) items.push(...b);
  return [items, stats];
}

test('JSONL: broken lines, wrong types, missing field, invalid UTF-8, blank lines, CRLF, oversized records: counted, never fatal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-read-'));
  try {
    const body = Buffer.concat([
      Buffer.from('{"id": "a", "text": "one", "lang": "en"}\r\n'),
      Buffer.from('{"id": "b", "text": "two"\n'),
      Buffer.from('[1, 2]\n'),
      Buffer.from('   \n'),
      Buffer.from('{"id": 7, "body": "no text"}\n'),
      Buffer.from('{"text": "caf'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
      Buffer.from(`{"id": "big", "text": "${'x'.repeat(3000)}"}\n`),
      Buffer.from('{"id": "last", "text": "no newline at end"}'),
    ]);
    writeFileSync(join(dir, 'a.jsonl'), body);
    const spec: InputSpec = { ...INPUT_DEFAULTS, paths: [join(dir, 'a.jsonl')], max_record_mb: 2000 / 1024 / 1024 };
    const [items, stats] = await readAll(spec);
    const summary = items.map((i) => `${i.doc.id}:${i.reject ?? 'ok'}`);
    assert.deepEqual(summary, [
      'a:ok',
      'a.jsonl@42:malformed_json',
      'a.jsonl@68:malformed_json',
      '7:missing_text_field',
      'a.jsonl@108:ok',
      'a.jsonl@126:record_too_large',
      'last:ok',
    ]);
    assert.equal(items[0]?.doc.metadata['lang'], 'en');
    assert.equal(items[4]?.doc.text, 'caf\ufffd(');
    assert.deepEqual(stats.malformed, {
      malformed_json: 2,
      missing_text_field: 1,
      invalid_utf8: 1,
      record_too_large: 1,
    });
    assert.equal(stats.blankLines, 1);
    assert.equal(stats.records, 7);
    const [rej] = await readAll({ ...spec, invalid_utf8: 'reject' });
    assert.equal(rej.find((i) => i.doc.id === 'a.jsonl@108')?.reject, 'invalid_utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text: file, paragraph and line modes; gzip; directories and globs; empty files counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-read-'));
  try {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'p.txt'), 'para one\nstill one\n\n\n  \npara two\r\n\r\npara three');
    writeFileSync(join(dir, 'sub', 'z.txt.gz'), gzipSync('gz line 1\n\ngz line 2\n'));
    writeFileSync(join(dir, 'sub', 'empty.txt'), '');
    writeFileSync(join(dir, 'sub', '.hidden.txt'), 'skipped');
    const para = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'sub')] });
    assert.deepEqual(
      para[0].map((i) => i.doc.text),
      ['para one\nstill one', 'para two', 'para three', 'gz line 1', 'gz line 2'],
    );
    assert.deepEqual(
      para[0].map((i) => i.doc.id),
      ['p.txt@0', 'p.txt@24', 'p.txt@36', 'z.txt.gz@0', 'z.txt.gz@11'],
    );
    assert.equal(para[1].emptyFiles, 1);
    assert.equal(para[1].files, 3);
    const file = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, 'sub', '*.txt')], text_mode: 'file' });
    assert.deepEqual(
      file[0].map((i) => i.doc.id),
      ['p.txt'],
    );
    assert.equal(file[1].emptyFiles, 1);
    const line = await readAll({ ...INPUT_DEFAULTS, paths: [join(dir, '**', '*.gz')], text_mode: 'line' });
    assert.deepEqual(
      line[0].map((i) => i.doc.text),
      ['gz line 1', 'gz line 2'],
    );
    assert.equal(line[1].blankLines, 1);
    assert.throws(() => planShards({ ...INPUT_DEFAULTS, paths: [join(dir, 'nope')] }), ConfigError);
    assert.throws(() => planShards({ ...INPUT_DEFAULTS, paths: [join(dir, '*.xyz')] }), ConfigError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
