/**
 * Data pipeline throughput: `npm run bench -- data [--input PATH] [--mb N] [--json]`.
 *
 * On a corpus given by path (text/JSONL files, directories or globs), or by default the
 * real English sentences nlp-corpus ships (node_modules/nlp-corpus/builds, grouped into
 * documents), it prints:
 *  - MB/s on one core for the filter chain (whitespace, NFC, Gopher repetition + quality,
 *    C4, FineWeb) and, in the same run, for a straightforward single-threaded baseline of
 *    the same chain written in this file (no datatrove here: it is Python, not installed,
 *    and PyPI is unreachable), with the ratio and a check that both keep the same documents;
 *  - MB/s on one core for MinHash signatures (5-grams, 14 x 8);
 *  - end-to-end MB/s of `runPipeline` (FineWeb chain + exact + MinHash dedup + PII) with
 *    1 worker thread and with one per core, and of the same run through the BullMQ queue
 *    executor with 2 `llmts data worker` processes on a real redis-server (when Debian's
 *    redis-server is installed; the workers are started and ready before the clock starts),
 *    with the scaling efficiency (speed-up over 1 worker / workers) of each.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planShards } from '../src/data/readers/plan.ts';
import { emptyReaderStats, readShard } from '../src/data/readers/read-shard.ts';
import { INPUT_DEFAULTS } from '../src/data/readers/input-spec.ts';
import { cleanWhitespace } from '../src/data/stages/clean-whitespace.ts';
import { normalizeUnicode } from '../src/data/stages/normalize.ts';
import { gopherRepetition } from '../src/data/stages/gopher-repetition.ts';
import { gopherQuality } from '../src/data/stages/gopher-quality.ts';
import { c4Quality } from '../src/data/stages/c4-quality.ts';
import { finewebQuality } from '../src/data/stages/fineweb-quality.ts';
import type { Stage } from '../src/data/stages/stage.ts';
import { MinHasher } from '../src/data/dedup/minhash.ts';
import { validateConfig } from '../src/data/pipeline/config.ts';
import { runPipeline } from '../src/data/pipeline/run.ts';
import { runQueued } from '../src/data/pipeline/queue.ts';
import { splitIntoWords } from '../src/data/text/words.ts';
import { splitIntoSentences } from '../src/data/text/sentences.ts';
import { nlpCorpusFileSentences } from '../src/data/corpora/nlp-corpus.ts';
import { ratio, startBench } from './lib/harness.ts';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

/** nlp-corpus: 100 JSON arrays of sentences; ~12 sentences per document, a line per 3. */
function nlpCorpusDocs(): string[] {
  const docs: string[] = [];
  for (const sents of nlpCorpusFileSentences()) {
    for (let i = 0; i + 12 <= sents.length; i += 12) {
      const lines: string[] = [];
      for (let j = 0; j < 12; j += 3) lines.push(sents.slice(i + j, i + j + 3).join(' '));
      docs.push(lines.join('\n'));
    }
  }
  return docs;
}

async function inputDocs(path: string): Promise<string[]> {
  const spec = { ...INPUT_DEFAULTS, paths: [path] };
  const out: string[] = [];
  const stats = emptyReaderStats();
  for (const sh of planShards(spec))
    for await (const b of readShard(sh, spec, stats)) for (const it of b) if (!it.reject) out.push(it.doc.text);
  return out;
}

