/**
 * Streaming writer of a token-shard dataset. Documents are appended one at a time
 * (ids validated against the vocabulary, EOS appended / BOS prepended when set); each
 * split rolls to a new <split>-NNNNN.bin/.idx when a file would pass maxTokensPerFile
 * (a document is never split across files). Everything is written into a staging
 * directory beside the target and moved into place by finish(): an interrupted write
 * leaves the previous dataset (or none), never a half one.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  readFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ArgumentError, IOError } from '../../core/errors.ts';
import { fsyncDir, removeStaleTemps, writeFileAtomic } from '../../core/atomic.ts';
import { faultPoint } from '../../core/fault.ts';
import { bytesPerToken, dtypeForVocab, SHARD_FORMAT, SHARD_VERSION } from './meta.ts';
import type { ShardFileMeta, ShardMeta, SplitMeta, TokenDType } from './meta.ts';

export interface ShardWriterOptions {
  vocabSize: number;
  /** appended after every document (null: nothing appended) */
  eosId?: number | null;
  /** prepended before every document */
  bosId?: number | null;
  /** forces a dtype (default: uint16 when vocabSize <= 65536) */
  dtype?: TokenDType;
  /** path of a tokenizer.json to copy into the dataset as tokenizer.json */
  tokenizerFile?: string | null;
  /** or the tokenizer.json content to write into the dataset */
  tokenizerJson?: string | null;
  tokenizerName?: string | null;
  maxTokensPerFile?: number;
  /** character vocabulary in id order (char-level datasets) */
  chars?: string[];
  source?: string;
  createdBy?: string;
}

const BUF_TOKENS = 1 << 16;

class SplitWriter {
  readonly files: ShardFileMeta[] = [];
  private fd: number | null = null;
  private hash: Hash | null = null;
  private buf: Uint16Array | Uint32Array;
  private bufLen = 0;
  private fileTokens = 0;
  private offsets = new Float64Array(1024);
  private nOffsets = 0;
  tokens = 0;
  documents = 0;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    dtype: TokenDType,
    private readonly maxTokens: number,
  ) {
    this.buf = dtype === 'uint16' ? new Uint16Array(BUF_TOKENS) : new Uint32Array(BUF_TOKENS);
  }

  private open(): void {
    const n = String(this.files.length).padStart(5, '0');
    const bin = `${this.name}-${n}.bin`;
    this.files.push({ bin, idx: `${this.name}-${n}.idx`, tokens: 0, documents: 0 });
    this.fd = openSync(join(this.dir, bin), 'w');
    this.hash = createHash('sha256');
    this.fileTokens = 0;
    this.nOffsets = 0;
    this.pushOffset(0);
  }

  private pushOffset(v: number): void {
    if (this.nOffsets === this.offsets.length) {
      const grown = new Float64Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[this.nOffsets++] = v;
  }

  private flush(): void {
    if (this.bufLen === 0 || this.fd === null) return;
    const bytes = new Uint8Array(this.buf.buffer, 0, this.bufLen * this.buf.BYTES_PER_ELEMENT);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.hash?.update(bytes);
    this.bufLen = 0;
  }

  closeFile(): void {
    if (this.fd === null) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    const meta = this.files[this.files.length - 1] as ShardFileMeta;
    meta.tokens = this.fileTokens;
    meta.documents = this.nOffsets - 1;
    const idx = new BigUint64Array(this.nOffsets);
    for (let i = 0; i < this.nOffsets; i++) idx[i] = BigInt(this.offsets[i] as number);
    const idxBytes = new Uint8Array(idx.buffer);
    writeFileAtomic(join(this.dir, meta.idx), idxBytes);
    meta.bin_sha256 = (this.hash as Hash).digest('hex');
    meta.idx_sha256 = createHash('sha256').update(idxBytes).digest('hex');
    this.hash = null;
  }

  add(ids: ArrayLike<number>, bos: number | null, eos: number | null): void {
    const len = ids.length + (bos !== null ? 1 : 0) + (eos !== null ? 1 : 0);
    if (this.fd === null) this.open();
    else if (this.fileTokens > 0 && this.fileTokens + len > this.maxTokens) {
      this.closeFile();
      this.open();
    }
    const push = (id: number): void => {
      if (this.bufLen === BUF_TOKENS) this.flush();
      this.buf[this.bufLen++] = id;
    };
    if (bos !== null) push(bos);
    for (let i = 0; i < ids.length; i++) push(ids[i] as number);
    if (eos !== null) push(eos);
    this.fileTokens += len;
    this.tokens += len;
    this.documents++;
    this.pushOffset(this.fileTokens);
  }
}

