/**
 * MinHash signatures and LSH band keys. Shingles are word n-grams (default 5) of
 * datatrove's simplify_text; each shingle is hashed to 32 bits (MurmurHash3 of its
 * words, combined in order) and permuted by a seeded family h_i(x) = (a_i x + b_i) mod p
 * with p = 2^32 - 5 (text-dedup's 32-bit mode; datatrove uses 64-bit and 2^61 - 1, which
 * needs BigInt in JS). The signature is the per-permutation minimum; it is cut into
 * `bands` bands of `rows` values, each band reduced to a 52-bit key. Two documents
 * become candidates when any band key matches: probability 1 - (1 - s^r)^b at Jaccard s.
 */
import { Generator } from '../../core/random.ts';
import { ArgumentError } from '../../core/errors.ts';
import { finalize32, mix32, murmur32Range } from '../text/hash.ts';
import { simplifyText } from '../text/simplify.ts';

export const MERSENNE_32 = 4294967291; // 2^32 - 5, prime

export interface MinHashOptions {
  ngram: number;
  bands: number;
  rows: number;
  seed: number;
}

export const MINHASH_DEFAULTS: MinHashOptions = { ngram: 5, bands: 14, rows: 8, seed: 1 };

export class MinHasher {
  readonly ngram: number;
  readonly bands: number;
  readonly rows: number;
  readonly numPerm: number;
  private readonly aHi: Float64Array;
  private readonly aLo: Float64Array;
  private readonly b: Float64Array;

  constructor(opts: Partial<MinHashOptions> = {}) {
    const o = { ...MINHASH_DEFAULTS, ...opts };
    for (const k of ['ngram', 'bands', 'rows'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1)
        throw new ArgumentError('MinHasher', `${k} must be a positive integer, got ${o[k]}`);
    }
    this.ngram = o.ngram;
    this.bands = o.bands;
    this.rows = o.rows;
    this.numPerm = o.bands * o.rows;
    const g = new Generator(o.seed);
    this.aHi = new Float64Array(this.numPerm);
    this.aLo = new Float64Array(this.numPerm);
    this.b = new Float64Array(this.numPerm);
    for (let i = 0; i < this.numPerm; i++) {
      const a = 1 + (g.nextUint32() % (MERSENNE_32 - 1));
      // split a into 16-bit halves so a*x stays exact in doubles (< 2^53)
      this.aHi[i] = Math.floor(a / 65536);
      this.aLo[i] = a % 65536;
      this.b[i] = g.nextUint32() % MERSENNE_32;
    }
  }

  /** Distinct 32-bit shingle hashes of a text (word n-grams of simplify_text). */
  shingles(text: string): Uint32Array {
    const t = simplifyText(text);
    // word hashes straight from the simplified text (words are separated by single spaces)
    let wh = new Uint32Array(64);
    let nw = 0;
    let start = 0;
    for (let i = 0; i <= t.length; i++) {
      if (i === t.length || t.charCodeAt(i) === 32) {
        if (i > start) {
          if (nw === wh.length) {
            const g = new Uint32Array(wh.length * 2);
            g.set(wh);
            wh = g;
          }
          wh[nw++] = murmur32Range(t, start, i, 0x2545f491);
        }
        start = i + 1;
      }
    }
    if (nw === 0) return new Uint32Array(0);
    const n = Math.min(this.ngram, nw); // a short document is one shingle of all its words
    const count = nw - n + 1;
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      let h = 0x3c6ef372;
      for (let j = 0; j < n; j++) h = mix32(h, wh[i + j] as number);
      out[i] = finalize32(h, n);
    }
    // distinct values (a set): sort and compact
    out.sort();
    let u = 0;
    for (let i = 0; i < count; i++) if (i === 0 || out[i] !== out[u - 1]) out[u++] = out[i] as number;
    return out.subarray(0, u);
  }

  /** The MinHash signature (numPerm values in [0, p)); all p when there are no shingles. */
  signatureOfShingles(sh: Uint32Array): Float64Array {
    const P = MERSENNE_32;
    const invP = 1 / P;
    const sig = new Float64Array(this.numPerm).fill(P);
    const aHi = this.aHi;
    const aLo = this.aLo;
    const b = this.b;
    const k = this.numPerm;
    for (let s = 0; s < sh.length; s++) {
      const x = sh[s] as number; // < 2^32; x mod P is folded into the reduction below
      let x16 = x * 65536; // a*x = aHi*(x*2^16 mod P) + aLo*x  (mod P)
      x16 -= Math.floor(x16 * invP) * P;
      if (x16 < 0) x16 += P;
      else if (x16 >= P) x16 -= P;
      for (let i = 0; i < k; i++) {
        // < 2^16 * 2^32 + 2^16 * 2^32 + 2^32 < 2^50: exact in a double
        let v = (aHi[i] as number) * x16 + (aLo[i] as number) * x + (b[i] as number);
        v -= Math.floor(v * invP) * P;
        // floor(v * invP) may be off by one: fix the remainder into [0, P)
        if (v < 0) v += P;
        else if (v >= P) v -= P;
        if (v < (sig[i] as number)) sig[i] = v;
      }
    }
    return sig;
  }

  signature(text: string): Float64Array {
    return this.signatureOfShingles(this.shingles(text));
  }

  /** One 52-bit key per band (NaN for a document without shingles: never a candidate). */
  bandKeys(sig: Float64Array, empty: boolean): Float64Array {
    const keys = new Float64Array(this.bands);
    for (let band = 0; band < this.bands; band++) {
      if (empty) {
        keys[band] = NaN;
        continue;
      }
      let h1 = 0x1b873593 ^ band;
      let h2 = 0x7feb352d ^ band;
      for (let r = 0; r < this.rows; r++) {
        const v = sig[band * this.rows + r] as number;
        h1 = mix32(h1, v);
        h2 = mix32(h2, v ^ 0x5bd1e995);
      }
      keys[band] = (finalize32(h1, this.rows) & 0xfffff) * 4294967296 + finalize32(h2, this.rows);
    }
    return keys;
  }
}

/** The fraction of equal signature positions: an unbiased estimate of Jaccard similarity. */
export function estimateJaccard(a: Float64Array, b: Float64Array): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) eq++;
  return eq / a.length;
}

/** Probability that two documents at Jaccard s share at least one band: 1 - (1 - s^r)^b. */
export function candidateProbability(s: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(s, rows), bands);
}

/** Exact Jaccard similarity of two shingle sets. */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  let inter = 0;
  for (const x of b) if (sa.has(x)) inter++;
  const union = sa.size + new Set(b).size - inter;
  return union === 0 ? 1 : inter / union;
}
