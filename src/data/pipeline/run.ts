/**
 * Runs a pipeline config end to end: plans the input shards, runs every segment over
 * all shards in parallel, clusters duplicates at each dedup barrier, packs tokens into
 * the shard format, and writes the report. Resumable: every task's outputs and done
 * marker are atomic, so a re-run after an interruption skips finished tasks and
 * produces byte-identical outputs. A re-run with different inputs or config is refused
 * unless `fresh` is set (which starts over).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { defaultThreads } from '../../core/threads.ts';
import { createProgress } from '../../core/progress.ts';
import { planShards } from '../readers/plan.ts';
import type { InputShard } from '../readers/plan.ts';
import { removeStaleTemps } from '../writers/atomic-stream.ts';
import { clusterDuplicates } from '../dedup/cluster.ts';
import type { ClusterResult } from '../dedup/cluster.ts';
import { createShardWriter } from '../shards/writer.ts';
import { MegatronWriter } from '../shards/megatron.ts';
import { loadTokenizerLike } from '../tokenize/tokenizer-like.ts';
import type { PipelineConfig } from './config.ts';
import { runLayout } from './layout.ts';
import type { RunLayout } from './layout.ts';
import { runPool } from './pool.ts';
import type { PoolTask } from './pool.ts';
import { splitSegments } from './segments.ts';
import type { Segment } from './segments.ts';
import type { FaultInjection, ShardResult, TaskContext } from './task.ts';
import { buildReport, writeReports } from './report.ts';
import type { DedupSummary, PipelineReport } from './report.ts';
import { withDefaults } from './registry.ts';

export interface RunOptions {
  /** start over, deleting an earlier (possibly different) run in the output directory */
  fresh?: boolean;
  /** overrides config.workers (0 = inline) */
  workers?: number;
  /** deterministic fault injection for tests */
  fault?: FaultInjection | null;
  /** show progress bars even when stderr is not a terminal */
  progress?: boolean;
  /** print nothing */
  quiet?: boolean;
}

