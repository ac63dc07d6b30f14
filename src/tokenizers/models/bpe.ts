/**
 * Byte-pair encoding (HF `BPE` model): a word starts as characters (or, on the byte-level fast
 * path, UTF-8 bytes) and the adjacent pair with the lowest merge rank is merged until none is
 * left; ties go to the leftmost pair. Options follow Hugging Face: unk_token + fuse_unk,
 * byte_fallback (`<0xNN>` tokens for characters missing from the vocab),
 * continuing_subword_prefix, end_of_word_suffix, ignore_merges, dropout.
 *
 * Merges are looked up by integer pair in a PairTable. Words of up to 64 symbols merge with a
 * linear scan over cached pair ranks (cheap for real words); longer ones use a heap over a
 * linked list (bpe-heap-merge.ts) so adversarial inputs (a million spaces) stay O(n log n).
 */
import { describe } from '../../core/describe.ts';
import { ArgumentError, FormatError } from '../../core/errors.ts';
import { Generator } from '../../core/random.ts';
import type { JsonObject, JsonValue } from '../config-reader.ts';
import type { Model, Token } from '../interfaces.ts';
import { BYTE_TO_CHAR } from '../byte-alphabet.ts';
import { heapMerge, NO_RANK } from './bpe-heap-merge.ts';
import { PackedVocab } from './packed-vocab.ts';
import { PairTable } from './pair-table.ts';
import { vocabToJson } from './vocab-util.ts';
import { VocabModel } from './vocab-model.ts';

export interface BpeOptions {
  /** Probability of skipping each merge (subword regularisation); null = off. */
  dropout: number | null;
  unkToken: string | null;
  continuingSubwordPrefix: string | null;
  endOfWordSuffix: string | null;
  /** Consecutive unknown characters become a single unk token. */
  fuseUnk: boolean;
  /** Unknown characters become their UTF-8 bytes as `<0xNN>` tokens when those exist. */
  byteFallback: boolean;
  /** A word that is already a vocabulary entry is emitted whole, without merging. */
  ignoreMerges: boolean;
  /** Seed of the dropout generator. */
  seed: number;
  /** Max cached words (0 disables the cache). */
  cacheCapacity: number;
}

const SMALL_WORD = 64;
const MAX_CACHED_LENGTH = 256;

export class BPE extends VocabModel implements Model {
  readonly type = 'BPE';
  readonly options: BpeOptions;
  private mergeList: readonly [string, string][] | (() => readonly [string, string][]);
  readonly pairs: PairTable;
  /** id of each byte's byte-level character, or -1 (the byte-level fast path needs all 256). */
  readonly byteLevelIds: Int32Array;
  /** id of `<0xNN>` for each byte, or -1. */
  readonly fallbackIds: Int32Array;
  private readonly cache = new Map<string, Int32Array>();
  private readonly rng: Generator;
  // reusable scratch for merging
  private symBuf = new Int32Array(256);
  private rankBuf = new Int32Array(256);

