/**
 * Weight-only quantization (src/backends/quant.ts is the specification):
 * - the formats: fp16 rounding against known bit patterns, q8_0 / q4_0 quantize-dequantize
 *   round trips within half a step of each block's scale, llama.cpp's rules on hand-made blocks;
 * - the reference quantized matmul against a float64 product of the dequantized weights with
 *   the dequantized (block-quantized) activations;
 * - the native kernel against the reference on every ISA path (AVX-512 with and without VNNI,
 *   AVX2, scalar), for m = 1 (decoding) and m > 1, odd block counts, strides, accumulate.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  dequantizeRows,
  f16ToF32,
  f32ToF16,
  quantizeMatrix,
  quantizedMatmulReference,
  roundHalfEven,
  type QuantScheme,
} from '../../src/backends/quant.ts';
import { assertClose, isaPaths, nat, normal, pathBackend, pathsSkipReason, rng, selectPath } from './helpers.ts';

describe('quantization formats', () => {
  it('fp16 conversion rounds to nearest even', () => {
    assert.equal(f32ToF16(1), 0x3c00);
    assert.equal(f32ToF16(-2), 0xc000);
    assert.equal(f32ToF16(65504), 0x7bff);
    assert.equal(f32ToF16(65520), 0x7c00); // rounds to infinity
    assert.equal(f32ToF16(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // a tie rounds to even
    assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02);
    for (const h of [0x0001, 0x03ff, 0x0400, 0x3555, 0x7bff, 0xbc00]) assert.equal(f32ToF16(f16ToF32(h)), h);
    assert.deepEqual([2.5, 3.5, -2.5, -3.5, 0.49].map(roundHalfEven), [2, 4, -2, -4, 0]);
  });

  it('q8_0 and q4_0 follow llama.cpp on a hand-made block', () => {
    const x = new Float32Array(32).map((_, i) => (i - 15) / 4); // -3.75 .. 4
    const q8 = quantizeMatrix('q8_0', x, 1, 32);
    assert.equal(f16ToF32(q8.wd[0]!), f16ToF32(f32ToF16(4 / 127)));
    assert.equal((q8.wq[31]! << 24) >> 24, 127);
    assert.equal((q8.wq[0]! << 24) >> 24, -Math.round((3.75 * 127) / 4));
    const q4 = quantizeMatrix('q4_0', x, 1, 32);
    // max magnitude 4 (positive): d = 4 / -8, so 4 -> q = 0 and -3.75 -> min(15, trunc(7.5 + 8.5)) = 15
    assert.equal(f16ToF32(q4.wd[0]!), -0.5);
    assert.equal(q4.wq[15]! >> 4, 0); // element 31 = 4
    assert.equal(q4.wq[0]! & 15, 15); // element 0 = -3.75
    assert.equal(q4.wq[15]! & 15, 8); // element 15 = 0
  });

  for (const scheme of ['q8_0', 'q4_0'] as const) {
    it(`${scheme} round trip stays within half a step of each block`, () => {
      const g = rng(3);
      const rows = 7;
      const cols = 96;
      const w = normal(g, rows * cols, 0.3);
      w[5] = 0; // zero blocks and outliers
      for (let i = 32; i < 64; i++) w[i] = 0;
      w[100] = 9;
      const m = quantizeMatrix(scheme, w, rows, cols);
      const back = new Float32Array(rows * cols);
      dequantizeRows(m, 0, rows, back);
      for (let r = 0; r < rows; r++)
        for (let b = 0; b < cols / 32; b++) {
          const d = Math.abs(f16ToF32(m.wd[r * (cols / 32) + b]!));
          for (let j = 0; j < 32; j++) {
            const i = r * cols + b * 32 + j;
            // half a step, plus the fp16 rounding of the scale times the largest quant
            const tol = d * (scheme === 'q8_0' ? 0.5 : 1) + Math.abs(w[i]!) * 1e-3 + 1e-7;
            assert.ok(Math.abs(back[i]! - w[i]!) <= tol, `${scheme} [${r}, ${b * 32 + j}]: ${back[i]} vs ${w[i]}`);
          }
        }
      for (let i = 32; i < 64; i++) assert.equal(Math.abs(back[i]!), 0);
    });
  }

  for (const scheme of ['q8_0', 'q4_0'] as const) {
    it(`${scheme} reference matmul = float64 product of the dequantized operands`, () => {
      const g = rng(11);
      const [m, n, k] = [3, 5, 64];
      const w = quantizeMatrix(scheme, normal(g, n * k), n, k);
      const a = normal(g, m * k);
      const c = new Float32Array(m * n);
      quantizedMatmulReference({ a, lda: k, m, w, c, ldc: n, accumulate: false });
      const wf = new Float32Array(n * k);
      dequantizeRows(w, 0, n, wf);
      // the activations as the kernel sees them: q8_0 blocks with fp16 scales
      const af = new Float32Array(m * k);
      dequantizeRows(quantizeMatrixHalfEven(a, m, k), 0, m, af);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += af[i * k + p]! * wf[j * k + p]!;
          assert.ok(Math.abs(c[i * n + j]! - s) <= 1e-5 * (1 + Math.abs(s)), `${c[i * n + j]} vs ${s}`);
        }
    });
  }
});

/** q8_0 with round-half-even (the activation rule) - differs from the weight rule only on exact ties. */
function quantizeMatrixHalfEven(a: Float32Array, rows: number, cols: number): ReturnType<typeof quantizeMatrix> {
  const m = quantizeMatrix('q8_0', a, rows, cols);
  const nb = cols / 32;
  for (let r = 0; r < rows; r++)
    for (let b = 0; b < nb; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(a[r * cols + b * 32 + j]!));
      const d = Math.fround(amax / 127);
      const id = d !== 0 ? Math.fround(1 / d) : 0;
      for (let j = 0; j < 32; j++)
        m.wq[r * cols + b * 32 + j] = roundHalfEven(Math.fround(a[r * cols + b * 32 + j]! * id)) & 0xff;
    }
  return m;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 32],
  [1, 37, 96], // odd block count (AVX-512 handles blocks in pairs)
  [1, 300, 768],
  [4, 19, 128],
  [9, 64, 256],
];

