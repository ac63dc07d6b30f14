/**
 * Tokenizer throughput: `npm run bench -- tokenizers [--input PATH] [--encoding gpt2|cl100k|o200k] [--no-train] [--mb N] [--json]`.
 *
 * On a text file given by path, or by default ~4.3 MB of English assembled at run time from
 * the sentences nlp-corpus ships (node_modules/nlp-corpus/builds/*.json), it prints, in one
 * run and on one thread:
 *  - encode and decode MB/s for llmts (`encodeIds` / `decode`) and its peers: tiktoken (WASM),
 *    gpt-tokenizer, js-tiktoken and @huggingface/tokenizers (the last on the first MB only:
 *    it is ~10x slower), whether each one's ids equal llmts's, and the ratio to the fastest peer;
 *  - the time to train an 8,000-token byte-level BPE on ~4 MB with llmts, and with Debian's
 *    SentencePiece trainer (BPE and Unigram) at num_threads=1 (llmts's trainer is single-threaded)
 *    and at each count up to the cores, when /usr/bin/python3 can import it.
 * With --sentencepiece it adds bench/sentencepiece.ts's section (also `npm run bench -- sentencepiece`).
 * Each figure is the median of 5 timed runs after a warm-up (encode: the first 200 KB; decode: all ids).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { getEncoding } from 'js-tiktoken';
import * as gptR50k from 'gpt-tokenizer/encoding/r50k_base';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTiktoken, trainBpe, type Tokenizer } from '../src/tokenizers/index.ts';
import { sentencepieceSection } from './sentencepiece.ts';
import { nlpCorpusText } from '../src/data/corpora/nlp-corpus.ts';
import { peerAtThreads, pythonAvailable, pythonVersion, ratio, runPython, startBench } from './lib/harness.ts';
import type { Bench } from './lib/harness.ts';

const NM = join(import.meta.dirname, '..', 'node_modules');

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds of `runs` calls of fn (after one warm-up call of warm). */
function time(fn: () => void, warm: () => void, runs = 5): number {
  warm();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ts.push((performance.now() - t0) / 1000);
  }
  return median(ts);
}

interface Peer {
  name: string;
  encode(text: string): ArrayLike<number>;
  decode(ids: number[]): string;
  /** Only the first `limitBytes` bytes are timed (slow peers). */
  limitBytes?: number;
  free?(): void;
}

