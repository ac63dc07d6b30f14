/**
 * SentencePiece: `npm run bench -- sentencepiece [--input PATH] [--mb N] [--vocab N] [--no-train]`.
 *
 * On a text file (default: ~4 MB of English assembled from nlp-corpus, as the tokenizers bench
 * does), in one run, llmts on one thread (its trainers and encoders are single-threaded):
 *  - training time of our Unigram and SentencePiece-BPE trainers (vocab 8000) and of Debian's
 *    SentencePiece C++ trainer (num_threads=1, and at its best count up to the cores, through
 *    /usr/bin/python3) on the same file, the
 *    ratio, and both models' tokens per byte on held-out text;
 *  - encode MB/s of LLaMA's tokenizer (SentencePiece BPE + byte fallback) built from
 *    llama-tokenizer-js's data: our exact processor and the pipeline (`Tokenizer.encodeIds`) vs
 *    llama-tokenizer-js itself, line by line, and whether all ids are identical;
 *  - Unigram encode MB/s, ours vs SentencePiece's C++ encoder (batch call from Python).
 * Exported as `sentencepieceSection` so the tokenizers bench can include it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import llamaTokenizer from 'llama-tokenizer-js';
import {
  bpeModelProtoFromMerges,
  SentencePieceProcessor,
  tokenizerFromModelProto,
  trainSentencePiece,
} from '../src/tokenizers/sentencepiece/index.ts';
import { nlpCorpusText } from '../src/data/corpora/nlp-corpus.ts';
import { peerAtThreads, pythonVersion, ratio, runPython, startBench } from './lib/harness.ts';
import type { Bench } from './lib/harness.ts';

interface LlamaJs {
  vocabById: string[];
  merges: Map<string, number>;
  encode(text: string, addBos?: boolean): number[];
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** Median of three timed runs. */
function median3(fn: () => void): number {
  return [seconds(fn), seconds(fn), seconds(fn)].sort((a, b) => a - b)[1]!;
}

async function secondsAsync<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [(performance.now() - t0) / 1000, r];
}

function tokensPerByte(encode: (l: string) => number[], lines: readonly string[]): number {
  let t = 0;
  let b = 0;
  for (const l of lines) {
    t += encode(l).length;
    b += Buffer.byteLength(l);
  }
  return t / b;
}

const f2 = (x: number): string => x.toFixed(2);
const f = (x: number): number => Math.round(x * 100) / 100;

/** Runs SentencePiece's trainer and encoder in Python; null when it is not installed. */
function pythonSentencePiece(
  dir: string,
  corpus: string,
  heldout: string,
  vocab: number,
  type: 'unigram' | 'bpe',
  threads: number,
): SpmResult | null {
  const prefix = join(dir, `spm-${type}-${threads}t`);
  const script = `
import sys, time, json
import sentencepiece as spm
t0 = time.time()
c0 = time.process_time()
spm.SentencePieceTrainer.train(input=${JSON.stringify(corpus)}, model_prefix=${JSON.stringify(prefix)}, vocab_size=${vocab}, model_type=${JSON.stringify(type)}, num_threads=${threads}, minloglevel=2)
train = time.time() - t0
train_cpu = time.process_time() - c0
sp = spm.SentencePieceProcessor(model_file=${JSON.stringify(prefix + '.model')})
lines = [l for l in open(${JSON.stringify(heldout)}, encoding='utf-8').read().split('\\n') if l]
nbytes = sum(len(l.encode('utf-8')) for l in lines)
t0 = time.time()
ids = sp.encode(lines)
enc = time.time() - t0
for _ in range(2):
    t0 = time.time()
    sp.encode(lines)
    enc = min(enc, time.time() - t0)
print(json.dumps({'train': train, 'trainCpu': train_cpu, 'tpb': sum(len(x) for x in ids) / nbytes, 'encodeMBs': nbytes / 1e6 / enc, 'ids': ids[:2000]}))
`;
  const out = runPython<Omit<SpmResult, 'model'>>({ code: script }, [], threads);
  return out === null ? null : { ...out, model: prefix + '.model' };
}

interface SpmResult {
  train: number;
  trainCpu: number;
  tpb: number;
  encodeMBs: number;
  ids: number[][];
  model: string;
}

