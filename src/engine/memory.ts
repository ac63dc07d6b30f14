/**
 * Storage and memory scopes.
 *
 * Every tensor views a Storage (one typed array). Outside any scope, storages are ordinary
 * garbage-collected arrays. Inside `tidy(fn)`, every storage allocated is recorded; when fn
 * returns, the storages not reachable from its result (or kept with `keep`) go back to a
 * per-backend pool of arrays keyed by dtype and length, and the next step reuses them. On
 * this machine first-touching fresh memory costs 12-25 us per 4 KiB page, so a training
 * step that reuses last step's buffers is much faster than one that allocates new ones.
 *
 * A released storage's array is detached from it: touching a tensor after its scope ended
 * raises DisposedError instead of reading memory that another tensor now owns.
 */
import type { Backend } from '../backends/backend.ts';
import type { DataArray, DType } from '../core/dtype.ts';
import { itemSize } from '../core/dtype.ts';
import { ArgumentError, DisposedError } from '../core/errors.ts';

export class Storage {
  private array: DataArray | null;
  readonly dtype: DType;
  readonly length: number;
  readonly backend: Backend;
  /**
   * Bumped by every in-place write (fill_, copy_, add_, mul_, optimizer updates). Autograd
   * records it when an op saves a tensor and refuses to backpropagate through a tensor that
   * was modified afterwards, as PyTorch does, instead of silently computing wrong gradients.
   */
  version = 0;
  /** Allocation order among scope-tracked storages (-1: not tracked by a scope); see scopeMark. */
  serial = -1;

  constructor(backend: Backend, dtype: DType, array: DataArray) {
    this.backend = backend;
    this.dtype = dtype;
    this.array = array;
    this.length = array.length;
  }

  get data(): DataArray {
    if (this.array === null) throw new DisposedError('tensor');
    return this.array;
  }

  get disposed(): boolean {
    return this.array === null;
  }

  /** Detaches the array (the storage becomes unusable) and returns it. */
  detachArray(): DataArray | null {
    const a = this.array;
    this.array = null;
    return a;
  }
}

/**
 * Arrays returned by ended scopes, ready for reuse; bounded so a change of shapes cannot grow it
 * forever. An array it drops (over the bound, or cleared) goes back to its backend at once when
 * the backend has `free` (a WebAssembly backend's arrays live in its own memory), else to the GC.
 */
class ArrayPool {
  private readonly free = new Map<string, DataArray[]>();
  private bytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly backend: Backend,
  ) {}

  take(dtype: DType, length: number): DataArray | undefined {
    const list = this.free.get(`${dtype}:${length}`);
    const a = list?.pop();
    if (a !== undefined) this.bytes -= a.byteLength;
    return a;
  }

  put(dtype: DType, array: DataArray): void {
    if (this.bytes + array.byteLength > this.maxBytes) {
      this.backend.free?.(array);
      return;
    }
    const key = `${dtype}:${array.length}`;
    let list = this.free.get(key);
    if (list === undefined) {
      list = [];
      this.free.set(key, list);
    }
    list.push(array);
    this.bytes += array.byteLength;
  }

  get pooledBytes(): number {
    return this.bytes;
  }

  clear(): void {
    if (this.backend.free !== undefined)
      for (const list of this.free.values()) for (const a of list) this.backend.free(a);
    this.free.clear();
    this.bytes = 0;
  }
}

interface Scope {
  readonly storages: Storage[];
}

const pools = new Map<Backend, ArrayPool>();
const scopes: Scope[] = [];
let maxPoolBytes = 4 * 1024 * 1024 * 1024;
const stats = { allocations: 0, reused: 0, released: 0, liveScoped: 0 };
let nextSerial = 0;

function poolFor(backend: Backend): ArrayPool {
  let pool = pools.get(backend);
  if (pool === undefined) {
    pool = new ArrayPool(maxPoolBytes, backend);
    pools.set(backend, pool);
  }
  return pool;
}

/**
 * Allocates a storage. `zero` says whether the caller needs zeros (kernels that write every
 * element do not), which matters for reused arrays.
 */
export function allocStorage(backend: Backend, dtype: DType, length: number, zero: boolean): Storage {
  const scope = scopes[scopes.length - 1];
  let array: DataArray | undefined;
  if (scope !== undefined) {
    array = poolFor(backend).take(dtype, length);
    if (array !== undefined) {
      stats.reused++;
      if (zero) array.fill(0);
    }
  }
  if (array === undefined) {
    array = allocFresh(backend, dtype, length);
    stats.allocations++;
  }
  const storage = new Storage(backend, dtype, array);
  if (scope !== undefined) {
    storage.serial = nextSerial++;
    scope.storages.push(storage);
    stats.liveScoped++;
  }
  return storage;
}

/**
 * A new array from the backend. A backend with its own bounded memory (WebAssembly) may be full
 * of arrays the pool keeps for reuse: then the pool is emptied and the allocation tried again.
 */
function allocFresh(backend: Backend, dtype: DType, length: number): DataArray {
  try {
    return backend.alloc(dtype, length);
  } catch (err) {
    const pool = pools.get(backend);
    if (backend.free === undefined || pool === undefined || pool.pooledBytes === 0) throw err;
    pool.clear();
    return backend.alloc(dtype, length);
  }
}

