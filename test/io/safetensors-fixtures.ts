// Loads the fixtures written by scripts/oracles/safetensors_fixtures.py.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dtype, TensorData, TensorInput } from '../../src/io/safetensors.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'io');

export interface ExpectedTensor {
  dtype: Dtype;
  shape: number[];
  values: (number | string)[];
  bits?: number[];
}

export interface Expected {
  metadata: Record<string, string> | null;
  tensors: Record<string, ExpectedTensor>;
}

export function readExpected(path: string): Expected {
  return JSON.parse(readFileSync(path, 'utf8')) as Expected;
}

export function num(v: number | string): number {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v as number;
}

/** The writer input reproducing a fixture tensor exactly (F16/BF16 from their bits). */
export function inputOf(t: ExpectedTensor): TensorInput {
  let data: TensorData;
  switch (t.dtype) {
    case 'F64':
      data = Float64Array.from(t.values, num);
      break;
    case 'F32':
      data = Float32Array.from(t.values, num);
      break;
    case 'F16':
    case 'BF16':
      data = Uint16Array.from(t.bits!);
      break;
    case 'I64':
      data = BigInt64Array.from(t.values, (v) => BigInt(v));
      break;
    case 'I32':
      data = Int32Array.from(t.values as number[]);
      break;
    case 'I16':
      data = Int16Array.from(t.values as number[]);
      break;
    case 'I8':
      data = Int8Array.from(t.values as number[]);
      break;
    case 'U8':
    case 'BOOL':
      data = Uint8Array.from(t.values as number[]);
      break;
    default:
      throw new Error(`no fixture dtype ${t.dtype}`);
  }
  return { dtype: t.dtype, shape: t.shape, data };
}

/** Elementwise equality that treats NaN as equal to NaN and distinguishes -0 from 0. */
export function sameValues(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
