/** Shared helpers for the model, nn and HF interop tests: seeded ids, masks, closeness measures, backends. */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../../src/backends/backend.ts';
import { referenceBackend } from '../../src/backends/reference/index.ts';
import { availableBackends, getDefaultBackend } from '../../src/backends/select.ts';
import { Generator, tensor } from '../../src/engine/index.ts';
import type { Tensor } from '../../src/engine/index.ts';
import { requireNative } from '../helpers/requirements.ts';

export const ref = referenceBackend;
export const hfFixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models', 'hf');

export function backends(): Backend[] {
  const all = availableBackends();
  requireNative(all.some((b) => b.name === 'native')); // a dev machine without it tests the reference only; CI fails
  return all;
}

/** int32 [B, T] from rows (all the same length), on the default backend (where models live) unless told. */
export function ids2d(rows: readonly (readonly number[])[], backend: Backend = getDefaultBackend()): Tensor {
  const T = rows[0]?.length ?? 0;
  return tensor(Int32Array.from(rows.flat()), { shape: [rows.length, T], backend });
}

/** Random ids [n] in [0, vocab). */
export function randomIds(g: Generator, n: number, vocab: number): number[] {
  return Array.from({ length: n }, () => g.randint(vocab));
}

/** Right-pads rows with `pad` to the longest; returns ids and the 0/1 mask. */
export function rightPad(rows: readonly number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const T = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...r, ...Array<number>(T - r.length).fill(pad)]),
    mask: rows.map((r) => [...r.map(() => 1), ...Array<number>(T - r.length).fill(0)]),
  };
}

/** Left-pads rows with `pad` to the longest. */
export function leftPad(rows: readonly number[][], pad: number): { ids: number[][]; mask: number[][] } {
  const T = Math.max(...rows.map((r) => r.length));
  return {
    ids: rows.map((r) => [...Array<number>(T - r.length).fill(pad), ...r]),
    mask: rows.map((r) => [...Array<number>(T - r.length).fill(0), ...r.map(() => 1)]),
  };
}

/** max |a - b| / max |b| (the error relative to the reference's scale). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'length');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

export function assertRel(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): number {
  const e = relErr(got, want);
  assert.ok(e <= tol, `${what}: relative error ${e.toExponential(2)} > ${tol}`);
  return e;
}

/** Rows [b, t, :] of a [B, T, V] array (row-major) as one flat array. */
export function rowAt(data: ArrayLike<number>, T: number, V: number, b: number, t: number): Float64Array {
  const out = new Float64Array(V);
  const base = (b * T + t) * V;
  for (let v = 0; v < V; v++) out[v] = data[base + v]!;
  return out;
}

/** Logits [B, T, V] of the positions where mask[b][t] = 1, concatenated. */
export function realPositions(data: ArrayLike<number>, mask: readonly (readonly number[])[], V: number): Float64Array {
  const T = mask[0]?.length ?? 0;
  const out: number[] = [];
  mask.forEach((row, b) =>
    row.forEach((m, t) => {
      if (m !== 0) out.push(...rowAt(data, T, V, b, t));
    }),
  );
  return Float64Array.from(out);
}

export function maskRows(mask: ArrayLike<number>, B: number, T: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => mask[b * T + t]!));
}