export interface RunResult {
  report: PipelineReport;
  /** tasks actually run now (the rest were finished by an earlier run) */
  tasksRun: number;
  tasksSkipped: number;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function sigColumns(
  L: RunLayout,
  seg: number,
  shard: InputShard,
  cols: number,
): { count: number; column(c: number): Float64Array } {
  const raw = readFileSync(L.segSig(seg, shard.name));
  const all = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const count = all.length / cols;
  return { count, column: (c) => all.subarray(c * count, (c + 1) * count) };
}

/** Clusters the signatures of segment `seg` and writes each shard's removal list. */
function runBarrier(L: RunLayout, seg: Segment, shards: readonly InputShard[]): DedupSummary {
  const b = seg.barrier;
  if (b === null) throw new Error('runBarrier on a segment without a barrier');
  const bands = b.minhash?.bands ?? 0;
  const cols = shards.map((s) => sigColumns(L, seg.index, s, 1 + bands));
  const r: ClusterResult = clusterDuplicates(cols, bands, b.exactAt !== -1, b.minhashAt !== -1);
  // global index -> (shard, local) for naming the kept document
  const starts: number[] = [];
  let total = 0;
  for (const c of cols) {
    starts.push(total);
    total += c.count;
  }
  const idCache = new Map<number, string[]>();
  const idOf = (g: number): string => {
    let s = 0;
    while (s + 1 < starts.length && (starts[s + 1] as number) <= g) s++;
    let ids = idCache.get(s);
    if (ids === undefined) {
      ids = readJson<string[]>(L.segIds(seg.index, (shards[s] as InputShard).name));
      idCache.set(s, ids);
    }
    return ids[g - (starts[s] as number)] as string;
  };
  shards.forEach((sh, s) => {
    const list: [number, 'exact' | 'minhash', string][] = [];
    const start = starts[s] as number;
    for (let i = 0; i < (cols[s] as { count: number }).count; i++) {
      const g = start + i;
      const reason = r.reason[g];
      if (reason !== 0) list.push([i, reason === 1 ? 'exact' : 'minhash', idOf(r.duplicateOf[g] as number)]);
    }
    writeFileAtomic(L.dedupRemovals(seg.index, sh.name), JSON.stringify(list));
  });
  const summary: DedupSummary = {
    segment: seg.index,
    documents: total,
    exactRemoved: r.exactRemoved,
    exactGroups: r.exactGroups,
    minhashRemoved: r.minhashRemoved,
    clusters: r.clusters,
    clusterSizes: r.clusterSizes,
    largestCluster: r.largestCluster,
    candidatePairs: r.candidatePairs,
  };
  writeFileAtomic(L.dedupDone(seg.index), JSON.stringify(summary));
  return summary;
}

/** Concatenates the per-shard token files into the shard dataset (train/val). */
async function pack(L: RunLayout, config: PipelineConfig, seg: Segment, shards: readonly InputShard[]): Promise<void> {
  const p = withDefaults('tokenize', config.stages[seg.sinkAt]!.params);
  const spec = String(p['tokenizer']);
  const tok = await loadTokenizerLike(spec, `stages[${seg.sinkAt}].tokenizer`);
  const eos = p['append_eos'] === true ? (tok.eosId ?? null) : null;
  const bos = p['prepend_bos'] === true ? (tok.bosId ?? null) : null;
  const fmt = p['output_format'] as 'llmts' | 'megatron' | 'both';
  const mega = new Map<string, MegatronWriter>();
  const megaFor = (split: string): MegatronWriter => {
    let m = mega.get(split);
    if (m === undefined) {
      m = new MegatronWriter(join(L.out, 'megatron', `${split}_text_document`), {
        vocabSize: tok.vocabSize,
        eosId: eos,
      });
      mega.set(split, m);
    }
    return m;
  };
  const w =
    fmt === 'megatron'
      ? null
      : createShardWriter(L.tokensDir, {
          vocabSize: tok.vocabSize,
          eosId: eos,
          bosId: bos,
          tokenizerJson: tok.json?.() ?? null,
          tokenizerName: spec === 'bytes' ? 'bytes' : null,
          maxTokensPerFile: p['max_tokens_per_file'] as number,
          source: `llmts data pipeline over ${config.input.paths.join(', ')}; val = documents whose id hash falls below ${p['val_fraction']}`,
          createdBy: 'llmts data run',
        });
  try {
    for (const sh of shards) {
      const idx = readFileSync(L.tokensIdx(sh.name));
      const n = idx.length / 5;
      const bin = readFileSync(L.tokensBin(sh.name));
      const ids = new Uint32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
      let off = 0;
      for (let i = 0; i < n; i++) {
        const len = idx.readUInt32LE(i * 4);
        const split = idx[n * 4 + i] === 1 ? 'val' : 'train';
        const doc = ids.subarray(off, off + len);
        w?.addDocument(split, doc);
        if (fmt !== 'llmts') megaFor(split).addDocument(bos !== null ? [bos, ...doc] : doc);
        off += len;
      }
    }
    w?.finish();
    for (const m of mega.values()) m.finish();
  } catch (err) {
    w?.abort();
    for (const m of mega.values()) m.abort();
    throw err;
  }
  writeFileAtomic(L.packDone, '{}\n');
}

/**
 * What a run writes directly inside its output directory (besides temp files of interrupted
 * writes). A new top-level output must be listed here, or --fresh will refuse to remove it.
 */
const RUN_OUTPUTS = new Set([
  '_work',
  'kept',
  'rejected',
  'tokens',
  'megatron',
  'stats',
  'report.json',
  'report.md',
  'report.html',
  'metrics.jsonl',
]);
const TEMP_NAME = /^\..+\.(?:tmp|staging)-\d+-\d+(?:\.old)?$/;

function isInside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * --fresh: removes what an earlier run wrote, and only that. Refuses (ConfigError, nothing
 * deleted) when the directory holds one of this run's inputs, or anything a run does not
 * write, or pipeline-named folders without a run's marker (someone else's "kept/").
 */
function removeEarlierRun(out: string, L: RunLayout, shards: readonly InputShard[]): void {
  if (!existsSync(out)) return;
  const input = shards.find((s) => isInside(s.file, out));
  if (input !== undefined)
    throw new ConfigError(
      'output.dir',
      `--fresh would delete the input ${input.file}, which is inside the output directory ${out}; write to another directory`,
    );
  const entries = readdirSync(out);
  const foreign = entries.filter((n) => !RUN_OUTPUTS.has(n) && !TEMP_NAME.test(n));
  if (foreign.length > 0)
    throw new ConfigError(
      'output.dir',
      `--fresh removes only what the pipeline wrote, but ${out} also holds ${foreign
        .slice(0, 3)
        .map((n) => JSON.stringify(n))
        .join(
          ', ',
        )}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}; use a new output directory or empty it yourself`,
    );
  // (a run stopped right after creating _work/ leaves only that folder)
  if (entries.some((n) => RUN_OUTPUTS.has(n) && n !== '_work') && !existsSync(L.runFile))
    throw new ConfigError(
      'output.dir',
      `${out} holds ${entries.filter((n) => RUN_OUTPUTS.has(n)).join(', ')} but no pipeline run (no _work/run.json); --fresh will not delete them`,
    );
  for (const n of entries) rmSync(join(out, n), { recursive: true, force: true });
}

