/**
 * Weight-only quantization formats (docs/quantization.md): blocks of 32 weights along a row,
 * one fp16 scale per block, llama.cpp's Q8_0 and Q4_0 semantics stored as two arrays.
 *
 *   q8_0  w = d * q, q int8 in [-127, 127]; d = amax / 127, q = round(w / d) (half away from 0)
 *   q4_0  w = d * (q - 8), q in [0, 15];    d = max / -8 where max is the value of largest
 *         magnitude (sign kept), q = min(15, trunc(w / d + 8.5)); a block's 16 bytes hold
 *         q[j] in the low nibble and q[j + 16] in the high nibble of byte j
 *
 * These are llama.cpp's `quantize_row_q8_0_ref` / `quantize_row_q4_0_ref` rules (the scale is
 * computed in float32 and stored rounded to fp16; the quants use the unrounded scale).
 * A matrix [n, k] (n rows of k, k a multiple of 32) is `wq` (q8_0: n k bytes, int8 as uint8;
 * q4_0: n k / 2 bytes) plus `wd` (n k / 32 fp16 bit patterns).
 */
export type QuantScheme = 'q8_0' | 'q4_0';

export const QUANT_SCHEMES: readonly QuantScheme[] = ['q8_0', 'q4_0'];
export const QUANT_BLOCK = 32;

/** A quantized matrix [rows, cols], rows = output features, cols = input features (as a Linear weight). */
export interface QuantizedMatrix {
  readonly scheme: QuantScheme;
  readonly rows: number;
  readonly cols: number;
  /** Quants, row-major: cols (q8_0) or cols / 2 (q4_0) bytes per row. */
  readonly wq: Uint8Array;
  /** fp16 scales, rows x cols / 32. */
  readonly wd: Uint16Array;
}

/** Bytes of quants per row. */
export function quantRowBytes(scheme: QuantScheme, cols: number): number {
  return scheme === 'q8_0' ? cols : cols / 2;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man === 0 ? sign * Infinity : NaN;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** float32 -> fp16 bits, round to nearest even (as F16C's vcvtps2ph and llama.cpp's GGML_FP32_TO_FP16). */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const ax = bits & 0x7fffffff;
  if (ax >= 0x7f800000) return sign | 0x7c00 | (ax > 0x7f800000 ? 0x200 : 0);
  if (ax >= 0x477ff000) return sign | 0x7c00;
  if (ax < 0x38800000) {
    // subnormal half: a multiple of 2^-24, rounded to nearest even
    f32[0] = Math.abs(x);
    return sign | roundHalfEven(f32[0] * 16777216);
  }
  const e = (ax >>> 23) - 127 + 15;
  const man = ax & 0x7fffff;
  let h = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds halves up; a tie at an odd result goes down to the even one
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** C's roundf: halves away from zero. */
function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Quantizes a float32 matrix [rows, cols] (row-major) with llama.cpp's reference rules. */
export function quantizeMatrix(scheme: QuantScheme, w: Float32Array, rows: number, cols: number): QuantizedMatrix {
  if (cols % QUANT_BLOCK !== 0 || cols <= 0) throw new RangeError(`quantize: cols ${cols} is not a multiple of 32`);
  if (w.length < rows * cols) throw new RangeError(`quantize: ${w.length} values for [${rows}, ${cols}]`);
  const nb = cols / QUANT_BLOCK;
  const wq = new Uint8Array(rows * quantRowBytes(scheme, cols));
  const wd = new Uint16Array(rows * nb);
  const fr = Math.fround;
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < nb; b++) {
      const x0 = r * cols + b * QUANT_BLOCK;
      let amax = 0;
      let max = 0;
      for (let j = 0; j < QUANT_BLOCK; j++) {
        const v = w[x0 + j]!;
        if (amax < Math.abs(v)) {
          amax = Math.abs(v);
          max = v;
        }
      }
      if (scheme === 'q8_0') {
        const d = fr(amax / 127);
        const id = d !== 0 ? fr(1 / d) : 0;
        wd[r * nb + b] = f32ToF16(d);
        for (let j = 0; j < QUANT_BLOCK; j++) wq[x0 + j] = roundAway(fr(w[x0 + j]! * id)) & 0xff;
      } else {
        const d = fr(max / -8);
        const id = d !== 0 ? fr(1 / d) : 0;
        wd[r * nb + b] = f32ToF16(d);
        const q0 = (r * cols) / 2 + b * 16;
        for (let j = 0; j < 16; j++) {
          const lo = Math.min(15, Math.trunc(fr(fr(w[x0 + j]! * id) + 8.5)));
          const hi = Math.min(15, Math.trunc(fr(fr(w[x0 + 16 + j]! * id) + 8.5)));
          wq[q0 + j] = lo | (hi << 4);
        }
      }
    }
  }
  return { scheme, rows, cols, wq, wd };
}

