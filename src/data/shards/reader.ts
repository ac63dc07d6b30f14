/**
 * Reader of a token-shard dataset for data larger than memory. Nothing is loaded at
 * open beyond meta.json and file sizes; tokens are read by byte range (fs.readSync)
 * in fixed-size chunks kept in a small LRU, so random training windows hit memory after
 * warm-up (a dataset smaller than the cache ends up fully resident). Every chunk is
 * checked against vocab_size when it is read; the .idx of a file is read on first use.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { join, resolve } from 'node:path';
import { ArgumentError, FormatError } from '../../core/errors.ts';
import { bytesPerToken, validateMeta } from './meta.ts';
import type { ShardMeta } from './meta.ts';

export interface ShardReaderOptions {
  /** tokens per cached chunk (default 32768) */
  chunkTokens?: number;
  /** chunks kept per split (default 256: 16 MiB of uint16 at the default chunk size) */
  cacheChunks?: number;
  /** check the SHA-256 of every file meta.json lists a checksum for, at open (default true) */
  verifyChecksums?: boolean;
}

/** SHA-256 (hex) of a whole file, read through `fd` in 4 MiB pieces. */
function sha256OfFd(fd: number, size: number): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(size, 4 << 20));
  for (let pos = 0; pos < size;) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
    pos += n;
  }
  return h.digest('hex');
}

function checksumError(path: string, want: string, got: string): FormatError {
  return new FormatError(
    path,
    `SHA-256 ${got.slice(0, 16)}... does not match ${want.slice(0, 16)}... recorded in meta.json: the file is corrupt or was changed after the dataset was written`,
    'sha256',
  );
}

export interface TokenSplit {
  readonly name: string;
  readonly numTokens: number;
  readonly numDocuments: number;
  /** Copies tokens [start, start + length) into out[outOffset...]; returns out. */
  read(start: number, length: number, out: Int32Array, outOffset?: number): Int32Array;
  /** [start, end) token range of document i, in split coordinates (EOS/BOS included). */
  documentBounds(i: number): [number, number];
  /** The document that contains token position t. */
  documentAt(t: number): number;
  /** Reads every token once: checks ids and .idx consistency (throws FormatError). */
  verify(): void;
  close(): void;
}

export interface ShardDataset {
  readonly dir: string;
  readonly meta: ShardMeta;
  /** The names of the splits, train first. */
  readonly splits: string[];
  split(name: string): TokenSplit;
  /** Path of the dataset's tokenizer.json copy, or null. */
  tokenizerPath(): string | null;
  close(): void;
}

interface FileEntry {
  bin: string;
  idx: string;
  bin_sha256?: string;
  idx_sha256?: string;
  tokens: number;
  documents: number;
  firstToken: number;
  firstDoc: number;
  fd: number | null;
  offsets: Float64Array | null;
}