export class ShardWriter {
  readonly dir: string;
  readonly dtype: TokenDType;
  private readonly staging: string;
  private readonly splits = new Map<string, SplitWriter>();
  private readonly vocab: number;
  private readonly eos: number | null;
  private readonly bos: number | null;
  private done = false;

  constructor(
    dir: string,
    private readonly opts: ShardWriterOptions,
  ) {
    const v = opts.vocabSize;
    if (!Number.isSafeInteger(v) || v < 1)
      throw new ArgumentError('ShardWriter', `vocabSize must be a positive integer, got ${v}`);
    this.vocab = v;
    this.dtype = opts.dtype ?? dtypeForVocab(v);
    if (this.dtype === 'uint16' && v > 65536)
      throw new ArgumentError('ShardWriter', `uint16 cannot hold a vocabulary of ${v}`);
    const maxTokens = opts.maxTokensPerFile;
    if (maxTokens !== undefined && !(Number.isSafeInteger(maxTokens) && maxTokens >= 1))
      throw new ArgumentError('ShardWriter', `maxTokensPerFile must be a positive integer, got ${maxTokens}`);
    this.eos = opts.eosId ?? null;
    this.bos = opts.bosId ?? null;
    for (const [k, id] of [
      ['eosId', this.eos],
      ['bosId', this.bos],
    ] as const) {
      if (id !== null && !(Number.isInteger(id) && id >= 0 && id < v))
        throw new ArgumentError('ShardWriter', `${k} ${id} is not an id below vocabSize ${v}`);
    }
    this.dir = resolve(dir);
    if (existsSync(this.dir) && !statSync(this.dir).isDirectory())
      throw new IOError(this.dir, 'is a file; a shard dataset is a directory');
    // staging folders of writers that were killed (their process is gone) are garbage
    removeStaleTemps(dirname(this.dir), basename(this.dir));
    this.staging = join(dirname(this.dir), `.${basename(this.dir)}.staging-${process.pid}-${Date.now()}`);
    rmSync(this.staging, { recursive: true, force: true });
    mkdirSync(this.staging, { recursive: true });
  }

