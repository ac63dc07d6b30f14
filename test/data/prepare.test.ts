import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLlmts, type CliResult } from '../helpers/cli.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isCleanOutput, prepareDataset } from '../../src/data/prepare.ts';
import { openShardDataset } from '../../src/data/shards/index.ts';
import { fromTokenizer, loadTokenizerLike } from '../../src/data/tokenize/tokenizer-like.ts';
import { trainBpeFromIterator, loadTokenizer } from '../../src/tokenizers/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TEXT =
  'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak. Ünïcödé — ok? 🙂 yes\n'.repeat(
    7,
  );

/** nanoGPT data/shakespeare_char/prepare.py, step by step: sorted(set(data)), stoi, data[:int(n*0.9)] as uint16. */
function nanoGptCharBins(data: string): [Buffer, Buffer, string[]] {
  const cps = Array.from(data);
  const chars = [...new Set(cps)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const stoi = new Map(chars.map((c, i) => [c, i]));
  const n = cps.length;
  const cut = Math.floor(n * 0.9);
  const enc = (xs: string[]): Buffer => {
    const b = Buffer.alloc(xs.length * 2);
    xs.forEach((c, i) => b.writeUInt16LE(stoi.get(c)!, i * 2));
    return b;
  };
  return [enc(cps.slice(0, cut)), enc(cps.slice(cut)), chars];
}

test('prepare --char: byte-identical to nanoGPT shakespeare_char train.bin/val.bin, tokenizer.json decodes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-prep-'));
  try {
    writeFileSync(join(dir, 'input.txt'), TEXT);
    const r = await prepareDataset({ inputs: [join(dir, 'input.txt')], out: join(dir, 'ds'), char: true, quiet: true });
    const [train, val, chars] = nanoGptCharBins(TEXT);
    assert.deepEqual(readFileSync(join(dir, 'ds', 'train-00000.bin')), train);
    assert.deepEqual(readFileSync(join(dir, 'ds', 'val-00000.bin')), val);
    assert.deepEqual(r.chars, chars);
    assert.equal(r.meta.eos_id, null);
    assert.equal(r.meta.vocab_size, chars.length);
    assert.deepEqual(r.meta.tokenizer.chars, chars);
    const tok = loadTokenizer(join(dir, 'ds', 'tokenizer.json'));
    const ds = openShardDataset(join(dir, 'ds'));
    const s = ds.split('val');
    const ids = Array.from(s.read(0, s.numTokens, new Int32Array(s.numTokens)));
    assert.equal(
      tok.decode(ids),
      Array.from(TEXT)
        .slice(Math.floor(Array.from(TEXT).length * 0.9))
        .join(''),
    );
    ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepare with a BPE tokenizer.json: documents + EOS, last documents are val', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-prep-'));
  try {
    const docs = Array.from(
      { length: 10 },
      (_, i) => `Document ${i}: the quick brown fox jumps over the lazy dog ${i} times.`,
    );
    const bpe = trainBpeFromIterator(docs, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    bpe.save(join(dir, 'tok.json'));
    writeFileSync(join(dir, 'docs.jsonl'), docs.map((t, i) => JSON.stringify({ id: i, text: t })).join('\n') + '\n');
    const tok = await loadTokenizerLike(join(dir, 'tok.json'));
    const eos = bpe.tokenToId('<|endoftext|>')!;
    const r = await prepareDataset({
      inputs: [join(dir, 'docs.jsonl')],
      out: join(dir, 'ds'),
      tokenizer: tok,
      eosId: eos,
      valFraction: 0.2,
      quiet: true,
    });
    assert.equal(r.meta.splits['train']?.documents, 8);
    assert.equal(r.meta.splits['val']?.documents, 2);
    const ds = openShardDataset(join(dir, 'ds'));
    const val = ds.split('val');
    const [a, b] = val.documentBounds(1);
    const ids = Array.from(val.read(a, b - a, new Int32Array(b - a)));
    assert.equal(ids[ids.length - 1], eos);
    assert.deepEqual(ids.slice(0, -1), fromTokenizer(bpe).encodeIds(docs[9]!) as number[]);
    assert.equal(bpe.decode(ids.slice(0, -1)), docs[9]);
    assert.ok(existsSync(join(dir, 'ds', 'tokenizer.json')));
    ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function cli(args: string[]): CliResult {
  return runLlmts(args);
}

test('CLI: data run with worker threads, data stats, data clean, prepare; bad input is one clear error line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-cli-'));
  try {
    const cfg = join(ROOT, 'test', 'fixtures', 'data', 'mixed', 'pipeline.yaml');
    const yaml = readFileSync(cfg, 'utf8')
      .replace('output: out', `output: ${join(dir, 'run')}`)
      .replace(
        /paths: \[(.*)\]/,
        (_m, p: string) =>
          `paths: [${p
            .split(', ')
            .map((x) => join(ROOT, 'test', 'fixtures', 'data', 'mixed', x))
            .join(', ')}]`,
      );
    writeFileSync(join(dir, 'p.yaml'), yaml);
    const run = cli(['data', 'run', join(dir, 'p.yaml'), '--workers', '2']);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /with 2 workers/);
    assert.match(run.stdout, /minhash_dedup:near_duplicate\s+1/);
    const stats = cli(['data', 'stats', join(dir, 'run')]);
    assert.equal(stats.status, 0, stats.stderr);
    assert.match(stats.stdout, /output: 9 documents/);
    const ds = cli(['data', 'stats', join(dir, 'run', 'tokens')]);
    assert.match(ds.stdout, /train: [\d,]+ tokens/);
    const raw = cli(['data', 'stats', join(ROOT, 'test', 'fixtures', 'data', 'mixed', 'web-a.jsonl')]);
    assert.match(raw.stdout, /malformed: malformed_json 1, missing_text_field 1/);
    const clean = cli([
      'data',
      'clean',
      '--input',
      join(ROOT, 'test', 'fixtures', 'data', 'mixed', 'web-a.jsonl'),
      join(ROOT, 'test', 'fixtures', 'data', 'mixed', 'web-b.jsonl'),
      '--output',
      join(dir, 'clean'),
      '--workers',
      '0',
    ]);
    assert.equal(clean.status, 0, clean.stderr);
    assert.match(clean.stdout, /exact_dedup:exact_duplicate/);
    writeFileSync(join(dir, 'in.txt'), TEXT);
    const prep = cli(['prepare', '--char', '--input', join(dir, 'in.txt'), '--out', join(dir, 'ds')]);
    assert.equal(prep.status, 0, prep.stderr);
    assert.match(prep.stdout, /val: [\d,]+ tokens in 1 documents/);
    const bad = cli(['data', 'run', join(dir, 'missing.yaml')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^llmts: error \[CONFIG\]: config field config: cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepare reads only the kept documents of a data clean output folder, with a notice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-prep-clean-'));
  try {
    const clean = join(dir, 'clean');
    // the layout llmts data clean writes (src/data/pipeline/layout.ts): kept/, rejected/, reports, _work/
    const jsonl = (texts: string[]): string => texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';
    for (const [path, body] of [
      ['kept/00000.jsonl', jsonl(['kept one', 'kept two'])],
      ['rejected/00000.jsonl', jsonl(['rejected one', 'rejected two', 'rejected three'])],
      ['report.json', '{"documents": 5}\n'],
      ['metrics.jsonl', '{"stage": "gopher"}\n'],
      ['_work/run.json', '{}\n'],
      ['_work/seg0/00000.jsonl', jsonl(['intermediate'])],
    ] as const) {
      mkdirSync(dirname(join(clean, path)), { recursive: true });
      writeFileSync(join(clean, path), body);
    }
    const notices: string[] = [];
    const tok = await loadTokenizerLike('bytes', '--tokenizer');
    const r = await prepareDataset({
      inputs: [clean],
      out: join(dir, 'ds'),
      tokenizer: tok,
      eosId: 0,
      valDocuments: 1,
      quiet: true,
      onNotice: (l) => notices.push(l),
    });
    assert.equal(r.meta.splits['train']!.documents + r.meta.splits['val']!.documents, 2);
    assert.deepEqual(r.reader.malformed, {});
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /data clean output: reading its kept documents \(.*kept\) only/);
    // a folder that merely holds a kept/ folder is read as it is
    assert.equal(isCleanOutput(join(clean, 'kept')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('prepare warns when documents would be glued without a separator, and not with --no-eos', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'llmts-prep-glue-'));
  try {
    writeFileSync(join(dir, 'a.txt'), 'one document');
    writeFileSync(join(dir, 'b.txt'), 'another document');
    // a byte-level tokenizer without an EOS (like a BPE trained with --special-tokens "")
    const enc = new TextEncoder();
    const tok = { encodeIds: (t: string) => enc.encode(t), vocabSize: 256, eosId: null };
    const run = async (appendEos: boolean): Promise<string[]> => {
      const notices: string[] = [];
      await prepareDataset({
        inputs: [join(dir, 'a.txt'), join(dir, 'b.txt')],
        out: join(dir, `ds-${appendEos}`),
        tokenizer: tok,
        appendEos,
        quiet: true,
        onNotice: (l) => notices.push(l),
      });
      return notices;
    };
    const warned = await run(true);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /no EOS, so the 2 documents are glued together/);
    assert.deepEqual(await run(false), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