class SplitReader implements TokenSplit {
  readonly numTokens: number;
  readonly numDocuments: number;
  private readonly files: FileEntry[];
  private readonly bpt: number;
  private readonly chunk: number;
  private readonly maxChunks: number;
  // LRU: Map keeps insertion order; a hit is re-inserted at the end
  private readonly cache = new Map<number, Uint16Array | Uint32Array>();
  private readonly fileStarts: Float64Array;
  // every chunk fits in the cache: no eviction, so hits skip the LRU bookkeeping
  private readonly resident: boolean;
  private readonly verifyChecksums: boolean;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly meta: ShardMeta,
    opts: ShardReaderOptions,
  ) {
    this.verifyChecksums = opts.verifyChecksums ?? true;
    const sm = meta.splits[name];
    if (sm === undefined)
      throw new ArgumentError('ShardDataset.split', `no split "${name}" (have ${Object.keys(meta.splits).join(', ')})`);
    this.bpt = bytesPerToken(meta.dtype);
    this.chunk = opts.chunkTokens ?? 32768;
    this.maxChunks = opts.cacheChunks ?? 256;
    this.numTokens = sm.tokens;
    this.numDocuments = sm.documents;
    let t = 0;
    let d = 0;
    this.files = sm.files.map((f) => {
      const e: FileEntry = { ...f, firstToken: t, firstDoc: d, fd: null, offsets: null };
      t += f.tokens;
      d += f.documents;
      return e;
    });
    this.fileStarts = Float64Array.from(this.files.map((f) => f.firstToken));
    this.resident = this.files.reduce((n, f) => n + Math.ceil(f.tokens / this.chunk), 0) <= this.maxChunks;
    for (const f of this.files) this.checkFile(f);
  }

  private checkFile(f: FileEntry): void {
    const binPath = join(this.dir, f.bin);
    const idxPath = join(this.dir, f.idx);
    if (!existsSync(binPath)) throw new FormatError(binPath, 'missing: listed in meta.json but not in the directory');
    if (!existsSync(idxPath)) throw new FormatError(idxPath, 'missing: listed in meta.json but not in the directory');
    const fd = openSync(binPath, 'r');
    const size = fstatSync(fd).size;
    if (size !== f.tokens * this.bpt) {
      closeSync(fd);
      throw new FormatError(
        binPath,
        `is ${size} bytes but meta.json says ${f.tokens} ${this.meta.dtype} tokens (${f.tokens * this.bpt} bytes)`,
        'tokens',
      );
    }
    if (this.verifyChecksums && f.bin_sha256 !== undefined) {
      const got = sha256OfFd(fd, size);
      if (got !== f.bin_sha256) {
        closeSync(fd);
        throw checksumError(binPath, f.bin_sha256, got);
      }
    }
    f.fd = fd;
    const ifd = openSync(idxPath, 'r');
    const isize = fstatSync(ifd).size;
    const idxHash = this.verifyChecksums && f.idx_sha256 !== undefined ? sha256OfFd(ifd, isize) : undefined;
    closeSync(ifd);
    if (idxHash !== undefined && idxHash !== f.idx_sha256)
      throw checksumError(idxPath, f.idx_sha256 as string, idxHash);
    if (isize !== (f.documents + 1) * 8) {
      throw new FormatError(
        idxPath,
        `is ${isize} bytes but ${f.documents} documents need ${(f.documents + 1) * 8} (n_docs + 1 uint64 offsets)`,
        'documents',
      );
    }
  }

  private fileOfToken(t: number): number {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.fileStarts[mid] as number) <= t) lo = mid;
      else hi = mid - 1;
    }
    // skip empty files
    while (lo < this.files.length - 1 && (this.files[lo] as FileEntry).tokens === 0) lo++;
    return lo;
  }

  private loadChunk(fi: number, ci: number): Uint16Array | Uint32Array {
    const key = fi * 4294967296 + ci;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      if (this.resident) return hit;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const f = this.files[fi] as FileEntry;
    const start = ci * this.chunk;
    const n = Math.min(this.chunk, f.tokens - start);
    const buf = new ArrayBuffer(n * this.bpt);
    const bytes = new Uint8Array(buf);
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(f.fd as number, bytes, got, bytes.length - got, start * this.bpt + got);
      if (r === 0) throw new FormatError(join(this.dir, f.bin), `ended early at byte ${start * this.bpt + got}`);
      got += r;
    }
    const arr = this.bpt === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
    const vocab = this.meta.vocab_size;
    if (this.bpt === 4 || vocab < 65536) {
      for (let i = 0; i < n; i++) {
        if ((arr[i] as number) >= vocab) {
          throw new FormatError(
            join(this.dir, f.bin),
            `token ${start + i} has id ${arr[i]}, not below vocab_size ${vocab}`,
            'vocab_size',
          );
        }
      }
    }
    this.cache.set(key, arr);
    if (this.cache.size > this.maxChunks) this.cache.delete(this.cache.keys().next().value as number);
    return arr;
  }

  read(start: number, length: number, out: Int32Array, outOffset = 0): Int32Array {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(length) ||
      start < 0 ||
      length < 0 ||
      start + length > this.numTokens
    ) {
      throw new ArgumentError(
        'TokenSplit.read',
        `range [${start}, ${start + length}) is outside split "${this.name}" of ${this.numTokens} tokens`,
      );
    }
    if (outOffset + length > out.length)
      throw new ArgumentError('TokenSplit.read', `out has ${out.length} slots, need ${outOffset + length}`);
    let t = start;
    let o = outOffset;
    let remaining = length;
    while (remaining > 0) {
      const fi = this.fileOfToken(t);
      const f = this.files[fi] as FileEntry;
      const local = t - f.firstToken;
      const ci = Math.floor(local / this.chunk);
      const arr = this.loadChunk(fi, ci);
      const from = local - ci * this.chunk;
      const n = Math.min(remaining, arr.length - from);
      out.set(arr.subarray(from, from + n), o);
      t += n;
      o += n;
      remaining -= n;
    }
    return out;
  }

  private offsetsOf(fi: number): Float64Array {
    const f = this.files[fi] as FileEntry;
    if (f.offsets === null) {
      const path = join(this.dir, f.idx);
      const raw = readFileSync(path);
      const big = new BigUint64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      const off = new Float64Array(big.length);
      for (let i = 0; i < big.length; i++) {
        off[i] = Number(big[i]);
        if (i > 0 && (off[i] as number) < (off[i - 1] as number))
          throw new FormatError(path, `offset ${i} (${off[i]}) is below offset ${i - 1} (${off[i - 1]})`);
      }
      if (off[0] !== 0) throw new FormatError(path, `first offset is ${off[0]}, expected 0`);
      if (off[off.length - 1] !== f.tokens)
        throw new FormatError(path, `last offset is ${off[off.length - 1]}, but the .bin holds ${f.tokens} tokens`);
      f.offsets = off;
    }
    return f.offsets;
  }

  private fileOfDoc(i: number): number {
    let lo = 0;
    let hi = this.files.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.files[mid] as FileEntry).firstDoc <= i) lo = mid;
      else hi = mid - 1;
    }
    while ((this.files[lo] as FileEntry).documents === 0 && lo < this.files.length - 1) lo++;
    return lo;
  }

  documentBounds(i: number): [number, number] {
    if (!Number.isInteger(i) || i < 0 || i >= this.numDocuments) {
      throw new ArgumentError(
        'TokenSplit.documentBounds',
        `document ${i} is outside split "${this.name}" of ${this.numDocuments} documents`,
      );
    }
    const fi = this.fileOfDoc(i);
    const f = this.files[fi] as FileEntry;
    const off = this.offsetsOf(fi);
    const k = i - f.firstDoc;
    return [f.firstToken + (off[k] as number), f.firstToken + (off[k + 1] as number)];
  }

  documentAt(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.numTokens) {
      throw new ArgumentError(
        'TokenSplit.documentAt',
        `token ${t} is outside split "${this.name}" of ${this.numTokens} tokens`,
      );
    }
    const fi = this.fileOfToken(t);
    const f = this.files[fi] as FileEntry;
    const off = this.offsetsOf(fi);
    const local = t - f.firstToken;
    let lo = 0;
    let hi = off.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((off[mid] as number) <= local) lo = mid;
      else hi = mid - 1;
    }
    return f.firstDoc + lo;
  }

  verify(): void {
    for (let fi = 0; fi < this.files.length; fi++) {
      const f = this.files[fi] as FileEntry;
      this.offsetsOf(fi);
      for (let ci = 0; ci * this.chunk < f.tokens; ci++) this.loadChunk(fi, ci);
    }
  }

  close(): void {
    for (const f of this.files) {
      if (f.fd !== null) closeSync(f.fd);
      f.fd = null;
    }
    this.cache.clear();
  }
}