// ---- the baseline: the same rules written the straightforward way ----
const STOP = ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'];
function baselineKeep(text0: string): boolean {
  let text = text0
    .replace(/\r\n?/g, '\n')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g, '')
    .replace(/[\u200b\u200c\u2060\ufeff\u00ad\u200d]/g, '');
  text = text
    .replace(/[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g, ' ')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+$/gm, '')
    .replace(/^[ \t]+$/gm, '');
  text = text
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .normalize('NFC');
  if (text.length === 0) return false;
  // gopher repetition
  const paras = text.trim().split(/\n{2,}/);
  const dup = (xs: string[]): [number, number] => {
    const seen: Record<string, boolean> = {};
    let n = 0;
    let c = 0;
    for (const x of xs) {
      if (seen[x]) {
        n++;
        c += x.length;
      } else seen[x] = true;
    }
    return [n, c];
  };
  let [n, c] = dup(paras);
  if (n / paras.length > 0.3 || c / text.length > 0.2) return false;
  const lines = text.split(/\n+/);
  [n, c] = dup(lines);
  if (n / lines.length > 0.3 || c / text.length > 0.2) return false;
  const words = splitIntoWords(text);
  for (const [k, frac] of [
    [2, 0.2],
    [3, 0.18],
    [4, 0.16],
  ] as const) {
    const counts: Record<string, number> = {};
    const order: string[] = [];
    for (let i = 0; i + k <= words.length; i++) {
      const g = words.slice(i, i + k).join(' ');
      if (counts[g] === undefined) order.push(g);
      counts[g] = (counts[g] ?? 0) + 1;
    }
    let best = '';
    let bc = 0;
    for (const g of order) if ((counts[g] as number) > bc) [best, bc] = [g, counts[g] as number];
    if (order.length > 0 && (best.length * bc) / text.length > frac) return false;
  }
  for (const [k, frac] of [
    [5, 0.15],
    [6, 0.14],
    [7, 0.13],
    [8, 0.12],
    [9, 0.11],
    [10, 0.1],
  ] as const) {
    if (words.length < k) continue;
    const seen: Record<string, boolean> = {};
    let rep = 0;
    let i = 0;
    while (i < words.length - k + 1) {
      const g = words.slice(i, i + k).join('');
      if (seen[g]) {
        rep += g.length;
        i += k;
      } else {
        seen[g] = true;
        i++;
      }
    }
    if (rep / text.length > frac) return false;
  }
  // gopher quality (re-tokenizes, as a rule-by-rule port would)
  const w2 = splitIntoWords(text);
  const nonSym = w2.filter((w) => /[^\p{P}\p{S}\p{Cc}]/u.test(w));
  if (nonSym.length < 50 || nonSym.length > 100000) return false;
  const avg = nonSym.reduce((s, w) => s + w.length, 0) / nonSym.length;
  if (avg < 3 || avg > 10) return false;
  if (text.split('#').length - 1 > 0.1 * w2.length) return false;
  if ((text.split('...').length - 1 + text.split('…').length - 1) / w2.length > 0.1) return false;
  const plines = text
    .split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/)
    .filter((l, i, a) => i < a.length - 1 || l !== '');
  if (plines.filter((l) => /^\s*[•-]/.test(l)).length / plines.length > 0.9) return false;
  if (plines.filter((l) => /(\.\.\.|…)\s*$/.test(l)).length / plines.length > 0.3) return false;
  if (w2.filter((w) => /\p{L}/u.test(w)).length / w2.length < 0.8) return false;
  if (new Set(w2.filter((w) => STOP.includes(w))).size < 2) return false;
  // c4 (no terminal punctuation rule, as FineWeb runs it)
  const kept: string[] = [];
  let sentences = 0;
  for (const raw of plines) {
    let line = raw.trim();
    const ws = line.split(/\s+/).filter(Boolean);
    if (ws.some((w) => w.length > 1000)) continue;
    line = line.replace(/\[\d*\]|\[edit\]|\[citation needed\]/g, '');
    if (ws.length < 3) continue;
    const low = line.toLowerCase();
    if (low.includes('lorem ipsum')) return false;
    if (low.includes('javascript')) continue;
    if (line.includes('{')) return false;
    if (
      ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'].some((p) =>
        low.includes(p),
      )
    )
      continue;
    sentences += splitIntoSentences(line).length;
    kept.push(line);
  }
  if (sentences < 5) return false;
  text = kept.join('\n').trim();
  // fineweb
  const fl = text.split('\n').filter((l) => l.trim() !== '');
  if (fl.length === 0) return false;
  if (fl.filter((l) => /\p{Sentence_Terminal}$/u.test(l)).length / fl.length < 0.12) return false;
  if (fl.filter((l) => l.length <= 30).length / fl.length > 0.67) return false;
  if (dup(fl)[1] / text.replace(/\n/g, '').length > 0.01) return false;
  if ((text.split('\n').length - 1) / Math.max(1, splitIntoWords(text).length) > 0.3) return false;
  return true;
}

