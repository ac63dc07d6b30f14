/**
 * One unit of parallel work: a segment of the stage list applied to one input shard.
 * Reads the shard (raw input in segment 0, the previous segment's survivors after),
 * drops the documents the last dedup barrier removed, runs the map stages, and writes
 * its outputs atomically: survivors + dedup signatures for the next barrier, or the
 * final kept/rejected JSONL and per-shard token files. A done marker written last
 * makes the task skippable on resume. Runs identically in a worker or inline.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import type { Document, Rejection } from '../document.ts';
import { emptyReaderStats, readShard } from '../readers/read-shard.ts';
import type { ReadItem, ReaderStats } from '../readers/read-shard.ts';
import type { InputShard } from '../readers/plan.ts';
import { emptyStageStats } from '../stages/stage.ts';
import type { Stage, StageStats } from '../stages/stage.ts';
import { AtomicFileStream } from '../writers/atomic-stream.ts';
import { intermediateRecord, keptRecord, parseIntermediate, rejectedRecord } from '../writers/jsonl.ts';
import { MinHasher } from '../dedup/minhash.ts';
import { hash52 } from '../text/hash.ts';
import { simplifyText } from '../text/simplify.ts';
import { writeFileAtomic } from '../../core/atomic.ts';
import { faultPoint } from '../../core/fault.ts';
import { loadTokenizerLike } from '../tokenize/tokenizer-like.ts';
import type { TokenizerLike } from '../tokenize/tokenizer-like.ts';
import type { PipelineConfig } from './config.ts';
import { createStage, withDefaults } from './registry.ts';
import { runLayout } from './layout.ts';
import type { Segment } from './segments.ts';
import { runBucketTask } from './steps.ts';

export interface FaultInjection {
  segment: number;
  shard: number;
  /** fail after this many documents of that shard */
  afterDocuments: number;
  /** throw an error, or end the worker thread abruptly (process.exit inside the worker) */
  mode: 'throw' | 'exit';
}

export interface TaskContext {
  config: PipelineConfig;
  outDir: string;
  segments: Segment[];
  fault: FaultInjection | null;
  /** true inside a worker thread (mode "exit" may end the thread) */
  inWorker: boolean;
}

export interface ShardResult {
  name: string;
  segment: number;
  reader: ReaderStats | null;
  /** per config stage index; null where this segment does not touch the stage */
  stages: (StageStats | null)[];
  docsIn: number;
  docsOut: number;
  bytesIn: number;
  bytesOut: number;
  timeMs: number;
  tokens: { train: number; val: number; documents: number } | null;
}

export type ProgressFn = (docs: number, bytes: number) => void;

/** Work a thread of the pool can do: a map task, or a dedup bucket task (exact or one band). */
export type PoolTask =
  | { kind: 'map'; segment: number; shard: InputShard }
  | { kind: 'buckets'; segment: number; task: number; shards: InputShard[] }
  /** any task of the run's step list (queue workers): step index and task index */
  | { kind: 'step'; step: number; task: number };

export type TaskOutput =
  | { kind: 'map'; result: ShardResult }
  | { kind: 'buckets'; pairs: number }
  | { kind: 'step'; result: ShardResult | null };

export async function runPoolTask(ctx: TaskContext, t: PoolTask, progress?: ProgressFn): Promise<TaskOutput> {
  if (t.kind === 'map') return { kind: 'map', result: await runTask(ctx, t.segment, t.shard, progress) };
  if (t.kind === 'step') throw new Error('step tasks run through runStepTask (data/pipeline/array.ts)');
  const seg = ctx.segments[t.segment] as Segment;
  return { kind: 'buckets', pairs: runBucketTask(runLayout(ctx.outDir), seg, t.shards, t.task).pairs };
}

/** The documents of the previous segment's output for a shard, streamed line by line. */
async function* readIntermediate(path: string): AsyncGenerator<ReadItem[]> {
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let rest = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() as string;
    yield lines.filter((l) => l.length > 0).map((l) => ({ doc: parseIntermediate(l) }));
  }
  if (rest.length > 0) yield [{ doc: parseIntermediate(rest) }];
}

interface Removal {
  reason: 'exact' | 'minhash';
  of: string;
}

const tokenizers = new Map<string, Promise<TokenizerLike>>();
function tokenizerFor(spec: string): Promise<TokenizerLike> {
  let t = tokenizers.get(spec);
  if (t === undefined) {
    t = loadTokenizerLike(spec, 'stages.tokenize.tokenizer');
    tokenizers.set(spec, t);
  }
  return t;
}

/** Assigns a document to val by a hash of its id (independent of sharding and order). */
export function isVal(id: string, fraction: number): boolean {
  return fraction > 0 && hash52(id) / 4503599627370496 < fraction;
}

