/**
 * safetensors dtypes: the Rust enum in declaration (alignment) order with bit sizes,
 * the typed array each one reads into, and the float16 / bfloat16 conversions
 * (round to nearest even, as torch converts).
 */

/** The Rust `Dtype` enum in declaration order: the writer sorts by this, descending. */
export const DTYPES = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'F8_E4M3FNUZ',
  'F8_E5M2FNUZ',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
] as const;

export type Dtype = (typeof DTYPES)[number];

export const DTYPE_BITS: Readonly<Record<Dtype, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && (DTYPES as readonly string[]).includes(s);
}

export type TensorData =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

type TypedCtor = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

/**
 * The typed array of each dtype's elements. F16/BF16 hold raw 16-bit patterns
 * (convert with f16ToF32 / bf16ToF32 or read with float32: true); BOOL is one byte
 * per element; dtypes without a JS element type (F8, F6, F4, C64) are raw bytes.
 */
export const DTYPE_ARRAY: Readonly<Record<Dtype, TypedCtor>> = {
  BOOL: Uint8Array,
  F4: Uint8Array,
  F6_E2M3: Uint8Array,
  F6_E3M2: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  F8_E5M2: Uint8Array,
  F8_E4M3: Uint8Array,
  F8_E8M0: Uint8Array,
  F8_E4M3FNUZ: Uint8Array,
  F8_E5M2FNUZ: Uint8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  C64: Uint8Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

/** Dtypes whose elements are raw bytes in JS (no element type). */
export function isRawDtype(d: Dtype): boolean {
  return DTYPE_ARRAY[d] === Uint8Array && d !== 'U8' && d !== 'BOOL';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits -> number. */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m === 0 ? sign * Infinity : NaN;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** number -> IEEE half bits, rounding the float32 value to nearest even; NaN -> 0x7E00 with its sign (as torch). */
export function f32ToF16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const e = (b >>> 23) & 0xff;
  const m = b & 0x7fffff;
  if (e === 0xff) return sign | (m !== 0 ? 0x7e00 : 0x7c00);
  const E = e - 127;
  if (E > 15) return sign | 0x7c00;
  if (E >= -14) {
    // normal half: 10 mantissa bits, round the dropped 13 to nearest even (a carry may reach infinity)
    let h = ((E + 15) << 10) | (m >>> 13);
    const rest = m & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (e === 0) return sign; // float32 subnormals are far below half's range
  // half subnormal: units of 2^-24; the 24-bit significand shifted right by -E - 1
  const sig = m | 0x800000;
  const shift = -E - 1;
  if (shift > 24) return sign;
  let h = sig >>> shift;
  const rest = sig & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** bfloat16 bits -> number (the upper half of a float32). */
export function bf16ToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/**
 * number -> bfloat16 bits, round to nearest even. NaN -> 0xFFFF, which is what
 * torch's tensor conversion (.to(torch.bfloat16), the vectorized path) writes; the
 * scalar c10::BFloat16 constructor writes 0x7FC0. Both are NaN.
 */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  if (Number.isNaN(f32[0])) return 0xffff;
  const b = u32[0]!;
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 65536) & 0xffff;
}

/** Converts F16/BF16 bit patterns to a Float32Array. */
export function halfBitsToFloat32(bits: Uint16Array, dtype: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(bits.length);
  if (dtype === 'BF16') {
    const o32 = new Uint32Array(out.buffer);
    for (let i = 0; i < bits.length; i++) o32[i] = bits[i]! << 16;
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = f16ToF32(bits[i]!);
  }
  return out;
}

/** Converts float32 values to F16/BF16 bit patterns. */
export function float32ToHalfBits(values: Float32Array | Float64Array, dtype: 'F16' | 'BF16'): Uint16Array {
  const out = new Uint16Array(values.length);
  const conv = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return out;
}
