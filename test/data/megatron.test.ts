/**
 * Megatron-LM .bin/.idx output, checked by a reader written here from Megatron-Core's
 * indexed_dataset.py (_IndexWriter/_IndexReader): the 9-byte magic "MMIDIDX\0\0", a u64
 * version 1, a u8 dtype code (DType enum: 4 int32, 8 uint16), u64 sequence count S, u64
 * document count D, then int32 lengths[S], int64 byte pointers[S] (cumulative length x
 * itemsize), int64 document indices[D]; .bin is the raw token array. Nothing here calls the
 * writer's own code to read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MegatronWriter } from '../../src/data/shards/megatron.ts';
import { mergeShardDatasets } from '../../src/data/shards/merge.ts';
import { createShardWriter } from '../../src/data/shards/writer.ts';
import { openShardDataset } from '../../src/data/shards/reader.ts';
import { validateConfig } from '../../src/data/pipeline/config.ts';
import { runPipeline } from '../../src/data/pipeline/run.ts';

/** Megatron's reader, transcribed from the spec: returns the documents as arrays of ids. */
function readMegatron(prefix: string): { dtypeCode: number; docs: number[][] } {
  const idx = readFileSync(`${prefix}.idx`);
  assert.equal(idx.subarray(0, 9).toString('latin1'), 'MMIDIDX\x00\x00', 'magic');
  assert.equal(idx.readBigUInt64LE(9), 1n, 'version');
  const code = idx.readUInt8(17);
  const itemsize = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 8, 7: 4, 8: 2 }[code];
  assert.ok(itemsize !== undefined, `dtype code ${code}`);
  const S = Number(idx.readBigUInt64LE(18));
  const D = Number(idx.readBigUInt64LE(26));
  let off = 34;
  const lengths: number[] = [];
  for (let i = 0; i < S; i++, off += 4) lengths.push(idx.readInt32LE(off));
  const pointers: number[] = [];
  for (let i = 0; i < S; i++, off += 8) pointers.push(Number(idx.readBigInt64LE(off)));
  const docIdx: number[] = [];
  for (let i = 0; i < D; i++, off += 8) docIdx.push(Number(idx.readBigInt64LE(off)));
  assert.equal(off, idx.length, 'no trailing bytes (no sequence modes)');
  assert.equal(docIdx[0], 0);
  assert.equal(docIdx[D - 1], S);
  const bin = readFileSync(`${prefix}.bin`);
  let expectPtr = 0;
  for (let i = 0; i < S; i++) {
    assert.equal(pointers[i], expectPtr, `pointer ${i}`);
    expectPtr += (lengths[i] as number) * itemsize;
  }
  assert.equal(bin.length, expectPtr, '.bin size');
  const seq = (i: number): number[] => {
    const out: number[] = [];
    for (let t = 0; t < (lengths[i] as number); t++) {
      const at = (pointers[i] as number) + t * itemsize;
      out.push(code === 8 ? bin.readUInt16LE(at) : code === 4 ? bin.readInt32LE(at) : NaN);
    }
    return out;
  };
  const docs: number[][] = [];
  for (let d = 0; d + 1 < D; d++) {
    const ids: number[] = [];
    for (let s = docIdx[d] as number; s < (docIdx[d + 1] as number); s++) ids.push(...seq(s));
    docs.push(ids);
  }
  return { dtypeCode: code, docs };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'llmts-mega-'));
}

