import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { loadConfigFile, validateConfig } from '../../src/data/pipeline/config.ts';
import type { PipelineConfig } from '../../src/data/pipeline/config.ts';
import { runPipeline } from '../../src/data/pipeline/run.ts';
import { openShardDataset } from '../../src/data/shards/index.ts';
import { ConfigError, IOError } from '../../src/core/errors.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'data', 'mixed');

function setup(): { dir: string; config: (out: string) => PipelineConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-pipe-'));
  cpSync(FIXTURE, join(dir, 'in'), { recursive: true });
  const base = loadConfigFile(join(FIXTURE, 'pipeline.yaml'));
  return {
    dir,
    config: (out) => ({
      ...base,
      input: { ...base.input, paths: base.input.paths.map((p) => join(dir, 'in', basename(p))) },
      output: { ...base.output, dir: join(dir, out) },
    }),
  };
}

function records(dir: string, sub: string): Record<string, unknown>[] {
  const d = join(dir, sub);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .sort()
    .flatMap((f) =>
      readFileSync(join(d, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

/** Every file under a run directory except the report's timings and the resumable state. */
function snapshot(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (name === '_work' || name.startsWith('report.') || name === 'metrics.jsonl') continue;
      if (
        readdirSync(d, { withFileTypes: true })
          .find((e) => e.name === name)
          ?.isDirectory()
      )
        walk(full);
      else out.set(relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return out;
}

const EXPECTED_KEPT = [
  'rivers',
  'bread',
  'bees',
  'html-glaciers',
  'telescope',
  'tea-pii',
  'chess',
  'lighthouses',
  'notes.txt@0',
];

test('pipeline over the mixed sample keeps the expected documents, each rejection with its rule', async () => {
  const { dir, config } = setup();
  try {
    const cfg = config('out');
    const { report } = await runPipeline(cfg, { workers: 0, quiet: true });
    const out = cfg.output.dir;
    const kept = records(out, 'kept');
    assert.deepEqual(
      kept.map((r) => r['id']),
      EXPECTED_KEPT,
    );
    const rejected = new Map(
      records(out, 'rejected').map((r) => [r['id'], `${r['rejected_stage']}:${r['rejected_reason']}`]),
    );
    assert.equal(rejected.get('boilerplate'), 'gopher_quality:gopher_short_doc');
    assert.equal(rejected.get('spam'), 'gopher_repetition:dup_line_frac');
    assert.equal(rejected.get('cyrillic'), 'script_filter:script_Cyrillic');
    // a page of nothing but menus, sidebar, footer and a "Subscribe" line has no main text
    assert.equal(rejected.get('html-nav'), 'html_extract:html_no_text');
    assert.equal(rejected.get('rivers-copy'), 'exact_dedup:exact_duplicate');
    assert.equal(rejected.get('bees-near'), 'minhash_dedup:near_duplicate');
    assert.equal(rejected.get('no-text-field'), 'reader:missing_text_field');
    assert.ok([...rejected.values()].includes('reader:malformed_json'));
    assert.equal(records(out, 'rejected').find((r) => r['id'] === 'bees-near')?.['duplicate_of'], 'bees');
    // nothing silently dropped: every record is kept or rejected
    assert.equal(kept.length + rejected.size, report.reader.records);
    // malformed input counted and reported
    assert.deepEqual(report.reader.malformed, { malformed_json: 1, missing_text_field: 1, invalid_utf8: 1 });
    assert.equal(report.reader.emptyFiles, 1);
    // HTML extracted (no navigation or cookie text), PII redacted, metadata kept
    const glaciers = kept.find((r) => r['id'] === 'html-glaciers') as Record<string, string>;
    assert.ok(glaciers['text']!.startsWith('Glaciers form where more snow falls'));
    assert.ok(!/cookies|Copyright|News/.test(glaciers['text']!));
    assert.equal(glaciers['title'], 'Glaciers');
    const tea = kept.find((r) => r['id'] === 'tea-pii') as Record<string, string>;
    assert.ok(
      tea['text']!.includes(
        'write to email@example.com or call (555) 555-0100. Our server is at 22.214.171.124 and the intranet at 10.1.2.3.',
      ),
    );
    assert.equal((kept[0] as Record<string, string>)['url'], 'https://example.org/rivers');
    // report: stage flow is consistent, dedup clusters counted, tokens written
    for (let i = 1; i < report.stages.length; i++)
      assert.equal(report.stages[i]!.docsIn, report.stages[i - 1]!.docsOut);
    assert.equal(report.dedup[0]?.exactRemoved, 1);
    assert.equal(report.dedup[0]?.clusters, 1);
    const ds = openShardDataset(join(out, 'tokens'));
    assert.equal(ds.meta.vocab_size, 257);
    const train = ds.split('train');
    const val = ds.split('val');
    assert.equal(train.numDocuments + val.numDocuments, EXPECTED_KEPT.length);
    const keptBytes = kept.reduce((s, r) => s + Buffer.byteLength(r['text'] as string) + 1, 0);
    assert.equal(train.numTokens + val.numTokens, keptBytes);
    const [a, b] = train.documentBounds(0);
    const first = train.read(a, b - a, new Int32Array(b - a));
    assert.equal(first[first.length - 1], 256);
    const decoded = Buffer.from(Uint8Array.from(first.subarray(0, -1))).toString('utf8');
    assert.ok(
      kept.some((r) => r['text'] === decoded),
      'the first train document decodes to a kept text',
    );
    assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('<svg'));
    assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('| gopher_quality:gopher_short_doc | 1 |'));
    assert.ok(readFileSync(join(out, 'report.md'), 'utf8').includes('| html_extract:html_no_text | 1 |'));
    ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worker threads give the same outputs as inline; an interrupted run resumes to byte-identical outputs', async () => {
  const { dir, config } = setup();
  try {
    const ref = config('ref');
    await runPipeline(ref, { workers: 0, quiet: true });
    const want = snapshot(ref.output.dir);
    assert.ok(want.size > 10);

    const par = config('par');
    await runPipeline(par, { workers: 2, quiet: true });
    assert.deepEqual(snapshot(par.output.dir), want);

    // a worker thread dies mid-way through shard 3 of segment 0 (one worker: shards 0-2 are done by then)
    const killed = config('killed');
    await assert.rejects(
      runPipeline(killed, {
        workers: 1,
        quiet: true,
        fault: { segment: 0, shard: 3 - 1, afterDocuments: 1, mode: 'exit' },
      }),
      (e) => e instanceof IOError && /worker exited/.test(e.message),
    );
    assert.ok(existsSync(join(killed.output.dir, '_work', 'seg0', '00001.done.json')));
    assert.ok(!existsSync(join(killed.output.dir, '_work', 'seg0', '00002.done.json')));
    assert.ok(!existsSync(join(killed.output.dir, '_work', 'seg0', '00002.jsonl')), 'no partial output published');
    const resumed = await runPipeline(killed, { workers: 2, quiet: true });
    assert.equal(resumed.tasksSkipped, 2, 'finished shards were not redone');
    assert.deepEqual(snapshot(killed.output.dir), want);

    // an error thrown in the second segment (after dedup), inline
    const thrown = config('thrown');
    await assert.rejects(
      runPipeline(thrown, {
        workers: 0,
        quiet: true,
        fault: { segment: 1, shard: 1, afterDocuments: 2, mode: 'throw' },
      }),
      /injected fault/,
    );
    const r2 = await runPipeline(thrown, { workers: 0, quiet: true });
    assert.ok(r2.tasksSkipped >= 5);
    assert.deepEqual(snapshot(thrown.output.dir), want);
    assert.deepEqual(
      readdirSync(join(thrown.output.dir, 'kept')).filter((f) => f.startsWith('.')),
      [],
      'no temp files left',
    );

    // a finished run re-run is a no-op with the same outputs
    const again = await runPipeline(ref, { workers: 0, quiet: true });
    assert.equal(again.tasksRun, 0);
    assert.deepEqual(snapshot(ref.output.dir), want);

    // changing the config of an existing run is refused, --fresh starts over
    const changed = { ...ref, stages: ref.stages.slice(0, -1) };
    await assert.rejects(runPipeline(changed, { workers: 0, quiet: true }), ConfigError);
    await runPipeline(changed, { workers: 0, quiet: true, fresh: true });
    assert.ok(!existsSync(join(ref.output.dir, 'tokens')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('byte-range shards of one large file and gzip input give the same documents as one shard', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-range-'));
  try {
    const lines: string[] = [];
    const paras: string[] = [];
    for (let i = 0; i < 3000; i++) {
      lines.push(JSON.stringify({ id: `d${i}`, text: `document number ${i} ${'x'.repeat(i % 50)}` }));
      paras.push(`paragraph ${i}\nsecond line ${i}${i % 7 === 0 ? '\n\n' : ''}`);
    }
    writeFileSync(join(dir, 'big.jsonl'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'small.jsonl.gz'), gzipSync(lines.slice(0, 10).join('\n')));
    writeFileSync(join(dir, 'paras.txt'), paras.join('\n\n'));
    const run = async (mb: number, out: string): Promise<[string[], number]> => {
      const cfg = validateConfig({
        input: { paths: [dir + '/*.jsonl*', join(dir, 'paras.txt')], shard_size_mb: mb },
        output: join(dir, out),
        workers: 0,
        stages: ['clean_whitespace'],
      });
      const { report } = await runPipeline(cfg, { quiet: true });
      return [records(join(dir, out), 'kept').map((r) => `${r['id']}|${r['text']}`), report.inputs.shards];
    };
    const [whole, n1] = await run(64, 'one');
    const [split, n2] = await run(0.01, 'many');
    assert.equal(n1, 3);
    assert.ok(n2 > 6, `split into ${n2} shards`);
    assert.deepEqual(split, whole);
    assert.equal(whole.filter((r) => r.startsWith('paras.txt@')).length, 3000);
    assert.equal(whole.filter((r) => /^d\d+\|/.test(r)).length, 3010);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config errors name the field', () => {
  const ok = { input: ['x'], output: 'o', stages: [] };
  assert.throws(
    () => validateConfig({ ...ok, stages: ['gopher_qualiti'] }),
    (e) => e instanceof ConfigError && e.field === 'stages[0].type',
  );
  assert.throws(
    () => validateConfig({ ...ok, stages: [{ gopher_quality: { min_doc_word: 3 } }] }),
    (e) => e instanceof ConfigError && e.field === 'stages[0].min_doc_word',
  );
  assert.throws(
    () => validateConfig({ ...ok, stages: [{ type: 'gopher_quality', min_doc_words: 'ten' }] }),
    (e) => e instanceof ConfigError && e.field === 'stages[0].min_doc_words',
  );
  assert.throws(
    () => validateConfig({ ...ok, stages: ['tokenize', 'pii'] }),
    (e) => e instanceof ConfigError && e.field === 'stages[0]',
  );
  assert.throws(
    () => validateConfig({ ...ok, input: { paths: ['x'], text_mode: 'words' } }),
    (e) => e instanceof ConfigError && e.field === 'input.text_mode',
  );
  assert.throws(
    () => validateConfig({ ...ok, workers: -2 }),
    (e) => e instanceof ConfigError && e.field === 'workers',
  );
  const c = validateConfig({
    ...ok,
    stages: ['pii', { minhash_dedup: { bands: 20, rows: 5 } }, { type: 'gopher_quality', min_doc_words: null }],
  });
  assert.equal(c.stages.length, 3);
});
