/**
 * Element types. float32 is the training dtype, float64 exists for gradient checks,
 * int32 holds token ids and indices, bool (one byte per element) holds masks.
 */
import { DTypeError } from './errors.ts';

/** Element types: float32 (training), float64 (gradient checks), int32 (token ids, indices), bool (masks). */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';
export type FloatDType = 'float32' | 'float64';

export type FloatArray = Float32Array | Float64Array;
export type DataArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface ArrayForDType {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export function isFloatDType(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

export function itemSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
  }
}

export function newArray<D extends DType>(dtype: D, length: number): ArrayForDType[D] {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length) as ArrayForDType[D];
    case 'float64':
      return new Float64Array(length) as ArrayForDType[D];
    case 'int32':
      return new Int32Array(length) as ArrayForDType[D];
    case 'bool':
      return new Uint8Array(length) as ArrayForDType[D];
    default:
      throw new DTypeError('newArray', `unknown dtype ${String(dtype)}`);
  }
}

export function dtypeOfArray(data: DataArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'bool';
}

/** The dtype two operands promote to (PyTorch's rules restricted to our four dtypes). */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32'; // int32 with bool
}