/** The SentencePiece section: training vs SentencePiece, encoding vs llama-tokenizer-js. */
export async function sentencepieceSection(
  bench: Bench,
  text: string,
  options: { vocab?: number; train?: boolean } = {},
): Promise<void> {
  const vocab = options.vocab ?? 8000;
  const lines = text.split('\n').filter((l) => l.length > 0);
  // hold out the last ~5% of lines for compression
  const cut = Math.floor(lines.length * 0.95);
  const trainLines = lines.slice(0, cut);
  const held = lines.slice(cut);
  const dir = mkdtempSync(join(tmpdir(), 'llmts-bench-spm-'));
  try {
    const corpus = join(dir, 'train.txt');
    const heldPath = join(dir, 'held.txt');
    writeFileSync(corpus, trainLines.join('\n') + '\n');
    writeFileSync(heldPath, held.join('\n') + '\n');
    const mb = Buffer.byteLength(trainLines.join('\n')) / 1e6;
    if (bench.withPeer) bench.peerVersion('sentencepiece', pythonVersion('sentencepiece'));
    console.log(`\n## SentencePiece (train ${f2(mb)} MB, held out ${held.length} lines, vocab ${vocab}, one thread)`);

    if (options.train ?? true) {
      const encodeRows: string[] = [];
      // CPU seconds alongside wall: other processes on the machine inflate wall time unevenly
      console.log(
        '| trainer | llmts s (cpu) | SentencePiece C++ s (cpu) | ratio wall (cpu) | llmts tokens/byte | SentencePiece tokens/byte |',
      );
      console.log('|---|---|---|---|---|---|');
      for (const type of ['unigram', 'bpe'] as const) {
        const c0 = process.cpuUsage();
        const [ours, sp] = await secondsAsync(() =>
          trainSentencePiece({ input: [corpus], vocabSize: vocab, modelType: type }),
        );
        const cu = process.cpuUsage(c0);
        const oursCpu = (cu.user + cu.system) / 1e6;
        const oursTpb = tokensPerByte((l) => sp.encodeIds(l), held);
        bench.record({
          part: `train ${type}`,
          impl: 'llmts',
          threads: 1,
          seconds: f(ours),
          cpuSeconds: f(oursCpu),
          tokensPerByte: oursTpb,
        });
        // our trainers run on one thread: SentencePiece at num_threads=1, and at its best count
        const p = await peerAtThreads(
          bench,
          (t) => pythonSentencePiece(dir, corpus, heldPath, vocab, type, t),
          (r) => r.train,
          'lower',
          { llmtsThreads: 1 },
        );
        const ref = p.atLlmts?.result ?? null;
        if (ref === null) {
          console.log(
            `| ${type} | ${f2(ours)} (${f2(oursCpu)}) | (python3-sentencepiece not available) | | ${oursTpb.toFixed(4)} | |`,
          );
          continue;
        }
        for (const pt of p.all) {
          const r = pt.result;
          bench.record({
            part: `train ${type}`,
            impl: 'sentencepiece',
            threads: pt.threads,
            seconds: f(r.train),
            cpuSeconds: f(r.trainCpu),
            tokensPerByte: r.tpb,
            best: pt === p.best,
          });
          console.log(
            `| ${type} | ${f2(ours)} (${f2(oursCpu)}) | ${pt.threads}t: ${f2(r.train)} (${f2(r.trainCpu)})${pt === p.best && p.all.length > 1 ? ' best' : ''} | ${f2(ours / r.train)}x (${f2(oursCpu / r.trainCpu)}x) | ${oursTpb.toFixed(4)} | ${r.tpb.toFixed(4)} (${(100 * (oursTpb / r.tpb - 1)).toFixed(2)}%) |`,
          );
        }
        bench.summary[`train ${type} time vs SentencePiece at 1t`] = ratio(ours, ref.train);
        if (p.best)
          bench.summary[`train ${type} time vs SentencePiece best (${p.best.threads}t)`] = ratio(
            ours,
            p.best.result.train,
          );
        // encode speed on SentencePiece's own model, ours vs its C++ encoder (batch call)
        const spm = SentencePieceProcessor.load(ref.model);
        const heldMB = Buffer.byteLength(held.join('')) / 1e6;
        for (const l of held) spm.encodeIds(l); // warm-up pass
        const t = median3(() => {
          for (const l of held) spm.encodeIds(l);
        });
        const same = ref.ids.filter((ids, i) => JSON.stringify(ids) === JSON.stringify(spm.encodeIds(held[i]!))).length;
        encodeRows.push(
          `| ${type} | ${f2(heldMB / t)} | ${f2(ref.encodeMBs)} | ${f2(heldMB / t / ref.encodeMBs)}x | ${same}/${ref.ids.length} |`,
        );
        bench.record({
          part: `encode ${type}`,
          impl: 'llmts',
          threads: 1,
          encodeMBs: f(heldMB / t),
          identical: same,
          of: ref.ids.length,
        });
        bench.record({ part: `encode ${type}`, impl: 'sentencepiece', threads: 1, encodeMBs: f(ref.encodeMBs) });
      }
      if (encodeRows.length > 0) {
        console.log(`\nEncoding held-out text with SentencePiece's own models (${held.length} lines):`);
        console.log('| model | llmts MB/s | SentencePiece C++ MB/s | ratio | identical ids |');
        console.log('|---|---|---|---|---|');
        for (const r of encodeRows) console.log(r);
      }
    }

    // LLaMA: llama-tokenizer-js's data through our SentencePiece BPE
    const llama = llamaTokenizer as unknown as LlamaJs;
    const merges = [...llama.merges.keys()].map((k) => k.split(' ') as [string, string]);
    const proto = bpeModelProtoFromMerges(llama.vocabById, merges, {
      unkPiece: '<unk>',
      controlPieces: ['<s>', '</s>'],
      byteFallback: true,
    });
    const sp = new SentencePieceProcessor(proto);
    const tok = tokenizerFromModelProto(proto);
    const sample = lines.slice(0, Math.min(lines.length, 12000));
    const sampleMB = Buffer.byteLength(sample.join('')) / 1e6;
    const raw = { allowedSpecial: 'none', addSpecialTokens: false } as const;
    for (const l of sample.slice(0, 200)) {
      sp.encodeIds(l);
      tok.encodeIds(l, raw);
      llama.encode(l, false);
    }
    const tRef = median3(() => {
      for (const l of sample) llama.encode(l, false);
    });
    const tSp = median3(() => {
      for (const l of sample) sp.encodeIds(l);
    });
    const tTok = median3(() => {
      for (const l of sample) tok.encodeIds(l, raw);
    });
    let identical = 0;
    for (const l of sample) {
      const want = JSON.stringify(llama.encode(l, false));
      if (JSON.stringify(sp.encodeIds(l)) === want && JSON.stringify(tok.encodeIds(l, raw)) === want) identical++;
    }
    console.log(`LLaMA encode, ${sample.length} lines (${f2(sampleMB)} MB), line by line:`);
    console.log('| encoder | MB/s | vs llama-tokenizer-js |');
    console.log('|---|---|---|');
    console.log(`| llama-tokenizer-js | ${f2(sampleMB / tRef)} | 1.00x |`);
    console.log(`| llmts SentencePieceProcessor | ${f2(sampleMB / tSp)} | ${f2(tRef / tSp)}x |`);
    console.log(`| llmts Tokenizer.encodeIds | ${f2(sampleMB / tTok)} | ${f2(tRef / tTok)}x |`);
    console.log(`identical ids: ${identical}/${sample.length} lines`);
    bench.record({ part: 'llama encode', impl: 'llama-tokenizer-js', threads: 1, encodeMBs: f(sampleMB / tRef) });
    bench.record({
      part: 'llama encode',
      impl: 'llmts SentencePieceProcessor',
      threads: 1,
      encodeMBs: f(sampleMB / tSp),
    });
    bench.record({
      part: 'llama encode',
      impl: 'llmts Tokenizer.encodeIds',
      threads: 1,
      encodeMBs: f(sampleMB / tTok),
      identical,
      of: sample.length,
    });
    bench.summary['llama encode vs llama-tokenizer-js'] = ratio(tRef, tSp);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('sentencepiece', args);
  const input = arg(args, '--input');
  const mb = Number(arg(args, '--mb') ?? '4');
  const text = input !== undefined ? readFileSync(input, 'utf8') : nlpCorpusText(mb * 1e6);
  await sentencepieceSection(bench, text, {
    vocab: Number(arg(args, '--vocab') ?? '8000'),
    train: !args.includes('--no-train'),
  });
  bench.finish();
}
