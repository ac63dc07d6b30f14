/**
 * Megatron-LM's token-dataset layout (megatron/core/datasets/indexed_dataset.py, the
 * MMapIndexedDataset that GPT-NeoX and NeMo read too), written as a stream: `<prefix>.bin`
 * holds the token ids as a raw little-endian array; `<prefix>.idx` is
 *
 *   "MMIDIDX\0\0" (9 bytes) | version u64 = 1 | dtype code u8 | sequence count S u64 |
 *   document count D u64 | lengths int32[S] | byte pointers int64[S] | document indices int64[D]
 *
 * with one sequence per document (as datatrove and NeMo Curator write it): the document
 * indices are 0..S (D = S + 1). The dtype is Megatron's `optimal_dtype`: uint16 (code 8)
 * when the vocabulary is below 65,500 entries, else int32 (code 4).
 */
import { writeFileAtomic } from '../../core/atomic.ts';
import { ArgumentError } from '../../core/errors.ts';
import { AtomicFileStream } from '../writers/atomic-stream.ts';

export const MEGATRON_MAGIC = 'MMIDIDX\x00\x00';
/** Megatron's DType enum codes */
export const MEGATRON_DTYPE = { uint8: 1, int8: 2, int16: 3, int32: 4, int64: 5, float64: 6, float32: 7, uint16: 8 };

export interface MegatronWriterOptions {
  vocabSize: number;
  /** appended after every document (Megatron's preprocess_data --append-eod), or null */
  eosId?: number | null;
}

export class MegatronWriter {
  readonly prefix: string;
  readonly dtypeCode: number;
  private readonly itemSize: number;
  private readonly bin: AtomicFileStream;
  private readonly vocabSize: number;
  private readonly eos: number | null;
  private lengths: Int32Array = new Int32Array(1024);
  private count = 0;
  tokens = 0;

  constructor(prefix: string, opts: MegatronWriterOptions) {
    if (!(Number.isInteger(opts.vocabSize) && opts.vocabSize > 0 && opts.vocabSize <= 2 ** 31))
      throw new ArgumentError('MegatronWriter', `vocabSize must be a positive integer, got ${opts.vocabSize}`);
    this.prefix = prefix;
    this.vocabSize = opts.vocabSize;
    this.eos = opts.eosId ?? null;
    this.dtypeCode = opts.vocabSize < 65500 ? MEGATRON_DTYPE.uint16 : MEGATRON_DTYPE.int32;
    this.itemSize = this.dtypeCode === MEGATRON_DTYPE.uint16 ? 2 : 4;
    this.bin = new AtomicFileStream(`${prefix}.bin`);
  }

  addDocument(ids: ArrayLike<number>): void {
    const n = ids.length + (this.eos !== null ? 1 : 0);
    const arr = this.itemSize === 2 ? new Uint16Array(n) : new Int32Array(n);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize))
        throw new ArgumentError('MegatronWriter.addDocument', `token id ${id} outside [0, ${this.vocabSize})`);
      arr[i] = id;
    }
    if (this.eos !== null) arr[n - 1] = this.eos;
    this.bin.writeBytes(new Uint8Array(arr.buffer, 0, arr.byteLength));
    if (this.count === this.lengths.length) {
      const grown = new Int32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
    }
    this.lengths[this.count++] = n;
    this.tokens += n;
  }

  /** Publishes `.bin` then `.idx` (both atomically). */
  finish(): void {
    this.bin.commit();
    const S = this.count;
    const D = S + 1;
    const idx = new Uint8Array(34 + 4 * S + 8 * S + 8 * D);
    const dv = new DataView(idx.buffer);
    for (let i = 0; i < 9; i++) idx[i] = MEGATRON_MAGIC.charCodeAt(i);
    dv.setBigUint64(9, 1n, true);
    dv.setUint8(17, this.dtypeCode);
    dv.setBigUint64(18, BigInt(S), true);
    dv.setBigUint64(26, BigInt(D), true);
    let off = 34;
    for (let i = 0; i < S; i++, off += 4) dv.setInt32(off, this.lengths[i] as number, true);
    let ptr = 0;
    for (let i = 0; i < S; i++, off += 8) {
      dv.setBigInt64(off, BigInt(ptr), true);
      ptr += (this.lengths[i] as number) * this.itemSize;
    }
    for (let i = 0; i < D; i++, off += 8) dv.setBigInt64(off, BigInt(i), true);
    writeFileAtomic(`${this.prefix}.idx`, idx);
  }

  abort(): void {
    this.bin.abort();
  }
}
