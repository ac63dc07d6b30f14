import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator } from '../../src/core/random.ts';
import { MinHasher } from '../../src/data/dedup/minhash.ts';
import { clusterDuplicates } from '../../src/data/dedup/cluster.ts';
import type { SignatureColumns } from '../../src/data/dedup/cluster.ts';
import { bucketTask, clusterParts, exactMask, exactTask } from '../../src/data/dedup/split.ts';
import { hash52 } from '../../src/data/text/hash.ts';

const WORDS = 'river stone bread honey glacier lamp tower chess tea bee salt wind cloud paper ink road'.split(' ');

/** Texts with exact copies, near copies (a few words changed) and unrelated documents, cut into shards. */
function corpus(seed: number, n: number): string[][] {
  const g = new Generator(seed);
  const pick = (): string => WORDS[g.nextUint32() % WORDS.length] as string;
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = g.nextUint32() % 10;
    if (docs.length > 0 && r < 2)
      docs.push(docs[g.nextUint32() % docs.length] as string); // exact copy
    else if (docs.length > 0 && r < 5) {
      const w = (docs[g.nextUint32() % docs.length] as string).split(' ');
      for (let k = 0; k < 1 + (g.nextUint32() % 3); k++) w[g.nextUint32() % w.length] = pick();
      docs.push(w.join(' '));
    } else docs.push(Array.from({ length: 20 + (g.nextUint32() % 60) }, pick).join(' '));
  }
  const shards: string[][] = [];
  for (let i = 0; i < n;) {
    const size = g.nextUint32() % 40; // empty shards too
    shards.push(docs.slice(i, i + size));
    i += size;
  }
  return shards;
}

function columns(shards: string[][], mh: MinHasher, exact: boolean, minhash: boolean): SignatureColumns[] {
  return shards.map((texts) => {
    const cols: Float64Array[] = Array.from({ length: 1 + mh.bands }, () => new Float64Array(texts.length));
    texts.forEach((t, i) => {
      (cols[0] as Float64Array)[i] = exact ? hash52(t) : NaN;
      const sh = mh.shingles(t);
      const keys = minhash
        ? mh.bandKeys(mh.signatureOfShingles(sh), sh.length === 0)
        : new Float64Array(mh.bands).fill(NaN);
      keys.forEach((k, b) => ((cols[1 + b] as Float64Array)[i] = k));
    });
    return { count: texts.length, column: (c: number) => cols[c] as Float64Array };
  });
}

for (const [exact, minhash] of [
  [true, true],
  [true, false],
  [false, true],
] as const) {
  test(`split dedup (exact task, one task per band, clustering) = the one-step clustering (exact ${exact}, minhash ${minhash})`, () => {
    for (const seed of [1, 2, 3]) {
      const shards = corpus(seed, 600);
      const mh = new MinHasher({ bands: 9, rows: 3, ngram: 3, seed });
      const cols = columns(shards, mh, exact, minhash);
      const want = clusterDuplicates(cols, mh.bands, exact, minhash);
      const total = cols.reduce((s, c) => s + c.count, 0);
      const mask = exactMask(cols, exact);
      const bands = Array.from({ length: mh.bands }, (_, b) => bucketTask(cols, b, mask));
      const got = clusterParts(total, exact ? exactTask(cols) : null, minhash ? bands : null);
      assert.deepEqual(got, want);
      // the corpus exercises every rule
      if (exact) assert.ok(want.exactRemoved > 20, `exact removed ${want.exactRemoved}`);
      if (minhash)
        assert.ok(want.minhashRemoved > 20 && want.largestCluster > 2, `near removed ${want.minhashRemoved}`);
      // the key order of the size histogram is part of the (byte-compared) summary
      assert.deepEqual(Object.keys(got.clusterSizes), Object.keys(want.clusterSizes));
    }
  });
}