  /** Appends one document's ids to a split ("train", "val", ...). */
  addDocument(split: string, ids: ArrayLike<number>): void {
    if (this.done) throw new ArgumentError('ShardWriter.addDocument', 'the writer is finished');
    if (!/^[a-z][a-z0-9_]*$/.test(split))
      throw new ArgumentError(
        'ShardWriter.addDocument',
        `split name ${JSON.stringify(split)} must match [a-z][a-z0-9_]*`,
      );
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (!(id >= 0 && id < this.vocab && Number.isInteger(id))) {
        throw new ArgumentError(
          'ShardWriter.addDocument',
          `token ${i} of the document is ${id}, not an id in [0, ${this.vocab})`,
        );
      }
    }
    let w = this.splits.get(split);
    if (w === undefined) {
      w = new SplitWriter(this.staging, split, this.dtype, this.opts.maxTokensPerFile ?? Number.MAX_SAFE_INTEGER);
      this.splits.set(split, w);
    }
    w.add(ids, this.bos, this.eos);
  }

  /** Tokens written so far to a split. */
  tokens(split: string): number {
    return this.splits.get(split)?.tokens ?? 0;
  }

  /** Closes every file, writes meta.json and moves the dataset into place. */
  finish(ensureSplits: readonly string[] = ['train', 'val']): ShardMeta {
    if (this.done) throw new ArgumentError('ShardWriter.finish', 'already finished');
    this.done = true;
    const splits: Record<string, SplitMeta> = {};
    for (const name of ensureSplits) if (!this.splits.has(name)) splits[name] = { tokens: 0, documents: 0, files: [] };
    for (const [name, w] of this.splits) {
      w.closeFile();
      splits[name] = { tokens: w.tokens, documents: w.documents, files: w.files };
    }
    let tokenizerFile: string | null = null;
    let tokenizerHash: string | null = null;
    if (this.opts.tokenizerFile) {
      try {
        const bytes = readFileSync(this.opts.tokenizerFile);
        tokenizerHash = createHash('sha256').update(bytes).digest('hex');
        writeFileAtomic(join(this.staging, 'tokenizer.json'), bytes);
      } catch (err) {
        throw new IOError(
          this.opts.tokenizerFile,
          `cannot copy the tokenizer into the dataset: ${(err as Error).message}`,
          { cause: err },
        );
      }
      tokenizerFile = 'tokenizer.json';
    } else if (this.opts.tokenizerJson) {
      const bytes = Buffer.from(this.opts.tokenizerJson, 'utf8');
      tokenizerHash = createHash('sha256').update(bytes).digest('hex');
      writeFileAtomic(join(this.staging, 'tokenizer.json'), bytes);
      tokenizerFile = 'tokenizer.json';
    }
    const meta: ShardMeta = {
      format: SHARD_FORMAT,
      version: SHARD_VERSION,
      dtype: this.dtype,
      vocab_size: this.vocab,
      eos_id: this.eos,
      bos_id: this.bos,
      tokenizer: {
        file: tokenizerFile,
        name: this.opts.tokenizerName ?? null,
        ...(tokenizerHash !== null ? { sha256: tokenizerHash } : {}),
        ...(this.opts.chars ? { chars: this.opts.chars } : {}),
      },
      splits: Object.fromEntries(
        Object.keys(splits)
          .sort(splitOrder)
          .map((k) => [k, splits[k] as SplitMeta]),
      ),
      source: this.opts.source ?? '',
      created_by: this.opts.createdBy ?? 'llmts',
    };
    writeFileAtomic(join(this.staging, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    replaceDirectory(this.staging, this.dir);
    return meta;
  }

  /** Drops everything written (the target directory is left as it was). */
  abort(): void {
    this.done = true;
    rmSync(this.staging, { recursive: true, force: true });
  }
}

function splitOrder(a: string, b: string): number {
  const rank = (s: string): number => (s === 'train' ? 0 : s === 'val' ? 1 : 2);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Moves `from` to `to`, replacing an existing dataset there (never another kind of directory). */
function replaceDirectory(from: string, to: string): void {
  if (existsSync(to) && !statSync(to).isDirectory()) {
    rmSync(from, { recursive: true, force: true });
    throw new IOError(to, 'is a file, not a shard dataset; refusing to replace it');
  }
  faultPoint('prepare:staged');
  if (existsSync(to)) {
    const entries = readdirSync(to);
    if (entries.length > 0 && !entries.includes('meta.json')) {
      rmSync(from, { recursive: true, force: true });
      throw new IOError(to, 'exists and is not a shard dataset (no meta.json); refusing to replace it');
    }
    const old = `${from}.old`;
    renameSync(to, old);
    renameSync(from, to);
    rmSync(old, { recursive: true, force: true });
  } else {
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
  }
  fsyncDir(dirname(to));
}

export function createShardWriter(dir: string, opts: ShardWriterOptions): ShardWriter {
  return new ShardWriter(dir, opts);
}

export { bytesPerToken };
