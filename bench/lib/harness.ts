/**
 * The shared benchmark harness: every bench/NAME.ts measures through one `Bench`, so each
 * result says on what machine, at what load, at what commit and at how many threads it was
 * taken, and every peer is run like for like.
 *
 *   const bench = startBench('forward', args);     // parses --threads N, --peer-threads A,B, --json, --no-peer
 *   bench.threads                                  // llmts's thread count (already applied to the backends)
 *   const p = peerAtThreads(bench, (t) => runPython(bench, script, cfg, t), (r) => r.tokensPerS, 'higher');
 *   //   p.atLlmts: the peer at llmts's thread count; p.best: at its own best count; p.all: every count
 *   bench.record({ case: 'gpt2 B8', impl: 'llmts', threads: bench.threads, tokensPerS: 289 });
 *   bench.finish();                                // with --json: writes bench/results/NAME.json
 *
 * Thread control: llmts through `backend.setThreads` (the native pool; --threads, else
 * LLMTS_THREADS, else every core); PyTorch through torch.set_num_threads (the peer reads
 * `threads` from its JSON config) plus OMP_NUM_THREADS; OpenBLAS (numpy) through
 * OPENBLAS_NUM_THREADS. A peer is always measured at llmts's thread count and at each count
 * from 1 to the core count, and the best is reported beside the like-for-like one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableBackends } from '../../src/backends/select.ts';
import { loadAddon, threadsFromEnv } from '../../src/backends/native/index.ts';

export const PYTHON = '/usr/bin/python3';
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** What a result was measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  /** the native addon's SIMD path, when it loads */
  isa: string | null;
  platform: string;
  node: string;
  date: string;
  commit: string | null;
  /** uncommitted changes in the checkout when measured */
  dirty: boolean;
  /** 1-minute load average when the benchmark started and ended (a shared machine shows it here) */
  load1Before: number;
  load1After: number | null;
}

export type Row = Record<string, string | number | boolean | null>;

export interface BenchResult {
  bench: string;
  args: string[];
  machine: Machine;
  /** llmts's thread count and the peers' candidate counts */
  threads: { llmts: number; peerCandidates: number[] };
  /** versions of the peers that ran (torch, numpy, sentencepiece, npm packages) */
  peers: Record<string, string>;
  rows: Row[];
  /** free-form headline figures (ratios) a README table quotes */
  summary: Record<string, string | number | null>;
  seconds: number;
}

