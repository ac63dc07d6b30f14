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
import { createShardWriter } from '../shards/writer.ts';
import { MegatronWriter } from '../shards/megatron.ts';
import { loadTokenizerLike } from '../tokenize/tokenizer-like.ts';
import type { PipelineConfig } from './config.ts';
import { runLayout } from './layout.ts';
import type { RunLayout } from './layout.ts';
import { runPool } from './pool.ts';
import { splitSegments } from './segments.ts';
import type { Segment } from './segments.ts';
import type { FaultInjection, PoolTask, ShardResult, TaskContext } from './task.ts';
import { bucketTasks, pendingTasks, planSteps, runClusterTask } from './steps.ts';
import type { Step } from './steps.ts';
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

/** A run's plan and output directory, checked against an earlier run there. */
export interface PreparedRun {
  config: PipelineConfig;
  out: string;
  L: RunLayout;
  shards: InputShard[];
  segments: Segment[];
  steps: Step[];
  fingerprint: string;
}

/**
 * Plans the shards and steps and claims the output directory: refuses a directory holding
 * a different run (unless `fresh`), writes the run's fingerprint. `cleanTemps` removes the
 * temp files of interrupted writers, which only the one process of a local run may do: with
 * array tasks or queue workers, other processes may be writing them right now.
 */
export function prepareRun(config: PipelineConfig, opts: { fresh?: boolean; cleanTemps: boolean }): PreparedRun {
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
  if (opts.cleanTemps) removeStaleTemps(out);
  if (!existsSync(L.runFile)) writeFileAtomic(L.runFile, fingerprint);
  return { config, out, L, shards, segments, steps: planSteps(segments, shards.length), fingerprint };
}

export interface RunInfo {
  wallMs: number;
  workers: number;
  tasksRun: number;
  tasksSkipped: number;
}

/** The finish step: packs the tokens (once), writes the report and the completion marker. */
export async function finishRun(p: PreparedRun, info: RunInfo): Promise<PipelineReport> {
  const { L, config, shards, segments } = p;
  const lastSeg = segments[segments.length - 1] as Segment;
  if (lastSeg.sinkAt !== -1 && !existsSync(L.packDone)) await pack(L, config, lastSeg, shards);
  const results: ShardResult[][] = segments.map((seg) =>
    shards.map((sh) => readJson<ShardResult>(L.segDone(seg.index, sh.name))),
  );
  const dedup = segments.filter((s) => s.barrier !== null).map((s) => readJson<DedupSummary>(L.dedupDone(s.index)));
  const totalBytes = shards.reduce((s, x) => s + ((x.end ?? x.size) - x.start), 0);
  const report = buildReport(
    config,
    shards,
    results,
    dedup,
    existsSync(`${L.tokensDir}/meta.json`) ? L.tokensDir : null,
    { ...info, totalBytes },
  );
  writeReports(p.out, report);
  if (!config.output.keep_work) {
    // keep the small markers (so a re-run is a no-op), drop the bulky intermediates
    for (const seg of segments) {
      for (const sh of shards) {
        for (const f of [
          L.segDocs(seg.index, sh.name),
          L.segSig(seg.index, sh.name),
          L.segRejected(seg.index, sh.name),
        ]) {
          if (seg.index < segments.length - 1) rmSync(f, { force: true });
        }
      }
      if (seg.barrier !== null) {
        rmSync(L.exactPairs(seg.index), { force: true });
        for (const w of bucketTasks(seg.barrier)) if (w !== 'exact') rmSync(L.bandEdges(seg.index, w), { force: true });
      }
    }
    rmSync(`${L.work}/tokens`, { recursive: true, force: true });
  }
  // every other task has finished: what is left of interrupted writes can go
  removeStaleTemps(p.out);
  writeFileAtomic(L.complete, '{}\n');
  return report;
}

/** Metrics line of a finished map task (timings: not part of the reproducible outputs). */
export function appendMetrics(out: string, r: ShardResult): void {
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
}

export async function runPipeline(config: PipelineConfig, opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const p = prepareRun(config, { fresh: opts.fresh === true, cleanTemps: true });
  const { out, L, shards, segments } = p;
  const workers = opts.workers ?? (config.workers === -1 ? defaultThreads() : config.workers);
  const ctx: TaskContext = { config, outDir: out, segments, fault: opts.fault ?? null, inWorker: false };
  let tasksRun = 0;
  let tasksSkipped = 0;
  const totalBytes = shards.reduce((s, x) => s + ((x.end ?? x.size) - x.start), 0);

  for (const step of p.steps) {
    if (step.kind === 'finish') break;
    const todo = pendingTasks(L, segments, shards, step);
    tasksSkipped += step.tasks - todo.length;
    if (todo.length === 0) continue;
    if (step.kind === 'cluster') {
      runClusterTask(L, segments[step.segment] as Segment, shards);
      tasksRun++;
      continue;
    }
    const isMap = step.kind === 'map';
    const first = isMap && step.segment === 0;
    const bar = opts.quiet
      ? null
      : createProgress(first ? Math.ceil(totalBytes / 1e6) : todo.length, {
          label: step.name,
          unit: first ? 'MB' : isMap ? 'shards' : 'tasks',
          force: opts.progress === true,
        });
    let mb = 0;
    const tasks: PoolTask[] = todo.map((t) =>
      isMap
        ? { kind: 'map', segment: step.segment, shard: shards[t] as InputShard }
        : { kind: 'buckets', segment: step.segment, task: t, shards },
    );
    await runPool(
      ctx,
      tasks,
      workers,
      (r) => {
        tasksRun++;
        if (r.kind === 'map') appendMetrics(out, r.result);
        if (!first) bar?.increment(1);
      },
      (_docs, bytes) => {
        if (first) {
          mb += bytes / 1e6;
          bar?.update(Math.floor(mb));
        }
      },
    );
    bar?.stop();
  }
  const report = await finishRun(p, { wallMs: performance.now() - started, workers, tasksRun, tasksSkipped });
  return { report, tasksRun, tasksSkipped };
}
