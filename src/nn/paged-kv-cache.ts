/**
 * A KV cache in fixed-size pages for serving (vLLM's PagedAttention): per layer, one key pool
 * and one value pool [numPages, pageSize, Hkv, D] allocated once, so memory never grows with
 * traffic. Which pages belong to which sequence is the caller's business (src/serve keeps the
 * page tables); a forward pass over a mixed batch gets a PagedStep saying, for each of its
 * tokens, the sequence (page-table row), the position and the slot it writes its keys to.
 */
import type { Backend } from '../backends/backend.ts';
import type { FloatDType } from '../core/dtype.ts';
import { ArgumentError, ShapeError } from '../core/errors.ts';
import { untracked } from '../engine/memory.ts';
import type { PagedAttentionBatch } from '../engine/ops/paged-attention.ts';
import { zerosOn } from '../engine/ops/util.ts';
import type { Tensor } from '../engine/tensor.ts';

export interface PagedKVCacheConfig {
  nLayers: number;
  numPages: number;
  /** Positions per page. */
  pageSize: number;
  kvHeads: number;
  headDim: number;
  dtype: FloatDType;
  backend: Backend;
}

/** One forward pass's tokens over the cache: PagedAttentionBatch plus where each token's keys go. */
export interface PagedStep extends PagedAttentionBatch {
  /** [N] page * pageSize + offset: the slot each token's keys and values are written to. */
  readonly slots: Int32Array;
}

/** What one attention layer needs for a paged forward pass. */
export interface PagedLayerInputs {
  readonly cache: PagedKVCache;
  readonly layer: number;
  readonly step: PagedStep;
}

export class PagedKVCache {
  /** Per layer: keys and values [numPages, pageSize, Hkv, D] (kept outside memory scopes). */
  readonly layers: readonly { readonly k: Tensor; readonly v: Tensor }[];

  constructor(readonly config: PagedKVCacheConfig) {
    const { nLayers, numPages, pageSize, kvHeads, headDim } = config;
    for (const [name, v] of Object.entries({ nLayers, numPages, pageSize, kvHeads, headDim })) {
      if (!Number.isInteger(v) || v < 1)
        throw new ArgumentError('PagedKVCache', `${name} must be a positive integer, got ${v}`);
    }
    const shape = [numPages, pageSize, kvHeads, headDim];
    this.layers = untracked(() =>
      Array.from({ length: nLayers }, () => ({
        k: zerosOn(shape, config.dtype, config.backend),
        v: zerosOn(shape, config.dtype, config.backend),
      })),
    );
  }

  /** Bytes of keys and values one position takes over all layers. */
  static bytesPerPosition(c: Pick<PagedKVCacheConfig, 'nLayers' | 'kvHeads' | 'headDim' | 'dtype'>): number {
    return 2 * c.nLayers * c.kvHeads * c.headDim * (c.dtype === 'float64' ? 8 : 4);
  }

  get bytes(): number {
    return this.config.numPages * this.config.pageSize * PagedKVCache.bytesPerPosition(this.config);
  }

  /** Writes token n's keys and values k, v [N, Hkv, D] (any strides) of `layer` into slots[n]. */
  write(layer: number, k: Tensor, v: Tensor, slots: Int32Array): void {
    const { kvHeads: Hkv, headDim: D, numPages, pageSize } = this.config;
    const N = slots.length;
    for (const t of [k, v]) {
      if (t.ndim !== 3 || t.shape[0] !== N || t.shape[1] !== Hkv || t.shape[2] !== D)
        throw new ShapeError('PagedKVCache.write', `keys and values must be [N, Hkv, D] = [${N}, ${Hkv}, ${D}]`, [
          t.shape,
        ]);
    }
    const pools = this.layers[layer];
    if (pools === undefined) throw new ArgumentError('PagedKVCache.write', `layer ${layer} does not exist`);
    for (const [src, pool] of [
      [k, pools.k],
      [v, pools.v],
    ] as const) {
      const dst = pool.data;
      const data = src.data;
      const [sN, sH, sD] = src.strides as [number, number, number];
      for (let n = 0; n < N; n++) {
        const slot = slots[n]!;
        if (slot < 0 || slot >= numPages * pageSize)
          throw new ArgumentError('PagedKVCache.write', `slot ${slot} outside [0, ${numPages * pageSize})`);
        const out = slot * Hkv * D;
        const base = src.offset + n * sN;
        if (sD === 1 && sH === D) dst.set(data.subarray(base, base + Hkv * D), out);
        else if (sD === 1)
          for (let h = 0; h < Hkv; h++) dst.set(data.subarray(base + h * sH, base + h * sH + D), out + h * D);
        else
          for (let h = 0; h < Hkv; h++)
            for (let d = 0; d < D; d++) dst[out + h * D + d] = data[base + h * sH + d * sD]!;
      }
    }
  }
}