/** The float32 values a quantized matrix stands for (rows [r0, r1) into out, row-major). */
export function dequantizeRows(m: QuantizedMatrix, r0: number, r1: number, out: Float32Array): void {
  const nb = m.cols / QUANT_BLOCK;
  const rb = quantRowBytes(m.scheme, m.cols);
  for (let r = r0; r < r1; r++) {
    for (let b = 0; b < nb; b++) {
      const d = f16ToF32(m.wd[r * nb + b]!);
      const o = (r - r0) * m.cols + b * QUANT_BLOCK;
      for (let j = 0; j < QUANT_BLOCK; j++) {
        let q: number;
        if (m.scheme === 'q8_0') q = (m.wq[r * rb + b * 32 + j]! << 24) >> 24;
        else q = ((m.wq[r * rb + b * 16 + (j & 15)]! >> (j < 16 ? 0 : 4)) & 15) - 8;
        out[o + j] = Math.fround(d * q);
      }
    }
  }
}

/**
 * c[i, j] (+)= a[i, :] . W[j, :] for a [m, k] (row stride lda) and W quantized [n, k]; c [m, n]
 * (row stride ldc). The activations are quantized per block of 32 on the way in (q8_0 with
 * round-half-even, scale rounded to fp16), so each block product is an exact integer sum
 * (see native/src/quant.c).
 */
export interface QuantizedMatmulArgs {
  readonly a: Float32Array;
  readonly lda: number;
  readonly m: number;
  readonly w: QuantizedMatrix;
  readonly c: Float32Array;
  readonly ldc: number;
  readonly accumulate: boolean;
}

/** The specification of quantizedMatmul (the reference backend's kernel). */
export function quantizedMatmulReference(args: QuantizedMatmulArgs): void {
  const { a, lda, m, w, c, ldc, accumulate } = args;
  const k = w.cols;
  const nb = k / QUANT_BLOCK;
  const fr = Math.fround;
  const aq = new Int8Array(m * k);
  const ad = new Float32Array(m * nb);
  for (let i = 0; i < m; i++) {
    for (let b = 0; b < nb; b++) {
      let amax = 0;
      for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(a[i * lda + b * 32 + j]!));
      const d = fr(amax / 127);
      const id = d !== 0 ? fr(1 / d) : 0;
      for (let j = 0; j < QUANT_BLOCK; j++) aq[i * k + b * 32 + j] = roundHalfEven(fr(a[i * lda + b * 32 + j]! * id));
      ad[i * nb + b] = f16ToF32(f32ToF16(d));
    }
  }
  const rb = quantRowBytes(w.scheme, k);
  const q8 = w.scheme === 'q8_0';
  for (let j = 0; j < w.rows; j++) {
    for (let i = 0; i < m; i++) {
      let r = 0;
      for (let b = 0; b < nb; b++) {
        let isum = 0;
        for (let t = 0; t < QUANT_BLOCK; t++) {
          const q = q8
            ? (w.wq[j * rb + b * 32 + t]! << 24) >> 24
            : ((w.wq[j * rb + b * 16 + (t & 15)]! >> (t < 16 ? 0 : 4)) & 15) - 8;
          isum += q * aq[i * k + b * 32 + t]!;
        }
        r = fr(r + fr(fr(f16ToF32(w.wd[j * nb + b]!) * ad[i * nb + b]!) * isum));
      }
      const o = i * ldc + j;
      c[o] = accumulate ? fr(c[o]! + r) : r;
    }
  }
}
