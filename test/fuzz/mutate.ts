/**
 * Seeded mutations of valid files (issue 15's fuzzer): raw bytes (flip, overwrite with
 * boundary values, insert, delete, truncate, splice a copy) and JSON values (a node replaced
 * by a hostile value: 2^31, 1e300, -1, a string, null, an array nested 5,000 deep, a long
 * string; a key deleted; an array element duplicated). Deterministic for a seed.
 */

/** mulberry32: a small seeded PRNG (the suite must replay any case from its seed). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const BOUNDARY_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe, 0x22, 0x5b, 0x7b, 0x30, 0x39];

/** One to four byte-level mutations of `data` (a new array). */
export function mutateBytes(data: Uint8Array, rng: Rng): Uint8Array {
  let out: Uint8Array = Uint8Array.from(data);
  const n = 1 + rng.int(4);
  for (let k = 0; k < n; k++) {
    if (out.length === 0) return new Uint8Array([rng.int(256)]);
    // half the mutations land in the first 512 bytes, where headers and lengths live
    const at = rng.next() < 0.5 ? rng.int(Math.min(out.length, 512)) : rng.int(out.length);
    switch (rng.int(7)) {
      case 0:
        out[at] = out[at]! ^ (1 << rng.int(8));
        break;
      case 1:
        out[at] = rng.pick(BOUNDARY_BYTES);
        break;
      case 2: {
        // a little-endian length field set to a boundary value
        const v = rng.pick([0xffffffff, 0x7fffffff, 0x80000000, 0, 1, 0x10000]);
        for (let i = 0; i < 4 && at + i < out.length; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
        break;
      }
      case 3: {
        const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
        out = concat(out.subarray(0, at), ins, out.subarray(at));
        break;
      }
      case 4:
        out = concat(out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + rng.int(64))));
        break;
      case 5:
        out = out.slice(0, at); // truncated
        break;
      default: {
        // a copy of another stretch spliced in (repeats structure: duplicate keys, records)
        const from = rng.int(out.length);
        const len = 1 + rng.int(Math.min(256, out.length - from));
        out = concat(out.subarray(0, at), out.slice(from, from + len), out.subarray(at));
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Stands for an array nested DEEP levels, spliced into the text after JSON.stringify (which would overflow). */
const DEEP_MARK = '\u0000deep\u0000';
const DEEP = 5_000;

/** Values a hostile file puts where a size, an id, a name or a sub-object belongs. */
function hostileValue(rng: Rng): Json {
  switch (rng.int(14)) {
    case 0:
      return 2 ** 31;
    case 1:
      return 2 ** 31 - 2;
    case 2:
      return 1e300;
    case 3:
      return -1;
    case 4:
      return 0;
    case 5:
      return 1e9;
    case 6:
      return 0.5;
    case 7:
      return 'abc';
    case 8:
      return null;
    case 9:
      return [];
    case 10:
      return {};
    case 11:
      return DEEP_MARK;
    case 12:
      return 'x'.repeat(100_000);
    default:
      return '../outside/tokenizer.json';
  }
}

/** Every [parent, key] slot of a JSON value (at most `limit`, reservoir-sampled beyond). */
function slots(root: Json, rng: Rng, limit = 4096): [Json[] | { [k: string]: Json }, string | number][] {
  const out: [Json[] | { [k: string]: Json }, string | number][] = [];
  let seen = 0;
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const keys: (string | number)[] = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
    for (const k of keys) {
      seen++;
      const slot: [Json[] | { [k: string]: Json }, string | number] = [v, k];
      if (out.length < limit) out.push(slot);
      else {
        const j = rng.int(seen);
        if (j < limit) out[j] = slot;
      }
      stack.push((v as Record<string | number, Json>)[k]!);
    }
  }
  return out;
}

/** One to three JSON-aware mutations of `text` (JSON); falls back to bytes when it does not parse. */
export function mutateJson(text: string, rng: Rng): string {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return new TextDecoder().decode(mutateBytes(new TextEncoder().encode(text), rng));
  }
  const n = 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    const all = slots(root, rng);
    if (all.length === 0) return JSON.stringify(rng.int(2) === 0 ? 2 ** 31 : 'abc');
    const [parent, key] = rng.pick(all);
    const r = rng.int(10);
    if (r < 7) (parent as Record<string | number, Json>)[key] = hostileValue(rng);
    else if (r < 9) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
    } else if (Array.isArray(parent)) parent.splice(key as number, 0, parent[key as number]!);
    else (parent as Record<string, Json>)[`${key}_`] = (parent as Record<string, Json>)[key as string]!;
  }
  return JSON.stringify(root).replaceAll(JSON.stringify(DEEP_MARK), '['.repeat(DEEP) + ']'.repeat(DEEP));
}
