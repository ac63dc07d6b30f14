import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHasher, candidateProbability, estimateJaccard, jaccard } from '../../src/data/dedup/minhash.ts';
import { clusterDuplicates } from '../../src/data/dedup/cluster.ts';
import type { SignatureColumns } from '../../src/data/dedup/cluster.ts';
import { UnionFind } from '../../src/data/dedup/union-find.ts';
import { simplifyText } from '../../src/data/text/simplify.ts';
import { Generator } from '../../src/core/random.ts';
import { distinctWords } from './helpers.ts';

const VOCAB = distinctWords(5000, 6);
function randomDoc(g: Generator, n: number): string[] {
  return Array.from({ length: n }, () => VOCAB[g.randint(VOCAB.length)] as string);
}
function mutate(g: Generator, words: string[], q: number): string[] {
  return words.map((w) => (g.uniform() < q ? (VOCAB[g.randint(VOCAB.length)] as string) : w));
}

test('simplify_text: lowercase, whitespace, punctuation, diacritics, digits', () => {
  assert.equal(simplifyText('  Héllo,   WORLD!\n\tIt’s 2024… ok?  '), 'hello world its 0 ok');
});

test('estimated Jaccard is within the theoretical error of the true Jaccard on random pairs', () => {
  const mh = new MinHasher();
  const g = new Generator(11);
  const k = mh.numPerm;
  let z2 = 0;
  let pairs = 0;
  for (let p = 0; p < 240; p++) {
    const a = randomDoc(g, 150);
    const b = mutate(g, a, (p % 12) / 20);
    const sa = mh.shingles(a.join(' '));
    const sb = mh.shingles(b.join(' '));
    const j = jaccard(sa, sb);
    const est = estimateJaccard(mh.signatureOfShingles(sa), mh.signatureOfShingles(sb));
    const sd = Math.sqrt((j * (1 - j)) / k);
    // estimate ~ Binomial(k, J)/k: every pair within 5 sd (plus one step of 1/k for J near 0 or 1)
    assert.ok(Math.abs(est - j) <= 5 * sd + 1 / k, `pair ${p}: J=${j.toFixed(3)} est=${est.toFixed(3)}`);
    if (j > 0.05 && j < 0.95) {
      z2 += (est - j) ** 2 / (sd * sd);
      pairs++;
    }
  }
  // the mean squared z-score of an unbiased binomial estimate is 1 (sd of the mean ~ sqrt(2/pairs))
  const meanZ2 = z2 / pairs;
  assert.ok(Math.abs(meanZ2 - 1) < 4 * Math.sqrt(2 / pairs), `mean z^2 = ${meanZ2.toFixed(3)} over ${pairs} pairs`);
});

test('LSH candidate rate follows 1-(1-s^r)^b', () => {
  const mh = new MinHasher();
  const g = new Generator(5);
  // pairs around s = 0.55 .. 0.85 where the S-curve is steep
  const qs = [0.035, 0.05, 0.07, 0.09];
  for (const q of qs) {
    let hits = 0;
    let expected = 0;
    let variance = 0;
    const n = 150;
    for (let p = 0; p < n; p++) {
      const a = randomDoc(g, 120);
      const b = mutate(g, a, q);
      const sa = mh.shingles(a.join(' '));
      const sb = mh.shingles(b.join(' '));
      const pr = candidateProbability(jaccard(sa, sb), mh.bands, mh.rows);
      expected += pr;
      variance += pr * (1 - pr);
      const ka = mh.bandKeys(mh.signatureOfShingles(sa), false);
      const kb = mh.bandKeys(mh.signatureOfShingles(sb), false);
      if (ka.some((x, i) => x === kb[i])) hits++;
    }
    // hits is a sum of independent Bernoullis: within 4 sd of its mean
    const tol = 4 * Math.sqrt(variance) + 1;
    assert.ok(
      Math.abs(hits - expected) <= tol,
      `q=${q}: ${hits} candidates, expected ${expected.toFixed(1)} ± ${tol.toFixed(1)}`,
    );
  }
  assert.ok(Math.abs(candidateProbability(0.8, 14, 8) - 0.924) < 1e-3); // datatrove's comment
});

function columnsOf(mh: MinHasher, texts: string[]): SignatureColumns {
  const cols = Array.from({ length: 1 + mh.bands }, () => new Float64Array(texts.length));
  texts.forEach((t, i) => {
    const sh = mh.shingles(t);
    const keys = mh.bandKeys(mh.signatureOfShingles(sh), sh.length === 0);
    cols[0]![i] = i; // distinct exact hashes: exercise the LSH path only
    for (let b = 0; b < mh.bands; b++) cols[1 + b]![i] = keys[b]!;
  });
  return { count: texts.length, column: (c) => cols[c]! };
}

test('near-duplicates (a few words changed) are clustered, unrelated documents are not; first kept', () => {
  const mh = new MinHasher();
  const g = new Generator(3);
  const originals = Array.from({ length: 40 }, () => randomDoc(g, 300));
  const texts: string[] = originals.map((w) => w.join(' '));
  // 10 near copies of the first 10 originals (3 of 300 words changed, J ~ 0.95)
  for (let i = 0; i < 10; i++) {
    const w = [...originals[i]!];
    for (let k = 0; k < 3; k++) w[g.randint(w.length)] = 'changedword';
    texts.push(w.join(' '));
  }
  // split across two "shards" to exercise global indices
  const r = clusterDuplicates(
    [columnsOf(mh, texts.slice(0, 25)), columnsOf(mh, texts.slice(25))],
    mh.bands,
    false,
    true,
  );
  for (let i = 0; i < 40; i++) assert.equal(r.duplicateOf[i], -1, `original ${i} kept`);
  for (let i = 0; i < 10; i++) assert.equal(r.duplicateOf[40 + i], i, `copy of ${i} points at it`);
  assert.equal(r.minhashRemoved, 10);
  assert.equal(r.clusters, 10);
});

test('exact dedup by hash keeps the first occurrence', () => {
  const hashes = [5, 7, 5, 9, 7, 5];
  const col = Float64Array.from(hashes);
  const r = clusterDuplicates([{ count: 6, column: () => col }], 0, true, false);
  assert.deepEqual(Array.from(r.duplicateOf), [-1, -1, 0, -1, 1, 0]);
  assert.equal(r.exactRemoved, 3);
  assert.equal(r.exactGroups, 2);
});

test('union-find: transitive clusters, representative is the smallest member', () => {
  const uf = new UnionFind(8);
  uf.union(5, 3);
  uf.union(3, 7);
  uf.union(1, 2);
  uf.union(7, 6);
  assert.deepEqual(Array.from(uf.minRepresentatives()), [0, 1, 1, 3, 4, 3, 3, 3]);
});
