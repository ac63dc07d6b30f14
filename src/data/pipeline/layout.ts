/** Where a run keeps its outputs and its resumable intermediate state. */
import { join } from 'node:path';

export interface RunLayout {
  out: string;
  work: string;
  runFile: string;
  kept(name: string): string;
  rejected(name: string): string;
  segDocs(seg: number, name: string): string;
  segSig(seg: number, name: string): string;
  segIds(seg: number, name: string): string;
  segRejected(seg: number, name: string): string;
  segDone(seg: number, name: string): string;
  dedupRemovals(seg: number, name: string): string;
  dedupDone(seg: number): string;
  /** the exact-duplicate pairs of a barrier, and their done marker */
  exactPairs(seg: number): string;
  exactDone(seg: number): string;
  /** one LSH band's candidate pairs, and their done marker */
  bandEdges(seg: number, band: number): string;
  bandDone(seg: number, band: number): string;
  tokensBin(name: string): string;
  tokensIdx(name: string): string;
  tokensDir: string;
  packDone: string;
  complete: string;
}

export function runLayout(out: string): RunLayout {
  const work = join(out, '_work');
  return {
    out,
    work,
    runFile: join(work, 'run.json'),
    kept: (n) => join(out, 'kept', `${n}.jsonl`),
    rejected: (n) => join(out, 'rejected', `${n}.jsonl`),
    segDocs: (s, n) => join(work, `seg${s}`, `${n}.jsonl`),
    segSig: (s, n) => join(work, `seg${s}`, `${n}.sig`),
    segIds: (s, n) => join(work, `seg${s}`, `${n}.ids.json`),
    segRejected: (s, n) => join(work, `seg${s}`, `${n}.rejected.jsonl`),
    segDone: (s, n) => join(work, `seg${s}`, `${n}.done.json`),
    dedupRemovals: (s, n) => join(work, `dedup${s}`, `${n}.json`),
    dedupDone: (s) => join(work, `dedup${s}`, 'done.json'),
    exactPairs: (s) => join(work, `dedup${s}`, 'exact.pairs'),
    exactDone: (s) => join(work, `dedup${s}`, 'exact.done.json'),
    bandEdges: (s, b) => join(work, `dedup${s}`, `band${String(b).padStart(3, '0')}.edges`),
    bandDone: (s, b) => join(work, `dedup${s}`, `band${String(b).padStart(3, '0')}.done.json`),
    tokensBin: (n) => join(work, 'tokens', `${n}.bin`),
    tokensIdx: (n) => join(work, 'tokens', `${n}.idx`),
    tokensDir: join(out, 'tokens'),
    packDone: join(work, 'pack.done.json'),
    complete: join(work, 'complete.json'),
  };
}