export async function runPipeline(config: PipelineConfig, opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const out = resolve(config.output.dir);
  const L = runLayout(out);
  const shards = planShards(config.input);
  const segments = splitSegments(config.stages);
  const fingerprint = JSON.stringify({
    config: { ...config, workers: undefined, output: { ...config.output, dir: out } },
    shards: shards.map((s) => [s.file, s.start, s.end, s.size, s.mtimeMs]),
  });
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new ConfigError('output.dir', `${out} is a file; the output must be a directory`);
  if (opts.fresh === true) removeEarlierRun(out, L, shards);
  if (existsSync(L.runFile)) {
    if (readFileSync(L.runFile, 'utf8') !== fingerprint) {
      throw new ConfigError(
        'output.dir',
        `${out} holds a run with a different config or different inputs; use a new output directory or --fresh`,
      );
    }
  }
  mkdirSync(L.work, { recursive: true });
  removeStaleTemps(out);
  writeFileAtomic(L.runFile, fingerprint);

  const workers = opts.workers ?? (config.workers === -1 ? defaultThreads() : config.workers);
  const ctx: TaskContext = { config, outDir: out, segments, fault: opts.fault ?? null, inWorker: false };
  const results: ShardResult[][] = segments.map(() => []);
  const dedup: DedupSummary[] = [];
  let tasksRun = 0;
  let tasksSkipped = 0;
  const totalBytes = shards.reduce((s, x) => s + ((x.end ?? x.size) - x.start), 0);

  for (const seg of segments) {
    const todo: PoolTask[] = [];
    for (const sh of shards) {
      const done = L.segDone(seg.index, sh.name);
      if (existsSync(done)) {
        results[seg.index]!.push(readJson<ShardResult>(done));
        tasksSkipped++;
      } else todo.push({ segment: seg.index, shard: sh });
    }
    if (todo.length > 0) {
      const bar = opts.quiet
        ? null
        : createProgress(seg.index === 0 ? Math.ceil(totalBytes / 1e6) : todo.length, {
            label: `segment ${seg.index}`,
            unit: seg.index === 0 ? 'MB' : 'shards',
            force: opts.progress === true,
          });
      let mb = 0;
      await runPool(
        ctx,
        todo,
        workers,
        (r) => {
          results[seg.index]!.push(r);
          tasksRun++;
          // one metrics line per finished task (timings: not part of the reproducible outputs)
          appendFileSync(
            `${out}/metrics.jsonl`,
            JSON.stringify({
              segment: r.segment,
              shard: r.name,
              docs_in: r.docsIn,
              docs_out: r.docsOut,
              bytes_in: r.bytesIn,
              bytes_out: r.bytesOut,
              ms: Math.round(r.timeMs),
            }) + '\n',
          );
          if (seg.index > 0) bar?.increment(1);
        },
        (_docs, bytes) => {
          if (seg.index === 0) {
            mb += bytes / 1e6;
            bar?.update(Math.floor(mb));
          }
        },
      );
      bar?.stop();
    }
    results[seg.index]!.sort((a, b) => (a.name < b.name ? -1 : 1));
    if (seg.barrier !== null)
      dedup.push(
        existsSync(L.dedupDone(seg.index))
          ? readJson<DedupSummary>(L.dedupDone(seg.index))
          : runBarrier(L, seg, shards),
      );
  }
  const lastSeg = segments[segments.length - 1] as Segment;
  if (lastSeg.sinkAt !== -1 && !existsSync(L.packDone)) await pack(L, config, lastSeg, shards);

  const wallMs = performance.now() - started;
  const report = buildReport(
    config,
    shards,
    results,
    dedup,
    existsSync(`${L.tokensDir}/meta.json`) ? L.tokensDir : null,
    { wallMs, workers, tasksRun, tasksSkipped, totalBytes },
  );
  writeReports(out, report);
  writeFileAtomic(L.complete, '{}\n');
  if (!config.output.keep_work) {
    // keep the small markers (so a re-run is a no-op), drop the bulky intermediates
    for (const seg of segments) {
      for (const sh of shards) {
        for (const p of [
          L.segDocs(seg.index, sh.name),
          L.segSig(seg.index, sh.name),
          L.segRejected(seg.index, sh.name),
        ]) {
          if (seg.index < segments.length - 1) rmSync(p, { force: true });
        }
      }
    }
    rmSync(`${L.work}/tokens`, { recursive: true, force: true });
  }
  return { report, tasksRun, tasksSkipped };
}