  /**
   * @param merges  in rank order; a function when they are made only if asked for (the cache)
   * @param pairs   the merge table already built and checked (then `merges` is not checked)
   */
  constructor(
    vocab: Map<string, number> | PackedVocab,
    merges: readonly [string, string][] | (() => readonly [string, string][]),
    options: Partial<BpeOptions> = {},
    pairs?: PairTable,
  ) {
    super(vocab);
    this.options = {
      dropout: null,
      unkToken: null,
      continuingSubwordPrefix: null,
      endOfWordSuffix: null,
      fuseUnk: false,
      byteFallback: false,
      ignoreMerges: false,
      seed: 0,
      cacheCapacity: 100_000,
      ...options,
    };
    const d = this.options.dropout;
    if (d !== null && !(d >= 0 && d <= 1)) throw new ArgumentError('BPE', `dropout must be in [0, 1], got ${d}`);
    this.mergeList = merges;
    this.rng = new Generator(this.options.seed);
    if (pairs !== undefined) this.pairs = pairs;
    else {
      const map = this.vocab;
      this.pairs = new PairTable(this.merges.length);
      const prefixLen = this.options.continuingSubwordPrefix?.length ?? 0;
      this.merges.forEach(([a, b], rank) => {
        const ia = map.get(a);
        const ib = map.get(b);
        if (ia === undefined || ib === undefined) {
          throw new FormatError(
            '<bpe merges>',
            `merge ${rank} (${describe(a)} ${describe(b)}) names a token missing from the vocab`,
            `model.merges[${rank}]`,
          );
        }
        const joined =
          a + (prefixLen > 0 && b.startsWith(this.options.continuingSubwordPrefix!) ? b.slice(prefixLen) : b);
        const m = map.get(joined);
        if (m === undefined)
          throw new FormatError(
            '<bpe merges>',
            `merge ${rank} produces ${describe(joined)}, which is not in the vocab`,
            `model.merges[${rank}]`,
          );
        this.pairs.set(ia, ib, rank, m);
      });
    }
    this.byteLevelIds = new Int32Array(256).fill(-1);
    this.fallbackIds = new Int32Array(256).fill(-1);
    for (let b = 0; b < 256; b++) {
      this.byteLevelIds[b] = this.tokenToId(BYTE_TO_CHAR[b]!) ?? -1;
      this.fallbackIds[b] = this.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`) ?? -1;
    }
  }

  /** Merges in rank order, for serialization. */
  get merges(): readonly [string, string][] {
    if (typeof this.mergeList === 'function') this.mergeList = this.mergeList();
    return this.mergeList;
  }

  get unkToken(): string | undefined {
    return this.options.unkToken ?? undefined;
  }

  /** True if every byte has a byte-level character token (GPT-2 style vocabularies). */
  get isByteLevel(): boolean {
    return this.byteLevelIds.every((x) => x >= 0);
  }

  clearCache(): void {
    this.cache.clear();
    this.tokenCache.clear();
  }

  private get dropoutOn(): boolean {
    return this.options.dropout !== null && this.options.dropout > 0;
  }

  // ------------------------------------------------------------------ ids-only paths

  encodeIds(piece: string, out: number[]): void {
    if (piece.length === 0) return;
    if (this.options.ignoreMerges && !this.dropoutOn) {
      const id = this.vocab.get(piece);
      if (id !== undefined) {
        out.push(id);
        return;
      }
    }
    const useCache = !this.dropoutOn && this.options.cacheCapacity > 0 && piece.length <= MAX_CACHED_LENGTH;
    if (useCache) {
      const hit = this.cache.get(piece);
      if (hit !== undefined) {
        for (let i = 0; i < hit.length; i++) out.push(hit[i]!);
        return;
      }
    }
    const w = this.initWord(piece, false);
    const ids = this.dropoutOn
      ? Int32Array.from(this.mergeWithOffsets(w).ids)
      : this.mergeIds(Int32Array.from(w.ids), w.ids.length);
    if (useCache) this.remember(piece, ids);
    for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
  }

  /**
   * Byte-level fast path: `bytes[0, n)` are the UTF-8 bytes of one pre-token; appends its ids.
   * Requires `isByteLevel` and no dropout / prefix / suffix (the caller checks).
   */
  encodeByteLevel(bytes: Uint8Array, n: number, out: number[]): void {
    if (n === 1) {
      out.push(this.byteLevelIds[bytes[0]!]!);
      return;
    }
    if (this.symBuf.length < n) this.symBuf = new Int32Array(n * 2);
    const sym = this.symBuf;
    for (let i = 0; i < n; i++) sym[i] = this.byteLevelIds[bytes[i]!]!;
    const m = n <= SMALL_WORD ? this.mergeSmall(sym, n) : this.mergeHeap(sym, n);
    for (let i = 0; i < m; i++) out.push(sym[i]!);
  }

  /** Looks up / fills the word cache (keyed by the caller's string for the word). */
  cached(key: string): Int32Array | undefined {
    return this.cache.get(key);
  }

  remember(key: string, ids: Int32Array): void {
    if (this.cache.size >= this.options.cacheCapacity) this.cache.clear();
    this.cache.set(key, ids);
  }

  /** Merges ids[0, n) and returns the merged ids as a new array. */
  mergeIds(ids: Int32Array, n: number): Int32Array {
    const m = n <= SMALL_WORD ? this.mergeSmall(ids, n) : this.mergeHeap(ids, n);
    return ids.slice(0, m);
  }

  /** Linear-scan merge in place; returns the new length. */
  private mergeSmall(sym: Int32Array, n: number): number {
    if (n < 2) return n;
    const pairs = this.pairs;
    if (this.rankBuf.length < n) this.rankBuf = new Int32Array(n * 2);
    const pr = this.rankBuf;
    for (let i = 0; i < n - 1; i++) pr[i] = pairs.rank(sym[i]!, sym[i + 1]!);
    for (;;) {
      let best = NO_RANK;
      let bi = -1;
      for (let i = 0; i < n - 1; i++) {
        const r = pr[i]!;
        if (r < best) {
          best = r;
          bi = i;
        }
      }
      if (bi < 0) return n;
      sym[bi] = pairs.mergedAt(pairs.find(sym[bi]!, sym[bi + 1]!));
      for (let j = bi + 1; j < n - 1; j++) sym[j] = sym[j + 1]!;
      for (let j = bi + 1; j < n - 2; j++) pr[j] = pr[j + 1]!;
      n--;
      if (bi < n - 1) pr[bi] = pairs.rank(sym[bi]!, sym[bi + 1]!);
      if (bi > 0) pr[bi - 1] = pairs.rank(sym[bi - 1]!, sym[bi]!);
    }
  }

  /** Heap merge (bpe-heap-merge.ts) in place; returns the new length. O(n log n). */
  private mergeHeap(sym: Int32Array, n: number): number {
    const next = heapMerge(this.pairs, sym, n);
    let m = 0;
    for (let i = 0; i >= 0; i = next[i]!) sym[m++] = sym[i]!;
    return m;
  }

  // ------------------------------------------------------------------ tokens with offsets

  /** Tokens of recent words (read-only: callers never mutate tokens); unused with dropout. */
  private readonly tokenCache = new Map<string, Token[]>();

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    if (this.dropoutOn) return this.tokenizeUncached(piece);
    const hit = this.tokenCache.get(piece);
    if (hit !== undefined) return hit;
    const toks = this.tokenizeUncached(piece);
    if (piece.length <= MAX_CACHED_LENGTH && this.options.cacheCapacity > 0) {
      if (this.tokenCache.size >= this.options.cacheCapacity) this.tokenCache.clear();
      this.tokenCache.set(piece, toks);
    }
    return toks;
  }

  private tokenizeUncached(piece: string): Token[] {
    if (this.options.ignoreMerges && !this.dropoutOn) {
      const id = this.vocab.get(piece);
      if (id !== undefined) return [{ id, value: piece, offsets: [0, piece.length] }];
    }
    const merged = this.mergeWithOffsets(this.initWord(piece, true));
    const out: Token[] = [];
    for (let i = 0; i < merged.ids.length; i++) {
      const id = merged.ids[i]!;
      out.push({ id, value: this.vocabR[id]!, offsets: [merged.starts[i]!, merged.ends[i]!] });
    }
    return out;
  }

  /** Characters -> initial symbols, with unk / byte fallback handling as HF `merge_word`. */
  private initWord(piece: string, withOffsets: boolean): Word {
    const o = this.options;
    const ids: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let unkStart = -1;
    let unkEnd = -1;
    const unkId = o.unkToken === null ? undefined : this.vocab.get(o.unkToken);
    const flushUnk = (): void => {
      if (unkStart >= 0 && unkId !== undefined) {
        ids.push(unkId);
        starts.push(unkStart);
        ends.push(unkEnd);
      }
      unkStart = -1;
    };
    for (let i = 0; i < piece.length;) {
      const c = piece.charCodeAt(i);
      const w =
        c >= 0xd800 && c <= 0xdbff && i + 1 < piece.length && (piece.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      let s = w === 1 ? piece[i]! : piece.slice(i, i + 2);
      if (i > 0 && o.continuingSubwordPrefix !== null) s = o.continuingSubwordPrefix + s;
      if (i + w === piece.length && o.endOfWordSuffix !== null) s = s + o.endOfWordSuffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        flushUnk();
        ids.push(id);
        starts.push(i);
        ends.push(i + w);
      } else {
        let done = false;
        if (o.byteFallback) {
          const bytes = new TextEncoder().encode(s);
          let ok = true;
          for (const b of bytes) if (this.fallbackIds[b]! < 0) ok = false;
          if (ok) {
            flushUnk();
            for (const b of bytes) {
              ids.push(this.fallbackIds[b]!);
              starts.push(i);
              ends.push(i + w);
            }
            done = true;
          }
        }
        if (!done && unkId !== undefined) {
          if (unkStart >= 0 && o.fuseUnk) unkEnd = i + w;
          else {
            flushUnk();
            unkStart = i;
            unkEnd = i + w;
          }
        }
      }
      i += w;
    }
    flushUnk();
    return withOffsets ? { ids, starts, ends } : { ids, starts: [], ends: [] };
  }

  /** HF `Word::merge_all`, with offsets and dropout. */
  private mergeWithOffsets(w: Word): Word {
    const n = w.ids.length;
    const sym = Int32Array.from(w.ids);
    const start = Int32Array.from(w.starts.length === n ? w.starts : new Array<number>(n).fill(0));
    const end = Int32Array.from(w.ends.length === n ? w.ends : new Array<number>(n).fill(0));
    const next = heapMerge(this.pairs, sym, n, end, this.options.dropout ?? 0, this.rng);
    const out: Word = { ids: [], starts: [], ends: [] };
    if (n === 0) return out;
    for (let i = 0; i >= 0; i = next[i]!) {
      out.ids.push(sym[i]!);
      out.starts.push(start[i]!);
      out.ends.push(end[i]!);
    }
    return out;
  }

  toJSON(): JsonObject {
    const o = this.options;
    const vocab = vocabToJson(this.vocabR);
    // string "a b" merges unless a token contains a space (then the newer [a, b] form)
    const needArrays = this.merges.some(([a, b]) => a.includes(' ') || b.includes(' '));
    const merges: JsonValue[] = this.merges.map(([a, b]) => (needArrays ? [a, b] : `${a} ${b}`));
    return {
      type: this.type,
      dropout: o.dropout,
      unk_token: o.unkToken,
      continuing_subword_prefix: o.continuingSubwordPrefix,
      end_of_word_suffix: o.endOfWordSuffix,
      fuse_unk: o.fuseUnk,
      byte_fallback: o.byteFallback,
      ignore_merges: o.ignoreMerges,
      vocab,
      merges,
    };
  }
}

interface Word {
  ids: number[];
  starts: number[];
  ends: number[];
}
