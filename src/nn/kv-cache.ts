/**
 * Key/value cache for incremental decoding: per layer, preallocated [B, Hkv, capacity, D]
 * buffers (grown by doubling) holding the keys (after RoPE) and values of every position
 * seen so far, so a new token costs one position of attention, not the whole prefix.
 */
import type { Tensor } from '../engine/tensor.ts';
import { untracked } from '../engine/memory.ts';
import { zerosOn, strided } from '../engine/ops/util.ts';
import { indexSelect } from '../engine/ops/indexing.ts';
import { slice, contiguousCopy } from '../engine/ops/movement.ts';
import { noGrad } from '../engine/grad-mode.ts';
import { ArgumentError, ShapeError } from '../core/errors.ts';

export class LayerKVCache {
  private k: Tensor | null = null;
  private v: Tensor | null = null;
  /** Positions stored. */
  length = 0;

  /** Appends k, v [B, Hkv, T, D]; returns views of everything stored, [B, Hkv, length, D]. */
  append(kNew: Tensor, vNew: Tensor): { k: Tensor; v: Tensor } {
    const [B, H, T, D] = kNew.shape as [number, number, number, number];
    if (this.k !== null && (this.k.shape[0] !== B || this.k.shape[1] !== H || this.k.shape[3] !== D)) {
      throw new ShapeError('KVCache.append', 'new keys do not match the cached batch/heads/head size', [
        this.k.shape,
        kNew.shape,
      ]);
    }
    const needed = this.length + T;
    if (this.k === null || this.k.shape[2]! < needed)
      this.grow(B, H, D, Math.max(needed, 2 * (this.k?.shape[2] ?? 16)), kNew);
    const k = this.k!;
    const v = this.v!;
    noGrad(() => {
      const kDst = slice(k, 2, this.length, needed);
      const vDst = slice(v, 2, this.length, needed);
      k.backend.assign(strided(kDst), strided(kNew), kNew.shape);
      v.backend.assign(strided(vDst), strided(vNew), vNew.shape);
    });
    this.length = needed;
    return { k: slice(k, 2, 0, needed), v: slice(v, 2, 0, needed) };
  }

  private grow(B: number, H: number, D: number, capacity: number, like: Tensor): void {
    const [k, v] = untracked(() => [
      zerosOn([B, H, capacity, D], like.dtype, like.backend),
      zerosOn([B, H, capacity, D], like.dtype, like.backend),
    ]);
    if (this.k !== null && this.v !== null && this.length > 0) {
      const len = this.length;
      k.backend.assign(strided(slice(k, 2, 0, len)), strided(slice(this.k, 2, 0, len)), [B, H, len, D]);
      v.backend.assign(strided(slice(v, 2, 0, len)), strided(slice(this.v, 2, 0, len)), [B, H, len, D]);
    }
    this.k = k!;
    this.v = v!;
  }

  /** Beam search: new row i continues old row rows[i]. */
  reorder(rows: Tensor): void {
    if (this.k === null || this.v === null) return;
    if (rows.dtype !== 'int32') throw new ArgumentError('KVCache.reorder', 'rows must be int32');
    const [k, v] = untracked(() =>
      noGrad(() => [contiguousCopy(indexSelect(this.k!, 0, rows)), contiguousCopy(indexSelect(this.v!, 0, rows))]),
    );
    this.k = k!;
    this.v = v!;
  }

  /** Drops positions after `length` (speculative decoding, or reusing a prompt's cache). */
  truncate(length: number): void {
    if (length < 0 || length > this.length)
      throw new ArgumentError('KVCache.truncate', `length ${length} outside [0, ${this.length}]`);
    this.length = length;
  }
}

/** One cache per layer. */
export class KVCache {
  readonly layers: LayerKVCache[];
  constructor(nLayers: number) {
    this.layers = Array.from({ length: nLayers }, () => new LayerKVCache());
  }

  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  reorder(rows: Tensor): void {
    for (const l of this.layers) l.reorder(rows);
  }

  truncate(length: number): void {
    for (const l of this.layers) l.truncate(length);
  }
}