test('MegatronWriter: uint16 below 65,500 entries, int32 above; EOS appended; read back by the spec reader', () => {
  const dir = tmp();
  try {
    for (const [vocab, code] of [
      [300, 8],
      [70000, 4],
    ] as const) {
      const docs = Array.from({ length: 57 }, (_, i) =>
        Array.from({ length: (i * 7) % 23 }, (_, t) => (i * 131 + t * 17) % (vocab - 1)),
      );
      const w = new MegatronWriter(join(dir, `v${vocab}`), { vocabSize: vocab, eosId: vocab - 1 });
      for (const d of docs) w.addDocument(d);
      w.finish();
      const r = readMegatron(join(dir, `v${vocab}`));
      assert.equal(r.dtypeCode, code);
      assert.deepEqual(
        r.docs,
        docs.map((d) => [...d, vocab - 1]),
      );
    }
    assert.throws(() => new MegatronWriter(join(dir, 'x'), { vocabSize: 10 }).addDocument([10]), /token id 10 outside/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pipeline tokenize output_format both: Megatron files hold the same documents as the llmts shards', async () => {
  const dir = tmp();
  try {
    const lines = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({ id: `d${i}`, text: `document ${i} ${'é'.repeat(i % 5)}` }),
    );
    writeFileSync(join(dir, 'in.jsonl'), lines.join('\n'));
    const cfg = validateConfig({
      input: [join(dir, 'in.jsonl')],
      output: join(dir, 'out'),
      workers: 0,
      stages: [{ tokenize: { tokenizer: 'bytes', val_fraction: 0.25, output_format: 'both' } }],
    });
    await runPipeline(cfg, { quiet: true });
    const ds = openShardDataset(join(dir, 'out', 'tokens'));
    for (const split of ['train', 'val']) {
      const s = ds.split(split);
      const want: number[][] = [];
      for (let i = 0; i < s.numDocuments; i++) {
        const [a, b] = s.documentBounds(i);
        want.push(Array.from(s.read(a, b - a, new Int32Array(b - a))));
      }
      const r = readMegatron(join(dir, 'out', 'megatron', `${split}_text_document`));
      assert.equal(r.dtypeCode, 8);
      assert.deepEqual(r.docs, want);
      assert.ok(want.length > 0);
    }
    ds.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('shuffle-merge: every document of every input once, order from the seed; llmts and Megatron outputs agree', () => {
  const dir = tmp();
  try {
    const all: string[] = [];
    for (const k of [0, 1, 2]) {
      const w = createShardWriter(join(dir, `in${k}`), { vocabSize: 1000, eosId: 999, source: `part ${k}` });
      for (let i = 0; i < 30; i++) {
        const doc = [k * 100 + i, i, k];
        w.addDocument(i % 5 === 0 ? 'val' : 'train', doc);
        all.push(JSON.stringify([...doc, 999]));
      }
      w.finish();
    }
    const inputs = [0, 1, 2].map((k) => join(dir, `in${k}`));
    const docsOf = (out: string): string[] => {
      const ds = openShardDataset(out);
      const got: string[] = [];
      for (const split of ds.splits) {
        const s = ds.split(split);
        for (let i = 0; i < s.numDocuments; i++) {
          const [a, b] = s.documentBounds(i);
          got.push(JSON.stringify(Array.from(s.read(a, b - a, new Int32Array(b - a)))));
        }
      }
      ds.close();
      return got;
    };
    mergeShardDatasets(inputs, join(dir, 'm1'), { seed: 7, format: 'llmts' });
    mergeShardDatasets(inputs, join(dir, 'm2'), { seed: 7, format: 'llmts' });
    mergeShardDatasets(inputs, join(dir, 'm3'), { seed: 8, format: 'llmts' });
    mergeShardDatasets(inputs, join(dir, 'mm'), { seed: 7, format: 'megatron' });
    const a = docsOf(join(dir, 'm1'));
    assert.deepEqual([...a].sort(), [...all].sort(), 'a permutation of the inputs');
    assert.deepEqual(docsOf(join(dir, 'm2')), a, 'same seed, same order');
    assert.notDeepEqual(docsOf(join(dir, 'm3')), a, 'another seed, another order');
    const mega = [
      ...readMegatron(join(dir, 'mm', 'train_text_document')).docs,
      ...readMegatron(join(dir, 'mm', 'val_text_document')).docs,
    ].map((d) => JSON.stringify(d));
    assert.deepEqual(mega, a);
    // different vocabularies do not merge
    const w = createShardWriter(join(dir, 'other'), { vocabSize: 50, eosId: null });
    w.addDocument('train', [1]);
    w.finish();
    assert.throws(
      () =>
        mergeShardDatasets([inputs[0] as string, join(dir, 'other')], join(dir, 'bad'), { seed: 1, format: 'llmts' }),
      /vocab_size 50 differs/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
