/**
 * Web-data readers and extraction: `npm run bench -- data-web [--reps N] [--docs N] [--json] [--no-peer]`.
 *
 *  - Extraction on the labelled page set (test/fixtures/data/labelled/pages): main-text
 *    recall, boilerplate removed, and pages/s for llmts's extractor and, in the same run,
 *    for readability-lxml (Debian's python3-readability; Trafilatura is not installable
 *    here). Both are single-threaded; the peer has no thread count to vary.
 *  - Reader throughput (MB/s of decompressed input, one thread) for JSONL, JSONL.gz,
 *    JSONL.zst, CSV, Parquet (snappy, written by hyparquet-writer) and WARC.gz (the wget
 *    fixture's records repeated). No peer: no Python Parquet/WARC reader is installable here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init as zstdInit, compress as zstdCompress } from '@bokuweb/zstd-wasm';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { extractHtml } from '../src/data/stages/html-extract.ts';
import { goldPage, scoreExtraction } from '../src/data/html/gold.ts';
import type { GoldPage } from '../src/data/html/gold.ts';
import { planShards } from '../src/data/readers/plan.ts';
import { emptyReaderStats, readShard } from '../src/data/readers/read-shard.ts';
import { INPUT_DEFAULTS } from '../src/data/readers/input-spec.ts';
import { nlpCorpusFileSentences } from '../src/data/corpora/nlp-corpus.ts';
import { BENCH_DIR, PYTHON, flagValue, startBench } from './lib/harness.ts';

function pooled(pages: GoldPage[], texts: string[]): { recall: number; removed: number } {
  let mc = 0;
  let mf = 0;
  let bs = 0;
  let br = 0;
  pages.forEach((p, i) => {
    const s = scoreExtraction(p, texts[i] ?? '');
    mc += s.mainChars;
    mf += s.mainFound;
    bs += s.bpSegments;
    br += s.bpRemoved;
  });
  return { recall: mf / mc, removed: br / bs };
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('data-web', args);
  const reps = Number(flagValue(args, '--reps') ?? '20');
  const pagesDir = join(BENCH_DIR, '..', 'test', 'fixtures', 'data', 'labelled', 'pages');
  const pages = readdirSync(pagesDir)
    .filter((f) => f.endsWith('.html'))
    .sort()
    .map((f) => goldPage(readFileSync(join(pagesDir, f), 'utf8')));
  const bytes = pages.reduce((s, p) => s + Buffer.byteLength(p.html), 0);

  // ---- extraction ----
  let texts: string[] = [];
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) texts = pages.map((p) => extractHtml(p.html).text);
  const llSec = (performance.now() - t0) / 1000;
  const ll = pooled(pages, texts);
  console.log(`\nextraction, ${pages.length} labelled pages x ${reps}:`);
  console.log('impl               main recall  boilerplate removed  pages/s');
  const row = (impl: string, q: { recall: number; removed: number }, sec: number): void => {
    const pps = (pages.length * reps) / sec;
    console.log(
      `${impl.padEnd(18)} ${q.recall.toFixed(3).padStart(11)}  ${q.removed.toFixed(3).padStart(19)}  ${pps.toFixed(0).padStart(7)}`,
    );
    bench.record({
      case: 'extraction',
      impl,
      threads: 1,
      mainRecall: q.recall,
      boilerplateRemoved: q.removed,
      pagesPerS: pps,
      mbPerS: (bytes * reps) / sec / 1e6,
    });
  };
  row('llmts', ll, llSec);
  if (bench.withPeer) {
    const r = spawnSync(PYTHON, [join(BENCH_DIR, 'peers', 'readability_extract.py')], {
      input: JSON.stringify({ pages: pages.map((p) => p.html), reps }),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    if (r.status !== 0)
      console.log(
        `readability-lxml peer unavailable (apt-get install -y python3-readability): ${r.stderr.trim().split('\n').pop()}`,
      );
    else {
      const out = JSON.parse(r.stdout) as { texts: string[]; seconds: number; version: string };
      bench.peerVersion('readability-lxml', out.version);
      const q = pooled(pages, out.texts);
      row('readability-lxml', q, out.seconds);
      bench.summary['extraction_speed_ratio'] = +(out.seconds / llSec).toFixed(2);
    }
  }

  // ---- readers ----
  const n = Number(flagValue(args, '--docs') ?? '20000');
  const sents: string[] = [];
  for (const f of nlpCorpusFileSentences()) sents.push(...f);
  const docs = Array.from({ length: n }, (_, i) => ({
    id: `d${i}`,
    text: sents.slice((i * 5) % (sents.length - 5), ((i * 5) % (sents.length - 5)) + 5).join(' '),
  }));
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-web-'));
  try {
    const jsonl = docs.map((d) => JSON.stringify(d)).join('\n') + '\n';
    writeFileSync(join(dir, 'a.jsonl'), jsonl);
    writeFileSync(join(dir, 'a.jsonl.gz'), gzipSync(jsonl));
    await zstdInit();
    writeFileSync(join(dir, 'a.jsonl.zst'), zstdCompress(Buffer.from(jsonl), 3));
    writeFileSync(
      join(dir, 'a.csv'),
      'id,text\n' + docs.map((d) => `${d.id},"${d.text.replace(/"/g, '""')}"`).join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'a.parquet'),
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: docs.map((d) => d.id) },
            { name: 'text', data: docs.map((d) => d.text) },
          ],
          rowGroupSize: 5000,
        }),
      ),
    );
    const warc = readFileSync(join(BENCH_DIR, '..', 'test', 'fixtures', 'data', 'web', 'crawl.warc.gz'));
    writeFileSync(
      join(dir, 'a.warc.gz'),
      Buffer.concat(Array.from({ length: Math.max(1, Math.floor(n / 20)) }, () => warc)),
    );
    console.log(
      `\nreaders, one thread (${n} documents of ~5 sentences; WARC: the wget fixture x ${Math.max(1, Math.floor(n / 20))}):`,
    );
    console.log('format        file MB  input MB/s  docs/s');
    for (const f of ['a.jsonl', 'a.jsonl.gz', 'a.jsonl.zst', 'a.csv', 'a.parquet', 'a.warc.gz']) {
      const spec = { ...INPUT_DEFAULTS, paths: [join(dir, f)] };
      const stats = emptyReaderStats();
      const t = performance.now();
      let count = 0;
      for (const sh of planShards(spec)) for await (const b of readShard(sh, spec, stats)) count += b.length;
      const sec = (performance.now() - t) / 1000;
      const mbs = stats.bytes / sec / 1e6;
      console.log(
        `${f.padEnd(13)} ${(statSync(join(dir, f)).size / 1e6).toFixed(1).padStart(7)}  ${mbs.toFixed(1).padStart(10)}  ${(count / sec).toFixed(0).padStart(6)}`,
      );
      bench.record({ case: `read ${f}`, impl: 'llmts', threads: 1, mbPerS: mbs, docsPerS: count / sec });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  bench.finish();
}