describe('quantized matmul = reference', { skip: pathsSkipReason() }, () => {
  for (const isa of isaPaths()) {
    const vnniModes = isa === 'avx512' ? [true, false] : [false];
    for (const vnni of vnniModes) {
      describe(`${isa}${isa === 'avx512' ? (vnni ? ' + VNNI' : ' without VNNI') : ''}`, () => {
        before(async () => {
          await selectPath(isa);
          if (isa === 'avx512') nat().addon.quantVnni(vnni ? 1 : 0);
        });
        after(() => {
          if (isa === 'wasm') return;
          nat().addon.setIsa(nat().addon.bestIsa());
          nat().addon.quantVnni(1);
        });
        if (vnni)
          it('the VNNI path is on (the CPU has AVX-512 VNNI)', { skip: !nat().addon.quantVnni(-1) && 'no VNNI' }, () =>
            assert.equal(nat().addon.quantVnni(1), true),
          );
        for (const scheme of ['q8_0', 'q4_0'] as QuantScheme[])
          for (const [m, n, k] of SHAPES) {
            it(`${scheme} m=${m} n=${n} k=${k}`, () => {
              const g = rng(m * 1000 + n + k);
              const w = quantizeMatrix(scheme, normal(g, n * k, 0.5), n, k);
              const lda = k + 32;
              const ldc = n + 3;
              const a = normal(g, m * lda);
              const c0 = normal(g, m * ldc);
              for (const accumulate of [false, true]) {
                const want = c0.slice();
                const got = c0.slice();
                quantizedMatmulReference({ a, lda, m, w, c: want, ldc, accumulate });
                pathBackend(isa).quantizedMatmul({ a, lda, m, w, c: got, ldc, accumulate });
                assertClose(got, want, { rtol: 1e-5, atolRel: 1e-6 }, `${scheme} acc=${accumulate}`);
                // padding columns of c are untouched
                for (let i = 0; i < m; i++)
                  for (let j = n; j < ldc; j++) assert.equal(got[i * ldc + j], c0[i * ldc + j]);
              }
            });
          }
      });
    }
  }
});
