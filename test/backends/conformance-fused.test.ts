/**
 * Native fused / memory-bound kernels against the reference on every SIMD path: reductions
 * (row sums, column sums for bias gradients, long rows split into segments, NaN for max/min),
 * sumSquares, softmax / log-softmax (+ grad, -inf / all -inf / NaN / +inf rows, 50k columns),
 * layerNorm / rmsNorm (+ grad, accumulation into existing gw / gb, large offsets), cross-entropy
 * (+ grad, ignoreIndex, label smoothing, 50k classes), indexSelect / indexAdd (repeated indices)
 * and AdamW.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { ReduceOp } from '../../src/backends/backend.ts';
import { referenceBackend as ref } from '../../src/backends/reference/index.ts';
import {
  assertClose,
  assertEqualArrays,
  isaPaths,
  memo,
  pathBackend,
  selectPath,
  normal,
  rng,
  pathsSkipReason,
  uniform,
} from './helpers.ts';

const REDUCE_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 1000, 1],
  [7, 33, 1],
  [1, 150000, 1],
  [2, 70000, 1],
  [5, 13, 17],
  [1, 4096, 768],
  [3, 1, 5],
  [4, 9, 300],
  [2, 0, 3],
];
const REDUCE_OPS: ReduceOp[] = ['sum', 'max', 'min', 'prod'];

describe('reduce / sumSquares vs reference', { skip: pathsSkipReason() }, () => {
  const inputs = REDUCE_SHAPES.map(([o, r, i], k) => {
    const g = rng(300 + k);
    const x = uniform(g, o * r * i, 0.5, 1.5); // products stay finite
    for (let j = 0; j < x.length; j++) if (g.random() < 0.5) x[j] = -x[j]!;
    return x;
  });
  const withNaN = Float32Array.from({ length: 3 * 40 * 5 }, (_, j) => (j === 77 ? NaN : j === 150 ? Infinity : j % 11));
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      it('sum / max / min / prod over [outer, r, inner]', () => {
        REDUCE_SHAPES.forEach(([o, r, i], k) => {
          for (const op of REDUCE_OPS) {
            if (op === 'prod' && r > 1000) continue;
            const x = inputs[k]!;
            const want = new Float32Array(o * i);
            ref.reduce(op, x, o, r, i, want);
            const got = new Float32Array(o * i);
            pathBackend(isa).reduce(op, x, o, r, i, got);
            assertClose(
              got,
              want,
              { rtol: op === 'sum' ? 1e-6 : 2e-7, atolRel: op === 'sum' ? 1e-6 : 0 },
              `${isa} ${op} [${o},${r},${i}]`,
            );
          }
        });
      });
      it('max / min propagate NaN, sum propagates Inf', () => {
        for (const [o, r, i] of [
          [3, 40, 5],
          [1, 600, 1],
          [15, 40, 1],
        ] as const) {
          for (const op of REDUCE_OPS) {
            const x =
              o * r * i === withNaN.length
                ? withNaN
                : Float32Array.from({ length: o * r * i }, (_, j) => (j === 301 ? NaN : j % 5));
            const want = new Float32Array(o * i);
            ref.reduce(op, x, o, r, i, want);
            const got = new Float32Array(o * i);
            pathBackend(isa).reduce(op, x, o, r, i, got);
            assertClose(got, want, { rtol: 1e-6 }, `${isa} ${op} with NaN [${o},${r},${i}]`);
          }
        }
      });
      it('sumSquares', () => {
        for (const n of [0, 1, 17, 1000, 300001]) {
          const x = normal(rng(n), n);
          const want = ref.sumSquares(x, n);
          const got = pathBackend(isa).sumSquares(x, n);
          assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want), `${isa} sumSquares n=${n}: ${got} vs ${want}`);
        }
      });
    });
  }
});

function softmaxInput(rows: number, cols: number, seed: number, specials: boolean): Float32Array {
  const x = normal(rng(seed), rows * cols, 3);
  if (specials && rows >= 5 && cols >= 4) {
    x[0] = -Infinity; // one -inf entry
    x.fill(-Infinity, cols, 2 * cols); // all -inf row
    x[2 * cols + 1] = NaN; // NaN row
    x[3 * cols + 2] = Infinity; // +inf row
    x[4 * cols + 3] = 80; // dominant entry
  }
  return x;
}

const SOFTMAX_SHAPES: [number, number, boolean][] = [
  [1, 1, false],
  [5, 17, true],
  [64, 64, true],
  [3, 50257, false],
  [300, 65, true],
  [2, 16, false],
];

describe('softmax / logSoftmax (+grad) vs reference', { skip: pathsSkipReason() }, () => {
  const data = SOFTMAX_SHAPES.map(([r, c, s], k) => {
    const x = softmaxInput(r, c, 400 + k, s);
    const gy = normal(rng(450 + k), r * c);
    const y = [false, true].map((log) => {
      const out = new Float32Array(r * c);
      ref.softmax(x, r, c, out, log);
      return out;
    });
    const gx = memo(() =>
      [false, true].map((log) => {
        const out = new Float32Array(r * c);
        ref.softmaxGrad(y[log ? 1 : 0]!, gy, r, c, out, log);
        return out;
      }),
    );
    return { x, gy, y, gx };
  });
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      SOFTMAX_SHAPES.forEach(([r, c], k) => {
        it(`[${r}, ${c}]`, () => {
          const d = data[k]!;
          for (const log of [false, true]) {
            const got = new Float32Array(r * c);
            pathBackend(isa).softmax(d.x, r, c, got, log);
            assertClose(
              got,
              d.y[log ? 1 : 0]!,
              { rtol: 2e-6, atol: 1e-30 },
              `${isa} ${log ? 'logSoftmax' : 'softmax'} [${r},${c}]`,
            );
            const g = new Float32Array(r * c);
            pathBackend(isa).softmaxGrad(d.y[log ? 1 : 0]!, d.gy, r, c, g, log);
            assertClose(
              g,
              d.gx()[log ? 1 : 0]!,
              { rtol: 1e-5, atolRel: 1e-6 },
              `${isa} ${log ? 'logSoftmax' : 'softmax'} grad [${r},${c}]`,
            );
          }
        });
      });
    });
  }
});

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

const NORM_SHAPES: [number, number][] = [
  [1, 1],
  [7, 17],
  [33, 768],
  [70, 128],
  [600, 256],
  [3, 5],
];

describe('layerNorm / rmsNorm (+grad) vs reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      NORM_SHAPES.forEach(([rows, cols], k) => {
        for (const affine of [true, false]) {
          it(`[${rows}, ${cols}] ${affine ? 'with' : 'without'} weight/bias`, () => {
            const g = rng(500 + k);
            const x = normal(g, rows * cols, 2, k === 2 ? 1000 : 0.5); // one case with a large offset
            const w = affine ? normal(g, cols, 0.5, 1) : null;
            const b = affine ? normal(g, cols) : null;
            const gy = normal(g, rows * cols);
            const eps = 1e-5;
            const N = pathBackend(isa);
            // layerNorm
            const y0 = new Float32Array(rows * cols),
              m0 = new Float32Array(rows),
              r0 = new Float32Array(rows);
            ref.layerNorm(x, w, b, rows, cols, eps, y0, m0, r0);
            const y1 = new Float32Array(rows * cols),
              m1 = new Float32Array(rows),
              r1 = new Float32Array(rows);
            N.layerNorm(x, w, b, rows, cols, eps, y1, m1, r1);
            assertClose(y1, y0, { rtol: 1e-5, atolRel: 1e-6 }, `${isa} layerNorm y`);
            assertClose(m1, m0, { rtol: 1e-7 }, `${isa} layerNorm mean`);
            assertClose(r1, r0, { rtol: 1e-6 }, `${isa} layerNorm rstd`);
            // grads accumulate into existing gw / gb
            const gw0 = affine ? normal(g, cols) : null,
              gb0 = affine ? normal(g, cols) : null;
            const gx0 = new Float32Array(rows * cols);
            const gwr = gw0 && gw0.slice(),
              gbr = gb0 && gb0.slice();
            ref.layerNormGrad(x, w, m0, r0, gy, rows, cols, gx0, gwr, gbr);
            const gx1 = new Float32Array(rows * cols);
            const gwn = gw0 && gw0.slice(),
              gbn = gb0 && gb0.slice();
            N.layerNormGrad(x, w, m0, r0, gy, rows, cols, gx1, gwn, gbn);
            assertClose(gx1, gx0, { rtol: 1e-4, atolRel: 1e-5 }, `${isa} layerNorm gx`);
            if (gwn && gwr) assertClose(gwn, gwr, { rtol: 1e-5, atolRel: 1e-5 }, `${isa} layerNorm gw`);
            if (gbn && gbr) assertClose(gbn, gbr, { rtol: 1e-5, atolRel: 1e-5 }, `${isa} layerNorm gb`);
            // rmsNorm
            const z0 = new Float32Array(rows * cols),
              s0 = new Float32Array(rows);
            ref.rmsNorm(x, w, rows, cols, eps, z0, s0);
            const z1 = new Float32Array(rows * cols),
              s1 = new Float32Array(rows);
            N.rmsNorm(x, w, rows, cols, eps, z1, s1);
            assertClose(z1, z0, { rtol: 2e-6, atolRel: 1e-7 }, `${isa} rmsNorm y`);
            assertClose(s1, s0, { rtol: 1e-6 }, `${isa} rmsNorm rstd`);
            const hx0 = new Float32Array(rows * cols),
              hw0 = gw0 && gw0.slice();
            ref.rmsNormGrad(x, w, s0, gy, rows, cols, hx0, hw0);
            const hx1 = new Float32Array(rows * cols),
              hw1 = gw0 && gw0.slice();
            N.rmsNormGrad(x, w, s0, gy, rows, cols, hx1, hw1);
            // gx = rstd (g - x c) cancels when cols is tiny: bound the error by the size of the terms
            const terms = maxAbs(gy) * maxAbs(s0) * (w ? maxAbs(w) : 1);
            assertClose(hx1, hx0, { rtol: 1e-4, atolRel: 1e-5, atol: 1e-6 * terms }, `${isa} rmsNorm gx`);
            if (hw0 && hw1) assertClose(hw1, hw0, { rtol: 1e-5, atolRel: 1e-5 }, `${isa} rmsNorm gw`);
          });
        }
      });
    });
  }
});

const CE_SHAPES: [number, number][] = [
  [1, 2],
  [13, 65],
  [4, 50257],
  [300, 17],
];

describe('crossEntropy (+grad) vs reference', { skip: pathsSkipReason() }, () => {
  const data = CE_SHAPES.map(([rows, classes], k) => {
    const g = rng(600 + k);
    const logits = normal(g, rows * classes, 4);
    const targets = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -100 : g.randint(classes)));
    const gradLoss = normal(g, rows);
    return { logits, targets, gradLoss };
  });
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      CE_SHAPES.forEach(([rows, classes], k) => {
        for (const smoothing of [0, 0.1]) {
          it(`[${rows}, ${classes}] smoothing ${smoothing}`, () => {
            const { logits, targets, gradLoss } = data[k]!;
            const l0 = new Float32Array(rows),
              e0 = new Float32Array(rows);
            ref.crossEntropy(logits, targets, rows, classes, -100, smoothing, l0, e0);
            const l1 = new Float32Array(rows),
              e1 = new Float32Array(rows);
            pathBackend(isa).crossEntropy(logits, targets, rows, classes, -100, smoothing, l1, e1);
            assertClose(l1, l0, { rtol: 1e-6, atolRel: 1e-7 }, `${isa} crossEntropy loss`);
            assertClose(e1, e0, { rtol: 2.5e-7 }, `${isa} crossEntropy lse`); // 2 ulps
            const g0 = new Float32Array(rows * classes);
            ref.crossEntropyGrad(logits, targets, e0, gradLoss, rows, classes, -100, smoothing, g0);
            const g1 = new Float32Array(rows * classes);
            pathBackend(isa).crossEntropyGrad(logits, targets, e0, gradLoss, rows, classes, -100, smoothing, g1);
            assertClose(g1, g0, { rtol: 1e-5, atolRel: 1e-6 }, `${isa} crossEntropy grad`);
          });
        }
      });
    });
  }
});

describe('indexSelect / indexAdd / adamw vs reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    describe(`${isa} path`, () => {
      before(() => selectPath(isa));
      it('indexSelect (embedding lookup and outer > 1, float32 and int32)', () => {
        for (const [outer, srcDim, inner, n] of [
          [1, 65, 128, 768],
          [3, 7, 5, 11],
          [1, 50, 1, 9],
        ] as const) {
          const g = rng(outer * 100 + n);
          const index = Int32Array.from({ length: n }, () => g.randint(srcDim));
          const src = normal(g, outer * srcDim * inner);
          const want = new Float32Array(outer * n * inner);
          ref.indexSelect(src, outer, srcDim, inner, index, want);
          const got = new Float32Array(outer * n * inner);
          pathBackend(isa).indexSelect(src, outer, srcDim, inner, index, got);
          assertEqualArrays(got, want, `${isa} indexSelect`);
          const isrc = Int32Array.from(src, (v) => Math.round(v * 100));
          const iwant = new Int32Array(outer * n * inner);
          ref.indexSelect(isrc, outer, srcDim, inner, index, iwant);
          const igot = new Int32Array(outer * n * inner);
          pathBackend(isa).indexSelect(isrc, outer, srcDim, inner, index, igot);
          assertEqualArrays(igot, iwant, `${isa} indexSelect int32`);
        }
      });
      it('indexAdd with repeated indices (embedding backward)', () => {
        for (const [outer, n, inner, dstDim] of [
          [1, 768, 128, 65],
          [2, 13, 37, 4],
          [1, 5, 1000, 3],
        ] as const) {
          const g = rng(outer * 1000 + n);
          const index = Int32Array.from({ length: n }, () => g.randint(dstDim));
          const src = normal(g, outer * n * inner);
          const dst0 = normal(g, outer * dstDim * inner);
          const want = dst0.slice();
          ref.indexAdd(src, outer, n, inner, index, dstDim, want);
          const got = dst0.slice();
          pathBackend(isa).indexAdd(src, outer, n, inner, index, dstDim, got);
          assertClose(got, want, { rtol: 1e-6, atolRel: 1e-6 }, `${isa} indexAdd`);
        }
      });
      it('adamw', () => {
        for (const n of [1, 17, 70001]) {
          for (const [step, wd, scale] of [
            [1, 0, 1],
            [10, 0.1, 0.5],
            [1000, 0.01, 1],
          ] as const) {
            const g = rng(n + step);
            const p = normal(g, n),
              grad = normal(g, n, 0.1),
              m = normal(g, n, 0.01),
              v = uniform(g, n, 0, 1e-3);
            const args = { lr: 3e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: wd, step, gradScale: scale };
            const r = { param: p.slice(), grad, m: m.slice(), v: v.slice() };
            ref.adamw({ ...args, ...r });
            const o = { param: p.slice(), grad, m: m.slice(), v: v.slice() };
            pathBackend(isa).adamw({ ...args, ...o });
            assertClose(o.m, r.m, { rtol: 1e-6, atolRel: 1e-7 }, `${isa} adamw m`);
            assertClose(o.v, r.v, { rtol: 1e-6, atolRel: 1e-7 }, `${isa} adamw v`);
            assertClose(o.param, r.param, { rtol: 1e-6, atolRel: 1e-7 }, `${isa} adamw param`);
          }
        }
      });
    });
  }
});
