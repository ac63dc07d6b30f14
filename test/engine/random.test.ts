/**
 * The seeded Generator: the xoshiro128** core against hand-computed outputs of the published
 * algorithm, reproducibility, state save/restore, and distribution checks (moments within 5
 * standard errors, chi-square at p = 1e-4; every check is seeded, so it cannot flake).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dropout, Generator, ones, rand, randint, randn } from '../../src/engine/index.ts';

/** Pearson's chi-square statistic of observed counts against expected probabilities. */
function chiSquare(counts: readonly number[], probs: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((acc, c, i) => acc + (c - n * probs[i]!) ** 2 / (n * probs[i]!), 0);
}
// chi-square critical values at p = 1e-4 for 3, 4, 6 degrees of freedom
const CHI2_1E4: Record<number, number> = { 3: 21.108, 4: 23.513, 6: 27.856 };

describe('Generator', () => {
  it('implements xoshiro128** (outputs hand-computed from the reference algorithm for state [1, 2, 3, 4])', () => {
    const g = new Generator().setState({ s: [1, 2, 3, 4], spareNormal: null });
    // out = rotl(s1 * 5, 7) * 9: s1 = 2 -> 11520; then s1 = 0 -> 0; then s1 = 1029 -> 5927040
    assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], [11520, 0, 5927040]);
  });

  it('is reproducible for a seed, and different seeds give different streams', () => {
    const draw = (g: Generator) => [
      g.nextUint32(),
      g.random(),
      g.normal(),
      g.normal(),
      g.normal(),
      g.randint(10),
      g.uniform(-2, 2),
      g.categorical([0.2, 0.3, 0.5]),
      ...g.permutation(6),
    ];
    assert.deepEqual(draw(new Generator(123)), draw(new Generator(123)));
    assert.notDeepEqual(draw(new Generator(123)), draw(new Generator(124)));
    assert.notEqual(new Generator(1).nextUint32(), new Generator(2 ** 32 + 1).nextUint32());
    assert.deepEqual(new Generator(5).manualSeed(9).getState(), new Generator(9).getState());
    // tensors too
    assert.deepEqual(
      randn([50], { generator: new Generator(3) }).toArray(),
      randn([50], { generator: new Generator(3) }).toArray(),
    );
    assert.deepEqual(
      dropout(ones([40]), 0.5, new Generator(8)).toArray(),
      dropout(ones([40]), 0.5, new Generator(8)).toArray(),
    );
  });

  it('nearby seeds give uncorrelated streams', () => {
    const a = new Generator(0);
    const b = new Generator(1);
    const n = 20000;
    let sab = 0;
    for (let i = 0; i < n; i++) sab += (a.random() - 0.5) * (b.random() - 0.5);
    const corr = sab / n / (1 / 12);
    assert.ok(Math.abs(corr) < 5 / Math.sqrt(n), `correlation ${corr}`);
  });

  it('getState/setState resume the exact stream, including a cached normal, through JSON', () => {
    const g = new Generator(77);
    for (let i = 0; i < 5; i++) g.normal(); // odd count: a spare normal is cached
    const saved = JSON.parse(JSON.stringify(g.getState())) as ReturnType<Generator['getState']>;
    assert.notEqual(saved.spareNormal, null);
    const first = [g.normal(), g.random(), g.randint(1000), g.normal(), g.nextUint32()];
    const resumed = new Generator(0).setState(saved);
    assert.deepEqual(
      [resumed.normal(), resumed.random(), resumed.randint(1000), resumed.normal(), resumed.nextUint32()],
      first,
    );
    assert.throws(() => g.setState({ s: [1.5, 0, 0, 0], spareNormal: null }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.manualSeed(NaN), { code: 'INVALID_ARGUMENT' });
  });

  it('fork() gives a deterministic, distinct stream', () => {
    const a = new Generator(4).fork();
    const b = new Generator(4).fork();
    assert.equal(a.nextUint32(), b.nextUint32());
    const parent = new Generator(4);
    const child = parent.fork();
    assert.notEqual(child.nextUint32(), parent.nextUint32());
  });

  it('uniform samples lie in [low, high) with the moments of U(0, 1)', () => {
    const g = new Generator(2024);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = g.random();
      s += u;
      s2 += u * u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    assert.ok(lo >= 0 && hi < 1);
    assert.ok(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
    // var of (u - 1/2)^2 is 1/80 - 1/144
    assert.ok(Math.abs(variance - 1 / 12) < 5 * Math.sqrt((1 / 80 - 1 / 144) / n), `variance ${variance}`);
    const t = rand([1000], { generator: g, low: -3, high: -1 }).toArray();
    assert.ok(t.every((v) => v >= -3 && v < -1));
    const decile = new Array<number>(10).fill(0);
    for (let i = 0; i < 50_000; i++) decile[Math.floor(g.random() * 10)]!++;
    assert.ok(chiSquare(decile, new Array(10).fill(0.1)) < 33.72, 'deciles (9 df, p = 1e-4)');
  });

  it('uniform float32 samples stay below high even when the draw rounds up to it', () => {
    class Top extends Generator {
      override random(): number {
        return 1 - 2 ** -53; // the largest value random() can return
      }
    }
    for (const [lo, hi] of [
      [0, 1],
      [-3, -1],
      [-1, 0],
      [0.1, 0.3],
    ] as const) {
      const f = new Float32Array(4);
      new Top(1).fillUniform(f, lo, hi);
      assert.ok(
        f.every((v) => v < hi && v >= lo),
        `[${lo}, ${hi}) float32 gave ${f[0]}`,
      );
      const d = new Float64Array(4);
      new Top(1).fillUniform(d, lo, hi);
      assert.ok(
        d.every((v) => v < hi && v >= lo),
        `[${lo}, ${hi}) float64 gave ${d[0]}`,
      );
    }
    assert.equal(Math.max(...rand([1], { generator: new Top(1) }).toArray()), Math.fround(1 - 2 ** -24));
  });

  it('normal samples have the mean, variance, skewness and kurtosis of N(mean, std^2)', () => {
    const g = new Generator(99);
    const n = 100_000;
    const mu = 1.5;
    const sd = 2;
    let m1 = 0;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const z = (g.normal(mu, sd) - mu) / sd;
      m1 += z;
      m2 += z * z;
      m3 += z * z * z;
      m4 += z * z * z * z;
      if (Math.abs(z) < 1) within1++;
    }
    m1 /= n;
    m2 /= n;
    m3 /= n;
    m4 /= n;
    assert.ok(Math.abs(m1) < 5 / Math.sqrt(n), `mean ${m1}`);
    assert.ok(Math.abs(m2 - 1) < 5 * Math.sqrt(2 / n), `variance ${m2}`);
    assert.ok(Math.abs(m3) < 5 * Math.sqrt(15 / n), `skewness ${m3}`);
    assert.ok(Math.abs(m4 - 3) < 5 * Math.sqrt(96 / n), `kurtosis ${m4}`);
    const p = 0.6826894921370859;
    assert.ok(Math.abs(within1 / n - p) < 5 * Math.sqrt((p * (1 - p)) / n), `P(|z| < 1) = ${within1 / n}`);
    const t = randn([20_000], { generator: g, mean: -3, std: 0.5, dtype: 'float64' }).toArray();
    const tm = t.reduce((a, b) => a + b, 0) / t.length;
    assert.ok(Math.abs(tm + 3) < (5 * 0.5) / Math.sqrt(t.length), `tensor mean ${tm}`);
  });

  it('randint is unbiased (chi-square), also for bounds where modulo would be biased', () => {
    const g = new Generator(5);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[g.randint(7)]!++;
    const chi = chiSquare(counts, new Array(7).fill(1 / 7));
    assert.ok(chi < CHI2_1E4[6]!, `chi-square ${chi} with counts ${counts}`);
    // n = 3 * 2^30: plain `x % n` would put half the draws below 2^30 instead of a third
    const big = 3 * 2 ** 30;
    let below = 0;
    const draws = 30_000;
    for (let i = 0; i < draws; i++) if (g.randint(big) < 2 ** 30) below++;
    assert.ok(
      Math.abs(below / draws - 1 / 3) < 5 * Math.sqrt(((1 / 3) * (2 / 3)) / draws),
      `fraction below 2^30: ${below / draws}`,
    );
    const t = randint(-2, 3, [1000], { generator: g });
    assert.equal(t.dtype, 'int32');
    const seen = new Set(t.toArray());
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [-2, -1, 0, 1, 2],
    );
    assert.throws(() => g.randint(0), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.randint(2.5), { code: 'INVALID_ARGUMENT' });
  });

  it('categorical draws match the weights (chi-square); zero weights are never drawn', () => {
    const g = new Generator(31);
    const weights = [1, 2, 0, 3, 4];
    const counts = new Array<number>(5).fill(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) counts[g.categorical(weights)]!++;
    assert.equal(counts[2], 0);
    const nonzero = [0, 1, 3, 4];
    const chi = chiSquare(
      nonzero.map((i) => counts[i]!),
      nonzero.map((i) => weights[i]! / 10),
    );
    assert.ok(chi < CHI2_1E4[3]!, `chi-square ${chi}, counts ${counts}`);
    // a window of a larger array (start, length): indices are relative to start
    const window = new Float64Array([100, 0, 1, 1, 100]);
    for (let i = 0; i < 200; i++) assert.ok([1, 2].includes(g.categorical(window, 1, 3)));
    assert.throws(() => g.categorical([0, 0]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.categorical([1, -1]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.categorical([1, NaN]), { code: 'INVALID_ARGUMENT' });
  });

  it('permutation returns every index once, uniformly placed', () => {
    const g = new Generator(8);
    for (const n of [0, 1, 2, 10, 257]) {
      const p = Array.from(g.permutation(n));
      assert.deepEqual(
        [...p].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
    }
    // the position of element 0 in permutations of 5 is uniform
    const counts = new Array<number>(5).fill(0);
    const perms = new Set<string>();
    for (let i = 0; i < 25_000; i++) {
      const p = g.permutation(5);
      counts[p.indexOf(0)]!++;
      perms.add(p.join());
    }
    assert.ok(chiSquare(counts, new Array(5).fill(0.2)) < CHI2_1E4[4]!, `positions ${counts}`);
    assert.equal(perms.size, 120, 'every permutation of 5 appears');
  });
});