function sameIds(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('tokenizers', args);
  for (const pkg of ['tiktoken', 'gpt-tokenizer', 'js-tiktoken', '@huggingface/tokenizers'])
    bench.peerVersion(pkg, npmVersion(pkg));
  const input = arg(args, '--input');
  const encoding = arg(args, '--encoding') ?? 'gpt2';
  const mb = Number(arg(args, '--mb') ?? '4.3');
  if (!['gpt2', 'cl100k', 'o200k'].includes(encoding))
    throw new Error(`--encoding must be gpt2, cl100k or o200k, got ${encoding}`);
  const text = input !== undefined ? readFileSync(input, 'utf8') : nlpCorpusText(mb * 1e6);
  const bytes = Buffer.byteLength(text);
  const warmText = text.slice(0, 200_000);
  console.log(
    `corpus: ${input ?? 'nlp-corpus sentences'} (${(bytes / 1e6).toFixed(2)} MB), encoding ${encoding}, one thread`,
  );

  const file = { gpt2: 'r50k_base', cl100k: 'cl100k_base', o200k: 'o200k_base' }[encoding]!;
  const llmts: Tokenizer = loadTiktoken(join(NM, 'gpt-tokenizer', 'data', `${file}.tiktoken`));
  const tk = get_encoding(file as 'gpt2');
  const jt = getEncoding(file as 'gpt2');
  const gt = encoding === 'gpt2' ? gptR50k : encoding === 'cl100k' ? gptCl100k : gptO200k;
  const hf = new HfTokenizer(llmts.toJSON(), {});
  const utf8 = new TextDecoder();
  const peers: Peer[] = [
    {
      name: 'tiktoken (WASM)',
      encode: (t) => tk.encode(t),
      decode: (ids) => utf8.decode(tk.decode(Uint32Array.from(ids))),
      free: () => tk.free(),
    },
    { name: 'gpt-tokenizer', encode: (t) => gt.encode(t), decode: (ids) => gt.decode(ids) },
    { name: 'js-tiktoken', encode: (t) => jt.encode(t), decode: (ids) => jt.decode(ids) },
    {
      name: '@huggingface/tokenizers',
      encode: (t) => hf.encode(t, { add_special_tokens: false }).ids,
      decode: (ids) => hf.decode(ids),
      limitBytes: 1_000_000,
    },
  ];

  const ours = llmts.encodeIds(text);
  const encS = time(
    () => llmts.encodeIds(text),
    () => llmts.encodeIds(warmText),
  );
  const decS = time(
    () => llmts.decode(ours),
    () => llmts.decode(ours),
  );
  const oursEnc = bytes / 1e6 / encS;
  const oursDec = bytes / 1e6 / decS;
  console.log(`\n${'tokenizer'.padEnd(26)} ${'encode MB/s'.padStart(12)} ${'decode MB/s'.padStart(12)}  ids identical`);
  console.log(
    `${'llmts'.padEnd(26)} ${fmt(oursEnc).padStart(12)} ${fmt(oursDec).padStart(12)}  (${ours.length} tokens)`,
  );
  bench.record({
    part: 'encode/decode',
    impl: 'llmts',
    threads: 1,
    encodeMBs: round2(oursEnc),
    decodeMBs: round2(oursDec),
    identicalIds: true,
    bytes,
  });
  let bestPeerEnc = 0;
  let bestPeerDec = 0;
  let bestEncName = '';
  for (const p of peers) {
    const sub = p.limitBytes !== undefined && p.limitBytes < bytes ? text.slice(0, p.limitBytes) : text;
    const subBytes = Buffer.byteLength(sub);
    const ids = Array.from(p.encode(sub));
    const ref = sub === text ? ours : llmts.encodeIds(sub);
    const same = sameIds(ids, ref);
    const e =
      subBytes /
      1e6 /
      time(
        () => p.encode(sub),
        () => p.encode(warmText),
        sub === text ? 5 : 1,
      );
    const d =
      subBytes /
      1e6 /
      time(
        () => p.decode(ids),
        () => p.decode(ids),
        sub === text ? 5 : 1,
      );
    if (e > bestPeerEnc) {
      bestPeerEnc = e;
      bestEncName = p.name;
    }
    bestPeerDec = Math.max(bestPeerDec, d);
    const note = sub === text ? '' : ` (first ${(subBytes / 1e6).toFixed(1)} MB)`;
    console.log(`${p.name.padEnd(26)} ${fmt(e).padStart(12)} ${fmt(d).padStart(12)}  ${same ? 'yes' : 'NO'}${note}`);
    bench.record({
      part: 'encode/decode',
      impl: p.name,
      threads: 1,
      encodeMBs: round2(e),
      decodeMBs: round2(d),
      identicalIds: same,
      bytes: subBytes,
    });
    p.free?.();
  }
  console.log(
    `\nllmts / fastest peer (${bestEncName}): encode ${(oursEnc / bestPeerEnc).toFixed(2)}x, decode ${(oursDec / bestPeerDec).toFixed(2)}x`,
  );
  bench.summary['encode MB/s llmts'] = round2(oursEnc);
  bench.summary[`encode vs fastest peer (${bestEncName})`] = ratio(oursEnc, bestPeerEnc);
  bench.summary['decode vs fastest peer'] = ratio(oursDec, bestPeerDec);

  if (!args.includes('--no-train')) await trainingBench(bench, text);
  // SentencePiece (Unigram / SPM-BPE training vs SentencePiece, LLaMA encode vs llama-tokenizer-js): bench/sentencepiece.ts
  if (args.includes('--sentencepiece'))
    await sentencepieceSection(bench, text, { train: !args.includes('--no-train') });
  bench.finish();
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** An installed npm package's version (node_modules/NAME/package.json). */
function npmVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(NM, name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

async function trainingBench(bench: Bench, text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-tok-'));
  try {
    // ~4 MB of lines (SentencePiece reads one sentence per line)
    const path = join(dir, 'corpus.txt');
    writeFileSync(path, text.slice(0, 4_000_000));
    console.log(
      `\ntraining an 8000-token tokenizer on ${(Buffer.byteLength(text.slice(0, 4_000_000)) / 1e6).toFixed(2)} MB:`,
    );
    const t0 = performance.now();
    const tok = await trainBpe([path], { vocabSize: 8000 });
    const ours = (performance.now() - t0) / 1000;
    console.log(`  llmts byte-level BPE (1 thread):  ${ours.toFixed(2)} s (${tok.vocabSize} tokens)`);
    bench.record({ part: 'train 8000', impl: 'llmts-bpe', threads: 1, seconds: round2(ours) });
    if (!bench.withPeer) return;
    if (!pythonAvailable('sentencepiece')) {
      console.log('  SentencePiece: python3-sentencepiece not importable by /usr/bin/python3; skipped');
      return;
    }
    bench.peerVersion('sentencepiece', pythonVersion('sentencepiece'));
    for (const kind of ['bpe', 'unigram']) {
      const code = [
        'import sentencepiece as spm, sys, time',
        't = time.time()',
        `spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2], vocab_size=8000, model_type='${kind}', num_threads=int(sys.argv[3]), minloglevel=2)`,
        'print(time.time() - t)',
      ].join('\n');
      // llmts's trainer runs on one thread: SentencePiece at 1 thread, and at its best count
      const p = await peerAtThreads(
        bench,
        (t) => runPython<number>({ code }, [path, join(dir, `spm-${kind}`), String(t)], t),
        (secs) => secs,
        'lower',
        { llmtsThreads: 1 },
      );
      for (const pt of p.all) {
        bench.record({
          part: 'train 8000',
          impl: `sentencepiece-${kind}`,
          threads: pt.threads,
          seconds: round2(pt.result),
          best: pt === p.best,
        });
        console.log(
          `  SentencePiece ${kind.padEnd(8)} (C++, ${pt.threads}t): ${pt.result.toFixed(2)} s   llmts BPE / this = ${(ours / pt.result).toFixed(2)}x the time${pt === p.best && p.all.length > 1 ? '  (best)' : ''}`,
        );
      }
      if (p.best)
        bench.summary[`train time vs SentencePiece ${kind} best (${p.best.threads}t)`] = ratio(ours, p.best.result);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
