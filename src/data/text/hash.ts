/**
 * Small non-cryptographic hashes used by dedup and by deterministic sampling:
 * MurmurHash3 (x86, 32-bit) over UTF-16 code units, and a 52-bit key built from two
 * seeded 32-bit hashes (52 bits so it is an exact JS number and a fast Map key).
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 over the string's UTF-16 code units (two units per 32-bit block). */
export function murmur32(s: string, seed = 0): number {
  return murmur32Range(s, 0, s.length, seed);
}

/** murmur32 of s.slice(start, end), without making the slice. */
export function murmur32Range(s: string, start: number, end: number, seed = 0): number {
  let h = seed >>> 0;
  const n = end - start;
  let i = start;
  for (; i + 1 < end; i += 2) {
    let k = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n * 2;
  return fmix32(h);
}

/** Mixes a 32-bit value into a running 32-bit hash (murmur3 block step + finalizer-free). */
export function mix32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

export function finalize32(h: number, length: number): number {
  return fmix32((h ^ length) >>> 0);
}

/** A 52-bit hash of a string: exact as a JS number; collisions ~ n^2 / 2^53. */
export function hash52(s: string): number {
  const a = murmur32(s, 0x9747b28c);
  const b = murmur32(s, 0x5bd1e995);
  return (a & 0xfffff) * 4294967296 + b;
}