export async function runTask(
  ctx: TaskContext,
  segIndex: number,
  shard: InputShard,
  progress?: ProgressFn,
): Promise<ShardResult> {
  const t0 = performance.now();
  const L = runLayout(ctx.outDir);
  const { config } = ctx;
  const seg = ctx.segments[segIndex] as Segment;
  const last = segIndex === ctx.segments.length - 1;
  const name = shard.name;
  const stats: (StageStats | null)[] = config.stages.map(() => null);
  const statOf = (i: number): StageStats => {
    let s = stats[i];
    if (!s) {
      s = emptyStageStats(config.stages[i]?.type ?? '?');
      stats[i] = s;
    }
    return s;
  };
  const stages: [number, Stage][] = seg.stages.map((i) => {
    const sc = config.stages[i];
    const st = createStage(sc!.type, withDefaults(sc!.type, sc!.params));
    st.startShard?.();
    statOf(i);
    return [i, st];
  });

  // removals decided by the previous barrier
  const prev = segIndex > 0 ? (ctx.segments[segIndex - 1] as Segment).barrier : null;
  let removals = new Map<number, Removal>();
  if (prev !== null) {
    const raw = JSON.parse(readFileSync(L.dedupRemovals(segIndex - 1, name), 'utf8')) as [
      number,
      'exact' | 'minhash',
      string,
    ][];
    removals = new Map(raw.map(([i, reason, of]) => [i, { reason, of }]));
    if (prev.exactAt !== -1) statOf(prev.exactAt);
    if (prev.minhashAt !== -1) statOf(prev.minhashAt);
  }

  // tokenization (last segment)
  let tok: TokenizerLike | null = null;
  let valFraction = 0;
  if (last && seg.sinkAt !== -1) {
    const p = withDefaults('tokenize', config.stages[seg.sinkAt]!.params);
    tok = await tokenizerFor(String(p['tokenizer']));
    valFraction = p['val_fraction'] as number;
    statOf(seg.sinkAt);
  }
  const mh = seg.barrier?.minhash ? new MinHasher(seg.barrier.minhash) : null;

  const reader = segIndex === 0 ? emptyReaderStats() : null;
  const source =
    segIndex === 0
      ? readShard(shard, config.input, reader as ReaderStats)
      : readIntermediate(L.segDocs(segIndex - 1, name));

  const keptOut = new AtomicFileStream(last ? L.kept(name) : L.segDocs(segIndex, name));
  const writeRejected = config.output.write_rejected;
  const rejOut = writeRejected ? new AtomicFileStream(last ? L.rejected(name) : L.segRejected(segIndex, name)) : null;
  if (last && rejOut !== null)
    for (let k = 0; k < segIndex; k++)
      if (existsSync(L.segRejected(k, name))) rejOut.appendFile(L.segRejected(k, name));
  const tokBin = tok !== null ? new AtomicFileStream(L.tokensBin(name)) : null;
  const tokLens: number[] = [];
  const tokSplit: number[] = [];
  let tokTrain = 0;
  let tokVal = 0;
  const ids: string[] = [];
  const sigCols: number[][] = seg.barrier !== null ? Array.from({ length: 1 + (mh?.bands ?? 0) }, () => []) : [];

  let docsIn = 0;
  let docsOut = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  let index = 0; // position in this segment's input
  const reject = (r: Rejection): void => {
    if (rejOut !== null) rejOut.write(rejectedRecord(r));
  };

  try {
    for await (const batch of source) {
      let batchBytes = 0;
      for (const item of batch) {
        const doc: Document = item.doc;
        const myIndex = index++;
        docsIn++;
        let bytes = Buffer.byteLength(doc.text, 'utf8');
        bytesIn += bytes;
        batchBytes += bytes;
        if (
          ctx.fault !== null &&
          ctx.fault.segment === segIndex &&
          ctx.fault.shard === shard.index &&
          docsIn > ctx.fault.afterDocuments
        ) {
          if (ctx.fault.mode === 'exit' && ctx.inWorker) process.exit(3);
          throw new Error(
            `injected fault in segment ${segIndex}, shard ${name}, after ${ctx.fault.afterDocuments} documents`,
          );
        }
        if (item.reject !== undefined) {
          reject({ doc, stage: 'reader', reason: item.reject });
          continue;
        }
        const rm = removals.get(myIndex);
        if (prev !== null) {
          // the barrier's stages see every survivor; the removal is attributed to its rule
          const order: ['exact' | 'minhash', number][] = [];
          if (prev.exactAt !== -1) order.push(['exact', prev.exactAt]);
          if (prev.minhashAt !== -1) order.push(['minhash', prev.minhashAt]);
          let removed = false;
          for (const [kind, at] of order) {
            const st = statOf(at);
            st.docsIn++;
            st.bytesIn += bytes;
            if (rm !== undefined && rm.reason === kind) {
              const reason = kind === 'exact' ? 'exact_duplicate' : 'near_duplicate';
              st.rejected[reason] = (st.rejected[reason] ?? 0) + 1;
              reject({ doc, stage: kind === 'exact' ? 'exact_dedup' : 'minhash_dedup', reason, duplicateOf: rm.of });
              removed = true;
              break;
            }
            st.docsOut++;
            st.bytesOut += bytes;
          }
          if (removed) continue;
        }
        let rejected = false;
        for (const [i, stage] of stages) {
          const st = stats[i] as StageStats;
          st.docsIn++;
          st.bytesIn += bytes;
          const before = doc.text;
          const ts = performance.now();
          const reason = stage.apply(doc, (k, n = 1) => {
            st.counters[k] = (st.counters[k] ?? 0) + n;
          });
          st.timeMs += performance.now() - ts;
          if (doc.text !== before) bytes = Buffer.byteLength(doc.text, 'utf8');
          if (reason !== undefined) {
            st.rejected[reason] = (st.rejected[reason] ?? 0) + 1;
            reject({ doc, stage: stage.name, reason });
            rejected = true;
            break;
          }
          st.docsOut++;
          st.bytesOut += bytes;
        }
        if (rejected) continue;

        if (seg.barrier !== null) {
          const ts = performance.now();
          const b = seg.barrier;
          (sigCols[0] as number[]).push(
            b.exactAt !== -1 ? hash52(b.exactNormalize ? simplifyText(doc.text) : doc.text) : NaN,
          );
          if (mh !== null) {
            const sh = mh.shingles(doc.text);
            const keys = mh.bandKeys(mh.signatureOfShingles(sh), sh.length === 0);
            for (let k = 0; k < keys.length; k++) (sigCols[1 + k] as number[]).push(keys[k] as number);
          }
          const at = b.minhashAt !== -1 ? b.minhashAt : b.exactAt;
          statOf(at).timeMs += performance.now() - ts;
          ids.push(doc.id);
          keptOut.write(intermediateRecord(doc));
        } else {
          keptOut.write(last ? keptRecord(doc) : intermediateRecord(doc));
          if (tok !== null && tokBin !== null) {
            const st = statOf(seg.sinkAt);
            const ts = performance.now();
            const tids = tok.encodeIds(doc.text);
            const arr = Uint32Array.from(tids);
            tokBin.writeBytes(new Uint8Array(arr.buffer));
            const val = isVal(doc.id, valFraction);
            tokLens.push(arr.length);
            tokSplit.push(val ? 1 : 0);
            if (val) tokVal += arr.length;
            else tokTrain += arr.length;
            st.docsIn++;
            st.docsOut++;
            st.bytesIn += bytes;
            st.bytesOut += bytes;
            st.counters['tokens'] = (st.counters['tokens'] ?? 0) + arr.length;
            st.timeMs += performance.now() - ts;
          }
        }
        docsOut++;
        bytesOut += bytes;
        // crash tests: LLMTS_FAULT=data:document@N kills the process (SIGKILL) at its N-th document
        faultPoint('data:document');
      }
      progress?.(batch.length, batchBytes);
    }

    // publish: data files first, the done marker last
    if (seg.barrier !== null) {
      const n = ids.length;
      const buf = new Float64Array(sigCols.length * n);
      sigCols.forEach((col, c) => buf.set(col, c * n));
      writeFileAtomic(L.segSig(segIndex, name), new Uint8Array(buf.buffer));
      writeFileAtomic(L.segIds(segIndex, name), JSON.stringify(ids));
    }
    if (tokBin !== null) {
      tokBin.commit();
      const idx = new Uint8Array(tokLens.length * 5);
      const dv = new DataView(idx.buffer);
      tokLens.forEach((len, i) => dv.setUint32(i * 4, len, true));
      tokSplit.forEach((s, i) => (idx[tokLens.length * 4 + i] = s));
      writeFileAtomic(L.tokensIdx(name), idx);
    }
    keptOut.commit();
    rejOut?.commit();
  } catch (err) {
    keptOut.abort();
    rejOut?.abort();
    tokBin?.abort();
    throw err;
  }
  const result: ShardResult = {
    name,
    segment: segIndex,
    reader,
    stages: stats,
    docsIn,
    docsOut,
    bytesIn,
    bytesOut,
    timeMs: performance.now() - t0,
    tokens: tok !== null ? { train: tokTrain, val: tokVal, documents: tokLens.length } : null,
  };
  writeFileAtomic(L.segDone(segIndex, name), JSON.stringify(result));
  return result;
}