/** Anything holding storages that a scope's result may contain. */
interface HasStorage {
  readonly storage: Storage;
}

function collect(value: unknown, into: Set<Storage>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if ((value as Partial<HasStorage>).storage instanceof Storage) {
    into.add((value as HasStorage).storage);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype || value instanceof Map) {
    const values = value instanceof Map ? [...value.values()] : Object.values(value);
    for (const v of values) collect(v, into, depth + 1);
  }
}

/**
 * Runs fn in a memory scope. Storages allocated inside and not reachable from the result
 * (tensors, or arrays / plain objects / Maps of them, a few levels deep) are released to the
 * pool when fn returns or throws; reachable ones move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope: Scope = { storages: [] };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    release(scope.storages, new Set());
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    // release what fn allocated so far (its scope is gone either way), then refuse
    release(scope.storages, new Set());
    throw new ArgumentError(
      'tidy',
      'fn must be synchronous (await outside the scope, or open a tidy() per synchronous step)',
    );
  }
  const survivors = new Set<Storage>();
  collect(result, survivors, 0);
  release(scope.storages, survivors);
  return result;
}

function release(storages: Storage[], survivors: Set<Storage>): void {
  const parent = scopes[scopes.length - 1];
  for (const s of storages) {
    if (s.disposed) {
      stats.liveScoped--;
      continue;
    }
    if (survivors.has(s)) {
      if (parent !== undefined) parent.storages.push(s);
      else stats.liveScoped--;
      continue;
    }
    const array = s.detachArray();
    stats.liveScoped--;
    stats.released++;
    if (array !== null) poolFor(s.backend).put(s.dtype, array);
  }
}

/**
 * Early release, for code that knows exactly which of its allocations are dead (the autograd
 * engine: a gradient consumed by its node, a backward rule's temporaries). Returning them to
 * the pool at once, instead of when the step's scope ends, lets the next allocations of the
 * same size reuse memory that is still in cache: a training step's backward otherwise writes
 * every gradient into memory untouched since the previous step (measured: kernels ran ~1.5x
 * slower on such cold buffers than on reused ones).
 *
 * A mark is the allocation counter of the innermost scope's storages, or null outside every
 * scope (then nothing is ever released early).
 */
export type ScopeMark = number | null;

export function scopeMark(): ScopeMark {
  return scopes.length > 0 ? nextSerial : null;
}

/** Whether s was allocated (in the innermost scope) at or after mark and is still live. */
export function allocatedSince(s: Storage, mark: ScopeMark): boolean {
  return mark !== null && s.serial >= mark && !s.disposed && scopes.length > 0;
}

/** Returns s's array to the pool now. The caller guarantees no live tensor views s. */
export function releaseNow(s: Storage): void {
  const array = s.detachArray();
  if (array === null) return;
  stats.released++;
  poolFor(s.backend).put(s.dtype, array);
  // the scope's own release pass skips it (disposed) and settles liveScoped then
}

/**
 * Releases every storage the innermost scope allocated since mark except those `live` says are
 * still referenced. Only for code that owns all of those allocations (nothing it called has
 * handed them to anyone else).
 */
export function releaseSince(mark: ScopeMark, live: (s: Storage) => boolean): void {
  const scope = scopes[scopes.length - 1];
  if (mark === null || scope === undefined) return;
  const list = scope.storages;
  // entries appended since the mark all have serial >= mark (allocations, or survivors of
  // nested scopes opened since); walking back from the end stops at the first older one
  for (let i = list.length - 1; i >= 0; i--) {
    const st = list[i]!;
    if (st.serial < mark) break;
    if (!st.disposed && !live(st)) releaseNow(st);
  }
}

/** Removes a tensor's storage from every scope: it lives until garbage-collected. */
export function keep<T extends HasStorage>(tensor: T): T {
  for (const scope of scopes) {
    const i = scope.storages.indexOf(tensor.storage);
    if (i >= 0) {
      scope.storages.splice(i, 1);
      stats.liveScoped--;
    }
  }
  return tensor;
}

/** Runs fn outside every scope: what it allocates is not tracked (parameters, optimizer state, gradients). */
export function untracked<T>(fn: () => T): T {
  const saved = scopes.splice(0, scopes.length);
  try {
    return fn();
  } finally {
    scopes.push(...saved);
  }
}

export function inScope(): boolean {
  return scopes.length > 0;
}

export interface MemoryStats {
  /** Arrays created by a backend's alloc since start (not reused from the pool). */
  readonly allocations: number;
  /** Allocations served from the pool. */
  readonly reused: number;
  /** Storages returned to the pool by ended scopes and by early release (backward). */
  readonly released: number;
  /** Storages currently owned by an open scope. */
  readonly liveScoped: number;
  /** Bytes held by the pools. */
  readonly pooledBytes: number;
}

export function memoryStats(): MemoryStats {
  let pooledBytes = 0;
  for (const p of pools.values()) pooledBytes += p.pooledBytes;
  return { ...stats, pooledBytes };
}

/** Drops every pooled array and sets the pool bound (bytes per backend). */
export function resetPools(maxBytes = maxPoolBytes): void {
  maxPoolBytes = maxBytes;
  for (const p of pools.values()) p.clear();
  pools.clear();
}

export function storageBytes(s: Storage): number {
  return s.length * itemSize(s.dtype);
}