function git(args: string[]): string | null {
  const r = spawnSync('git', args, { cwd: BENCH_DIR, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function nativeIsa(): string | null {
  try {
    return loadAddon().isa();
  } catch {
    return null; // not built: the native rows are simply absent
  }
}

export function machineInfo(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    isa: nativeIsa(),
    platform: `${platform()}-${arch()}`,
    node: process.version,
    date: new Date().toISOString(),
    commit: git(['rev-parse', 'HEAD']),
    dirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    load1Before: loadavg()[0]!,
    load1After: null,
  };
}

export function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function positiveInt(raw: string, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new Error(`${what} must be an integer from 1 to 1024, got "${raw}"`);
  return n;
}

export class Bench {
  readonly name: string;
  readonly args: string[];
  /** --json: write bench/results/NAME.json at finish() */
  readonly json: boolean;
  /** --no-peer: measure llmts only */
  readonly withPeer: boolean;
  /** llmts's thread count, applied to every backend that has a thread pool */
  readonly threads: number;
  /** the thread counts a peer is measured at: llmts's, then 1..cores (or --peer-threads) */
  readonly peerThreads: number[];
  readonly machine: Machine;
  readonly rows: Row[] = [];
  readonly summary: Record<string, string | number | null> = {};
  readonly peers: Record<string, string> = {};
  private readonly t0 = performance.now();

  constructor(name: string, args: string[]) {
    this.name = name;
    this.args = args;
    this.json = args.includes('--json');
    this.withPeer = !args.includes('--no-peer');
    this.machine = machineInfo();
    const flag = flagValue(args, '--threads');
    this.threads = flag !== undefined ? positiveInt(flag, '--threads') : (threadsFromEnv() ?? availableParallelism());
    this.applyThreads(this.threads);
    const peerFlag = flagValue(args, '--peer-threads');
    const candidates =
      peerFlag !== undefined
        ? peerFlag.split(',').map((s) => positiveInt(s, '--peer-threads'))
        : Array.from({ length: this.machine.cores }, (_, i) => i + 1);
    this.peerThreads = [...new Set([this.threads, ...candidates])];
  }

  /** Sets llmts's thread count on every backend with a pool (the benchmark may vary it, then restore). */
  applyThreads(n: number): void {
    for (const b of availableBackends()) b.setThreads?.(n);
  }

  /** One measurement; printed by the benchmark itself, kept here for the JSON file. */
  record(row: Row): void {
    this.rows.push(row);
  }

  /** A peer's version (recorded once), e.g. peerVersion('torch', '1.13.0'). */
  peerVersion(name: string, version: string | null): void {
    if (version !== null) this.peers[name] = version;
  }

  /** Writes bench/results/NAME.json (atomically) when --json was given; returns the result either way. */
  finish(): BenchResult {
    this.machine.load1After = loadavg()[0]!;
    const result: BenchResult = {
      bench: this.name,
      args: this.args,
      machine: this.machine,
      threads: { llmts: this.threads, peerCandidates: this.peerThreads },
      peers: this.peers,
      rows: this.rows,
      summary: this.summary,
      seconds: Math.round((performance.now() - this.t0) / 100) / 10,
    };
    const loadNote = `load average ${this.machine.load1Before.toFixed(2)} -> ${this.machine.load1After.toFixed(2)} on ${this.machine.cores} cores`;
    if (this.json) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      const file = join(RESULTS_DIR, `${this.name}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(result, null, 2) + '\n');
      renameSync(tmp, file);
      console.log(`\nwrote ${file} (${loadNote})`);
    } else {
      console.log(`\n(${loadNote}; --json writes bench/results/${this.name}.json)`);
    }
    return result;
  }
}

export function startBench(name: string, args: string[]): Bench {
  const bench = new Bench(name, args);
  const m = bench.machine;
  console.log(
    `${name}: ${m.cpu}, ${m.cores} cores${m.isa ? ` (${m.isa})` : ''}, Node ${m.node}, llmts ${bench.threads} thread(s), ` +
      `peers at ${bench.peerThreads.join(' / ')} thread(s); load average ${m.load1Before.toFixed(2)}; commit ${m.commit?.slice(0, 10) ?? '?'}${m.dirty ? ' (dirty)' : ''}`,
  );
  return bench;
}

/** A peer's measurement at one thread count. */
export interface PeerPoint<T> {
  threads: number;
  result: T;
}

/** The peer at llmts's thread count and at its own best thread count. */
export interface PeerComparison<T> {
  atLlmts: PeerPoint<T> | null;
  best: PeerPoint<T> | null;
  all: PeerPoint<T>[];
}

/**
 * Runs `measure` at every thread count of bench.peerThreads (null: the peer is unavailable or
 * failed) and picks the like-for-like point and the best one by `score`. `llmtsThreads`
 * overrides bench.threads for code of llmts that is single-threaded whatever the pool size
 * (the tokenizers, the data filters): the like-for-like peer point is then at that count.
 */
export async function peerAtThreads<T>(
  bench: Bench,
  measure: (threads: number) => T | null | Promise<T | null>,
  score: (r: T) => number,
  better: 'higher' | 'lower',
  options: { llmtsThreads?: number } = {},
): Promise<PeerComparison<T>> {
  const all: PeerPoint<T>[] = [];
  if (!bench.withPeer) return { atLlmts: null, best: null, all };
  const ours = options.llmtsThreads ?? bench.threads;
  for (const threads of [...new Set([ours, ...bench.peerThreads])]) {
    const result = await measure(threads);
    if (result === null) break; // unavailable: do not retry at every count
    all.push({ threads, result });
  }
  return comparePeer(ours, all, score, better);
}

export function comparePeer<T>(
  llmtsThreads: number,
  all: PeerPoint<T>[],
  score: (r: T) => number,
  better: 'higher' | 'lower',
): PeerComparison<T> {
  const atLlmts = all.find((p) => p.threads === llmtsThreads) ?? null;
  let best: PeerPoint<T> | null = null;
  for (const p of all) {
    if (best === null) best = p;
    else if (better === 'higher' ? score(p.result) > score(best.result) : score(p.result) < score(best.result))
      best = p;
  }
  return { atLlmts, best, all };
}

/** The environment a Python peer runs in at `threads` threads (OpenMP, OpenBLAS, MKL pools). */
export function peerEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
  };
  // set on this machine for other tools; they would pin OpenBLAS to a slower generic kernel
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  return env;
}

export function pythonAvailable(module: string): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

const versions = new Map<string, string | null>();
/** `module.__version__` from Debian's python, or null when it does not import. */
export function pythonVersion(module: string): string | null {
  if (!versions.has(module)) {
    const r = existsSync(PYTHON)
      ? spawnSync(PYTHON, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' })
      : null;
    versions.set(module, r !== null && r.status === 0 ? r.stdout.trim() : null);
  }
  return versions.get(module)!;
}

/**
 * Runs a Python peer (a script path, or `{ code }` for inline source) at `threads` threads:
 * the config gets `threads` (the peer calls torch.set_num_threads with it) and the thread
 * pools' environment variables are set. The peer prints one JSON line last; null (with the
 * reason on stderr) when Python or the peer fails.
 */
export function runPython<T>(
  script: string | { code: string },
  argv: string[],
  threads: number,
  options: { timeoutMs?: number; cwd?: string; maxBuffer?: number } = {},
): T | null {
  if (!existsSync(PYTHON)) {
    console.error(`  (peer skipped: ${PYTHON} not found)`);
    return null;
  }
  const args = typeof script === 'string' ? [script, ...argv] : ['-c', script.code, ...argv];
  const r = spawnSync(PYTHON, args, {
    env: peerEnv(threads),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 3_600_000,
    maxBuffer: options.maxBuffer ?? 1 << 26,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
    console.error(`  (peer failed at ${threads} thread(s): ${why})`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

/** A Python peer that takes its JSON config as argv[1] and honours `threads`. */
export function runPythonPeer<T>(
  script: string,
  config: Record<string, unknown>,
  threads: number,
  options: { timeoutMs?: number; cwd?: string } = {},
): T | null {
  return runPython<T>(script, [JSON.stringify({ ...config, threads })], threads, options);
}

/**
 * " (2.10x PyTorch at 2t; 1.80x its best, 1t)" for a printed line: our figure against the peer
 * at llmts's thread count and at its best (a ratio above 1 means llmts is ahead, whether the
 * figure is a rate or a time). Empty when the peer did not run.
 */
export function versus<T>(
  c: PeerComparison<T>,
  ours: number,
  pick: (r: T) => number,
  peerName: string,
  better: 'higher' | 'lower',
): string {
  if (c.best === null) return '';
  const r = (p: PeerPoint<T>): string => {
    const x = better === 'higher' ? ratio(ours, pick(p.result)) : ratio(pick(p.result), ours);
    return x === null ? '-' : `${x.toFixed(2)}x`;
  };
  const like =
    c.atLlmts === null ? `no ${peerName} run at llmts's count` : `${r(c.atLlmts)} ${peerName} at ${c.atLlmts.threads}t`;
  return ` (${like}; ${r(c.best)} its best, ${c.best.threads}t)`;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const ratio = (a: number | undefined | null, b: number | undefined | null): number | null =>
  a === undefined || a === null || b === undefined || b === null || b === 0 ? null : Math.round((a / b) * 100) / 100;