function chain(): Stage[] {
  return [
    cleanWhitespace(),
    normalizeUnicode(),
    gopherRepetition(),
    gopherQuality(),
    c4Quality({ filter_no_terminal_punct: false }),
    finewebQuality(),
  ];
}

function runChain(stages: Stage[], docs: string[]): boolean[] {
  const noop = (): void => {};
  return docs.map((text) => {
    const doc = { id: '', text, metadata: {} };
    for (const s of stages) if (s.apply(doc, noop) !== undefined) return false;
    return true;
  });
}

function timeIt<T>(f: () => T, minMs = 1500): [T, number] {
  let r = f(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    r = f();
    n++;
    t = performance.now();
  } while (t - t0 < minMs);
  return [r, (t - t0) / n];
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('data', args);
  const input = arg(args, '--input');
  const limitMb = Number(arg(args, '--mb') ?? '4');
  let docs = input ? await inputDocs(input) : nlpCorpusDocs();
  // a sample of the corpus for the single-core timings
  const sample: string[] = [];
  let bytes = 0;
  for (const d of docs) {
    if (bytes > limitMb * 1e6) break;
    sample.push(d);
    bytes += Buffer.byteLength(d);
  }
  const mb = bytes / 1e6;
  console.log(
    `corpus: ${input ?? 'nlp-corpus (node_modules/nlp-corpus/builds)'}: ${docs.length} documents; single-core sample ${sample.length} documents, ${mb.toFixed(2)} MB`,
  );

  const [ours, tOurs] = timeIt(() => runChain(chain(), sample));
  const [base, tBase] = timeIt(() => sample.map(baselineKeep));
  const agree = ours.filter((k, i) => k === base[i]).length;
  bench.record({
    part: 'filter chain',
    impl: 'llmts',
    threads: 1,
    MBs: r2(mb / (tOurs / 1000)),
    kept: ours.filter(Boolean).length,
    of: sample.length,
  });
  bench.record({
    part: 'filter chain',
    impl: 'baseline (this file)',
    threads: 1,
    MBs: r2(mb / (tBase / 1000)),
    agree,
    of: sample.length,
  });
  bench.summary['filter chain vs baseline'] = ratio(tBase, tOurs);
  console.log(
    `filter chain, 1 core:      llmts ${(mb / (tOurs / 1000)).toFixed(2)} MB/s | baseline ${(mb / (tBase / 1000)).toFixed(2)} MB/s | ratio ${(tBase / tOurs).toFixed(2)}x | kept ${ours.filter(Boolean).length}/${sample.length}, decisions agree on ${agree}/${sample.length}`,
  );

  const mh = new MinHasher();
  const [, tSig] = timeIt(() => {
    let s = 0;
    for (const d of sample) s += mh.signature(d)[0] as number;
    return s;
  });
  bench.record({ part: 'minhash signatures', impl: 'llmts', threads: 1, MBs: r2(mb / (tSig / 1000)) });
  console.log(
    `MinHash signatures, 1 core: ${(mb / (tSig / 1000)).toFixed(2)} MB/s (${mh.bands} bands x ${mh.rows} rows, ${mh.ngram}-grams)`,
  );

  // end to end on the whole corpus, written as JSONL shards
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-data-'));
  try {
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, docs.map((t, i) => JSON.stringify({ id: i, text: t })).join('\n') + '\n');
    const totalMb = Buffer.byteLength(readFileSync(corpus)) / 1e6;
    docs = [];
    const stages = [
      'html_extract',
      'clean_whitespace',
      'normalize',
      'gopher_repetition',
      'gopher_quality',
      { c4_quality: { filter_no_terminal_punct: false } },
      'fineweb_quality',
      'exact_dedup',
      'minhash_dedup',
      'pii',
    ];
    const cores = bench.machine.cores;
    const res: Record<number, number> = {};
    for (const workers of [1, cores]) {
      const cfg = validateConfig({
        input: { paths: [corpus], shard_size_mb: Math.max(0.5, totalMb / (4 * cores)) },
        output: join(dir, `out${workers}`),
        stages,
      });
      const t0 = performance.now();
      const { report } = await runPipeline(cfg, { workers, quiet: true, fresh: true });
      const secs = (performance.now() - t0) / 1000;
      res[workers] = totalMb / secs;
      bench.record({
        part: 'end to end',
        impl: 'llmts',
        threads: workers,
        MBs: r2(res[workers]!),
        documentsKept: report.output.documents,
      });
      console.log(
        `end to end, ${workers} worker(s): ${totalMb.toFixed(2)} MB in ${secs.toFixed(2)} s = ${res[workers]!.toFixed(2)} MB/s (${report.inputs.shards} shards, kept ${report.output.documents} of ${report.reader.records} documents)`,
      );
    }
    if (cores > 1)
      console.log(
        `scaling ${cores} workers vs 1: ${(res[cores]! / res[1]!).toFixed(2)}x (efficiency ${((100 * res[cores]!) / res[1]! / cores).toFixed(0)}%)`,
      );
    bench.summary[`end to end ${cores} workers vs 1`] = r2(res[cores]! / res[1]!);
    const redisPath = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
    if (redisPath === '') console.log('queue executor: not measured (redis-server is not installed)');
    else {
      const q = await queueRun(redisPath, 2, async (url) => {
        const cfg = validateConfig({
          input: { paths: [corpus], shard_size_mb: Math.max(0.5, totalMb / (4 * cores)) },
          output: join(dir, 'outq'),
          stages,
        });
        const t0 = performance.now();
        const { report } = await runQueued(cfg, { redis: url, fresh: true, pollMs: 50 });
        return [(performance.now() - t0) / 1000, report.output.documents];
      });
      const mbs = totalMb / q.secs;
      bench.record({ part: 'end to end', impl: 'llmts bullmq queue', threads: 2, MBs: r2(mbs), documentsKept: q.kept });
      bench.summary['end to end 2 queue workers vs 1 worker thread'] = r2(mbs / res[1]!);
      console.log(
        `end to end, 2 queue workers on Redis: ${totalMb.toFixed(2)} MB in ${q.secs.toFixed(2)} s = ${mbs.toFixed(2)} MB/s, ${(mbs / res[1]!).toFixed(2)}x 1 worker (efficiency ${((100 * mbs) / res[1]! / 2).toFixed(0)}%), kept ${q.kept}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  bench.finish();
}

/** Starts redis-server and `workers` llmts data worker processes, runs `f`, stops them all. */
async function queueRun(
  redisPath: string,
  workers: number,
  f: (url: string) => Promise<[number, number]>,
): Promise<{ secs: number; kept: number }> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const url = `redis://127.0.0.1:${port}`;
  const procs: ChildProcess[] = [];
  const ready = (p: ChildProcess, re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      let text = '';
      p.stdout?.on('data', (b: Buffer) => {
        text += b.toString();
        if (re.test(text)) resolve();
      });
      p.on('exit', (code) => reject(new Error(`exited with ${code} before ${re}: ${text}`)));
    });
  try {
    const redis = spawn(
      redisPath,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    procs.push(redis);
    await ready(redis, /Ready to accept connections/);
    const bin = join(import.meta.dirname, '..', 'bin', 'llmts.mjs');
    const starts: Promise<void>[] = [];
    for (let i = 0; i < workers; i++) {
      const w = spawn(process.execPath, [bin, 'data', 'worker', '--redis', url], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, LLMTS_FROM_SOURCE: '1', LLMTS_NO_PROGRESS: '1', LLMTS_THREADS: '1' },
      });
      procs.push(w);
      starts.push(ready(w, /ready on/));
    }
    await Promise.all(starts);
    const [secs, kept] = await f(url);
    return { secs, kept };
  } finally {
    for (const p of procs.reverse()) {
      p.removeAllListeners('exit');
      if (p.exitCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGTERM');
        await gone;
      }
    }
  }
}

const r2 = (x: number): number => Math.round(x * 100) / 100;
