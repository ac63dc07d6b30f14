/**
 * The KV-cache memory budget in pages: `--kv-memory` bytes become a fixed number of pages of
 * `pageSize` positions, allocated once (PagedKVCache); sequences take pages as they grow and give
 * them back when they finish or are cancelled, so memory never grows with traffic and a
 * finished request's memory is reusable at the next step.
 */
import { ConfigError } from '../core/errors.ts';

/** How many pages of `pageSize` positions fit in `bytes`, at `bytesPerPosition` (all layers, K and V). */
export function pagesForBudget(bytes: number, bytesPerPosition: number, pageSize: number): number {
  const pages = Math.floor(bytes / (bytesPerPosition * pageSize));
  if (pages < 1)
    throw new ConfigError(
      'kv_memory',
      `${(bytes / 2 ** 20).toFixed(1)} MiB holds no page of ${pageSize} positions (${((bytesPerPosition * pageSize) / 2 ** 20).toFixed(2)} MiB each)`,
    );
  return pages;
}

/** Pages needed to hold `positions` positions. */
export function pagesFor(positions: number, pageSize: number): number {
  return Math.ceil(positions / pageSize);
}

/** A free list of page ids [0, numPages). */
export class PageAllocator {
  private readonly free: number[];

  constructor(readonly numPages: number) {
    // popped from the end: page 0 first
    this.free = Array.from({ length: numPages }, (_, i) => numPages - 1 - i);
  }

  get freeCount(): number {
    return this.free.length;
  }

  get usedCount(): number {
    return this.numPages - this.free.length;
  }

  /** n more pages appended to `pages`, or false (and nothing taken) when fewer are free. */
  grow(pages: number[], n: number): boolean {
    if (n > this.free.length) return false;
    for (let i = 0; i < n; i++) pages.push(this.free.pop()!);
    return true;
  }

  /** Returns every page of `pages` to the pool and empties it. */
  release(pages: number[]): void {
    for (const p of pages) this.free.push(p);
    pages.length = 0;
  }
}