/** Opens a dataset directory written by ShardWriter (validates meta.json and file sizes). */
export function openShardDataset(dir: string, opts: ShardReaderOptions = {}): ShardDataset {
  if (endianness() !== 'LE')
    throw new FormatError(dir, 'shard files are little-endian; this reader needs a little-endian machine');
  const root = resolve(dir);
  const metaPath = join(root, 'meta.json');
  if (!existsSync(metaPath)) throw new FormatError(metaPath, 'missing: not a token-shard dataset directory');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(metaPath, 'utf8'));
  } catch (err) {
    throw new FormatError(metaPath, `not valid JSON: ${(err as Error).message}`, undefined, { cause: err });
  }
  const meta = validateMeta(raw, metaPath);
  const open = new Map<string, SplitReader>();
  // validate every split's files eagerly so a corrupt dataset fails at open
  for (const name of Object.keys(meta.splits)) open.set(name, new SplitReader(name, root, meta, opts));
  return {
    dir: root,
    meta,
    splits: Object.keys(meta.splits),
    split(name: string): TokenSplit {
      const s = open.get(name);
      if (s === undefined)
        throw new ArgumentError(
          'ShardDataset.split',
          `no split "${name}" in ${root} (have ${Object.keys(meta.splits).join(', ')})`,
        );
      return s;
    },
    tokenizerPath() {
      if (meta.tokenizer.file === null) return null;
      const path = join(root, meta.tokenizer.file);
      const want = meta.tokenizer.sha256;
      if (want !== undefined && (opts.verifyChecksums ?? true)) {
        if (!existsSync(path)) throw new FormatError(path, 'missing: listed in meta.json but not in the directory');
        const got = createHash('sha256').update(readFileSync(path)).digest('hex');
        if (got !== want) throw checksumError(path, want, got);
      }
      return path;
    },
    close() {
      for (const s of open.values()) s.close();
    },
  };
}
