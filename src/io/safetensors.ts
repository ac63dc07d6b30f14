/**
 * safetensors reader and writer (huggingface/safetensors format; see
 * docs/safetensors.md). Layout: [0, 8) header length N as u64 little-endian;
 * [8, 8 + N) a UTF-8 JSON header {"__metadata__": {str: str}?, NAME: {"dtype",
 * "shape", "data_offsets": [BEGIN, END]}, ...}; then the data, little-endian,
 * row-major, offsets relative to byte 8 + N.
 *
 * The reader validates as the Rust reference does, in its order, and reports each
 * failure as a SafetensorsError (a FormatError naming the file, the field and the
 * reference's error kind). No allocation happens before the header length has been
 * checked against the file size, so a hostile file cannot make it run out of memory.
 *
 * Records are plain { dtype, shape, data }: no engine tensor (callers convert).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import { ArgumentError, FormatError, IOError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/atomic.ts';
import { describe } from '../core/describe.ts';
import {
  DTYPE_ARRAY,
  DTYPE_BITS,
  DTYPES,
  float32ToHalfBits,
  halfBitsToFloat32,
  isDtype,
  isRawDtype,
  type Dtype,
  type TensorData,
} from './safetensors-dtypes.ts';
import { JsonSyntaxError, parseStrictJson, type JsonValue } from './safetensors-json.ts';

export { DTYPES, type Dtype, type TensorData } from './safetensors-dtypes.ts';

/** The header may not exceed 100,000,000 bytes (Rust MAX_HEADER_SIZE). */
export const MAX_HEADER_SIZE = 100_000_000;

/** The Rust SafeTensorError variants a reader or writer can raise. */
export type SafetensorsErrorKind =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeader'
  | 'InvalidHeaderDeserialization'
  | 'InvalidOffset'
  | 'ValidationOverflow'
  | 'MisalignedSlice'
  | 'TensorInvalidInfo'
  | 'MetadataIncompleteBuffer'
  | 'TensorNotFound';

export class SafetensorsError extends FormatError {
  readonly kind: SafetensorsErrorKind;
  constructor(file: string, kind: SafetensorsErrorKind, message: string, field?: string) {
    super(file, `${kind}: ${message}`, field);
    this.kind = kind;
  }
}

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  /** [BEGIN, END) relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** N: the JSON header's length in bytes (padding included). */
  headerLength: number;
  /** 8 + N: the file offset of the data section. */
  dataStart: number;
  metadata?: Record<string, string>;
  /** Every tensor, in data-offset order. */
  tensors: Map<string, TensorInfo>;
}

export interface TensorRecord {
  dtype: Dtype;
  shape: number[];
  /** Elements in the dtype's typed array (F16/BF16: raw 16-bit patterns, or Float32Array when read with float32). */
  data: TensorData;
}

/** What the writer accepts: like TensorRecord, and F16/BF16 may also be given as float32 values to round. */
export interface TensorInput {
  dtype: Dtype;
  shape: readonly number[];
  data: TensorData;
}

export interface ReadOptions {
  /** Return F16 and BF16 tensors as Float32Array (exact widening). */
  float32?: boolean;
}

const LITTLE_ENDIAN = endianness() === 'LE';
const U64_MAX = (1n << 64n) - 1n;

// ---------------------------------------------------------------- header validation

/** Steps 1-2: reads N from the first 8 bytes and checks it against the file length. */
export function readHeaderLength(first8: Uint8Array, fileLength: number, file: string): number {
  if (fileLength < 8 || first8.length < 8) {
    throw new SafetensorsError(
      file,
      'HeaderTooSmall',
      `the file has ${fileLength} bytes, fewer than the 8-byte header length`,
    );
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError(file, 'HeaderTooLarge', `header length ${n} exceeds ${MAX_HEADER_SIZE} bytes`);
  }
  if (8n + n > BigInt(fileLength)) {
    throw new SafetensorsError(
      file,
      'InvalidHeaderLength',
      `header length ${n} runs past the end of the ${fileLength}-byte file`,
    );
  }
  return Number(n);
}

function asUsize(v: JsonValue | undefined, file: string, field: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw new SafetensorsError(
      file,
      'InvalidHeaderDeserialization',
      `expected a non-negative integer, got ${describe(v)}`,
      field,
    );
  }
  return v;
}

/**
 * Steps 3-6: decodes and validates the JSON header bytes. fileLength is the length
 * of the whole file (or buffer), which the data must cover exactly.
 */
export function parseHeader(headerBytes: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  const n = headerBytes.length;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(file, 'InvalidHeader', 'the header is not valid UTF-8');
  }
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (err) {
    const msg = err instanceof JsonSyntaxError ? err.message : String(err);
    throw new SafetensorsError(file, 'InvalidHeaderDeserialization', `the header is not valid JSON: ${msg}`);
  }
  if (!(json instanceof Map))
    throw new SafetensorsError(file, 'InvalidHeaderDeserialization', 'the header must be a JSON object');

  let metadata: Record<string, string> | undefined;
  const entries: { name: string; info: TensorInfo; begin: bigint; end: bigint; shape: bigint[] }[] = [];
  for (const [name, v] of json) {
    if (name === '__metadata__') {
      if (v === null) continue;
      if (!(v instanceof Map))
        throw new SafetensorsError(
          file,
          'InvalidHeaderDeserialization',
          'must be a string-to-string map',
          '__metadata__',
        );
      metadata = {};
      for (const [k, s] of v) {
        if (typeof s !== 'string') {
          throw new SafetensorsError(
            file,
            'InvalidHeaderDeserialization',
            `value must be a string, got ${describe(s)}`,
            `__metadata__.${k}`,
          );
        }
        Object.defineProperty(metadata, k, { value: s, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (!(v instanceof Map)) {
      throw new SafetensorsError(
        file,
        'InvalidHeaderDeserialization',
        `a tensor entry must be an object, got ${describe(v)}`,
        name,
      );
    }
    const dtype = v.get('dtype');
    if (!isDtype(dtype)) {
      throw new SafetensorsError(
        file,
        'InvalidHeaderDeserialization',
        `unknown dtype ${describe(dtype)} (expected one of ${DTYPES.join(', ')})`,
        `${name}.dtype`,
      );
    }
    const shapeV = v.get('shape');
    if (!Array.isArray(shapeV))
      throw new SafetensorsError(
        file,
        'InvalidHeaderDeserialization',
        `expected an array, got ${describe(shapeV)}`,
        `${name}.shape`,
      );
    const shape = shapeV.map((d, k) => asUsize(d, file, `${name}.shape[${k}]`));
    const offs = v.get('data_offsets');
    if (!Array.isArray(offs) || offs.length !== 2) {
      throw new SafetensorsError(
        file,
        'InvalidHeaderDeserialization',
        `expected [BEGIN, END], got ${describe(offs)}`,
        `${name}.data_offsets`,
      );
    }
    const begin = asUsize(offs[0], file, `${name}.data_offsets[0]`);
    const end = asUsize(offs[1], file, `${name}.data_offsets[1]`);
    entries.push({ name, info: { dtype, shape: [], dataOffsets: [0, 0] }, begin, end, shape });
  }

  // step 4-5: in offset order, contiguous from 0, sizes matching shapes
  entries.sort((a, b) =>
    a.begin !== b.begin ? (a.begin < b.begin ? -1 : 1) : a.end < b.end ? -1 : a.end > b.end ? 1 : 0,
  );
  let start = 0n;
  for (const e of entries) {
    if (e.begin !== start || e.end < e.begin) {
      throw new SafetensorsError(
        file,
        'InvalidOffset',
        `data_offsets [${e.begin}, ${e.end}] must start at ${start} (tensors must be contiguous from 0, without gaps or overlaps)`,
        e.name,
      );
    }
    start = e.end;
    let numel = 1n;
    for (const d of e.shape) {
      numel *= d;
      if (numel > U64_MAX)
        throw new SafetensorsError(file, 'ValidationOverflow', 'the element count overflows u64', `${e.name}.shape`);
    }
    const nbits = numel * BigInt(DTYPE_BITS[e.info.dtype]);
    if (nbits > U64_MAX)
      throw new SafetensorsError(file, 'ValidationOverflow', 'the bit count overflows u64', `${e.name}.shape`);
    if (nbits % 8n !== 0n) {
      throw new SafetensorsError(
        file,
        'MisalignedSlice',
        `${numel} elements of ${e.info.dtype} are not a whole number of bytes`,
        e.name,
      );
    }
    if (e.end - e.begin !== nbits / 8n) {
      throw new SafetensorsError(
        file,
        'TensorInvalidInfo',
        `shape [${e.shape.join(', ')}] of ${e.info.dtype} needs ${nbits / 8n} bytes but data_offsets span ${e.end - e.begin}`,
        e.name,
      );
    }
  }
  // step 6: the data section ends exactly at the end of the file
  if (start + 8n + BigInt(n) !== BigInt(fileLength)) {
    throw new SafetensorsError(
      file,
      'MetadataIncompleteBuffer',
      `the tensors cover ${start} data bytes, so the file should be ${start + 8n + BigInt(n)} bytes, but it is ${fileLength} (truncated or trailing bytes)`,
    );
  }
  // every value is now bounded by the file length, hence a safe integer
  const tensors = new Map<string, TensorInfo>();
  for (const e of entries) {
    tensors.set(e.name, {
      dtype: e.info.dtype,
      shape: e.shape.map(Number),
      dataOffsets: [Number(e.begin), Number(e.end)],
    });
  }
  return { headerLength: n, dataStart: 8 + n, ...(metadata === undefined ? {} : { metadata }), tensors };
}

/** Validates a whole in-memory file and returns its header. */
export function readHeader(buf: Uint8Array, file = '<buffer>'): SafetensorsHeader {
  const n = readHeaderLength(buf.subarray(0, 8), buf.length, file);
  return parseHeader(buf.subarray(8, 8 + n), buf.length, file);
}

// ---------------------------------------------------------------- element decoding

function byteSwap(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  return out;
}

/**
 * Little-endian bytes -> the dtype's typed array. Shares memory with `bytes` when
 * it is aligned and little-endian (copy=false), else copies.
 */
export function decodeTensorBytes(
  dtype: Dtype,
  bytes: Uint8Array,
  opts: ReadOptions & { copy?: boolean } = {},
): TensorData {
  const Ctor = DTYPE_ARRAY[dtype];
  const width = Ctor.BYTES_PER_ELEMENT;
  let src = bytes;
  if (!LITTLE_ENDIAN && width > 1) src = byteSwap(bytes, width);
  else if ((opts.copy ?? false) || src.byteOffset % width !== 0) src = src.slice();
  const data = new Ctor(src.buffer as ArrayBuffer, src.byteOffset, src.byteLength / width);
  if (opts.float32 === true && (dtype === 'F16' || dtype === 'BF16'))
    return halfBitsToFloat32(data as Uint16Array, dtype);
  return data;
}

/** Reads every tensor (or those named) from an in-memory file. */
export function deserializeSafetensors(
  buf: Uint8Array,
  opts: ReadOptions & { file?: string; names?: readonly string[]; copy?: boolean } = {},
): { metadata?: Record<string, string>; tensors: Map<string, TensorRecord> } {
  const file = opts.file ?? '<buffer>';
  const header = readHeader(buf, file);
  const tensors = new Map<string, TensorRecord>();
  for (const name of opts.names ?? [...header.tensors.keys()]) {
    const info = header.tensors.get(name);
    if (info === undefined) throw new SafetensorsError(file, 'TensorNotFound', 'no such tensor in the file', name);
    const [b, e] = info.dataOffsets;
    const bytes = buf.subarray(header.dataStart + b, header.dataStart + e);
    tensors.set(name, { dtype: info.dtype, shape: [...info.shape], data: decodeTensorBytes(info.dtype, bytes, opts) });
  }
  return { ...(header.metadata === undefined ? {} : { metadata: header.metadata }), tensors };
}

// ---------------------------------------------------------------- writer

/** Rust orders String names bytewise (UTF-8), which JS's UTF-16 comparison does not always match. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function tensorBytes(name: string, t: TensorInput): Uint8Array {
  const op = 'serializeSafetensors';
  if (!isDtype(t.dtype))
    throw new ArgumentError(op, `tensor ${JSON.stringify(name)}: unknown dtype ${String(t.dtype)}`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ArgumentError(
      op,
      `tensor ${JSON.stringify(name)}: shape must be a list of integers >= 0, got ${JSON.stringify(t.shape)}`,
    );
  }
  const numel = t.shape.reduce((a, d) => a * d, 1);
  let data: TensorData = t.data;
  if ((t.dtype === 'F16' || t.dtype === 'BF16') && (data instanceof Float32Array || data instanceof Float64Array)) {
    data = float32ToHalfBits(data, t.dtype);
  }
  const Ctor = DTYPE_ARRAY[t.dtype];
  if (isRawDtype(t.dtype)) {
    const nbits = numel * DTYPE_BITS[t.dtype];
    if (!(data instanceof Uint8Array) || nbits % 8 !== 0 || data.length !== nbits / 8) {
      throw new ArgumentError(
        op,
        `tensor ${JSON.stringify(name)}: ${t.dtype} data must be a Uint8Array of ${nbits / 8} raw bytes`,
      );
    }
  } else {
    if (!(data instanceof Ctor)) {
      throw new ArgumentError(
        op,
        `tensor ${JSON.stringify(name)}: ${t.dtype} data must be a ${Ctor.name}, got ${data.constructor.name}`,
      );
    }
    if (data.length !== numel) {
      throw new ArgumentError(
        op,
        `tensor ${JSON.stringify(name)}: shape [${t.shape.join(', ')}] has ${numel} elements but data has ${data.length}`,
      );
    }
    if (t.dtype === 'BOOL' && (data as Uint8Array).some((x) => x > 1)) {
      throw new ArgumentError(op, `tensor ${JSON.stringify(name)}: BOOL data must be 0 or 1`);
    }
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return LITTLE_ENDIAN ? bytes : byteSwap(bytes, Ctor.BYTES_PER_ELEMENT);
}

/**
 * Serializes tensors as the reference writer does: sorted by dtype descending in
 * enum (alignment) order then by name, packed without gaps; compact JSON with
 * "__metadata__" first (its keys sorted: Rust keeps them in a HashMap, so any order
 * is valid and sorting makes ours deterministic); header padded with spaces to a
 * multiple of 8. Returns the chunks [8-byte length + header, data...].
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array[] {
  const list: [string, TensorInput][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  for (const [name] of list) {
    if (name === '__metadata__')
      throw new ArgumentError('serializeSafetensors', '"__metadata__" is reserved and cannot name a tensor');
  }
  list.sort(([na, a], [nb, b]) => DTYPES.indexOf(b.dtype) - DTYPES.indexOf(a.dtype) || compareUtf8(na, nb));
  const header = new Map<string, unknown>();
  if (metadata !== undefined) {
    const meta: [string, string][] = Object.entries(metadata);
    for (const [k, v] of meta) {
      if (typeof v !== 'string')
        throw new ArgumentError('serializeSafetensors', `metadata value for ${JSON.stringify(k)} must be a string`);
    }
    header.set('__metadata__', Object.fromEntries(meta.sort(([a], [b]) => compareUtf8(a, b))));
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    const bytes = tensorBytes(name, t);
    header.set(name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.length] });
    chunks.push(bytes);
    offset += bytes.length;
  }
  // JSON.stringify escapes exactly what serde_json escapes (quote, backslash, control characters)
  const parts: string[] = [];
  for (const [k, v] of header) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
  let json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  if (json.length > MAX_HEADER_SIZE)
    throw new ArgumentError('serializeSafetensors', `header of ${json.length} bytes exceeds ${MAX_HEADER_SIZE}`);
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  return [head, ...chunks];
}

/** serializeSafetensors as one buffer. */
export function serializeSafetensorsToBuffer(
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const chunks = serializeSafetensors(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Writes a .safetensors file atomically (temp file + rename). */
export function saveSafetensors(
  path: string,
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata?: Readonly<Record<string, string>>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------- file reader

function readFully(fd: number, into: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < into.length) {
    const chunk = Math.min(into.length - done, 1 << 30);
    const got = readSync(fd, into, done, chunk, position + done);
    if (got === 0) throw new IOError(path, `unexpected end of file at byte ${position + done}`);
    done += got;
  }
}

/**
 * A .safetensors file opened for random access: open() reads and validates only the
 * header; read(name) then reads that tensor's byte range and nothing else. Close it
 * when done (or use loadSafetensors).
 */
export class SafetensorsFile {
  private fd: number | undefined;
  /** Bytes read from disk so far: 8 + N for the header, then each tensor read. */
  bytesRead: number;

  private constructor(
    readonly path: string,
    fd: number,
    readonly header: SafetensorsHeader,
  ) {
    this.fd = fd;
    this.bytesRead = header.dataStart;
  }

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw new IOError(path, `cannot open: ${(err as Error).message}`, { cause: err });
    }
    try {
      const size = fstatSync(fd).size;
      const first = new Uint8Array(Math.min(8, size));
      readFully(fd, first, 0, path);
      const n = readHeaderLength(first, size, path);
      const headerBytes = new Uint8Array(n);
      readFully(fd, headerBytes, 8, path);
      return new SafetensorsFile(path, fd, parseHeader(headerBytes, size, path));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get metadata(): Record<string, string> | undefined {
    return this.header.metadata;
  }

  /** Tensor names in data order. */
  keys(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (info === undefined) throw new SafetensorsError(this.path, 'TensorNotFound', 'no such tensor in the file', name);
    return info;
  }

  /** The tensor's raw little-endian bytes. */
  readBytes(name: string): Uint8Array {
    if (this.fd === undefined) throw new IOError(this.path, 'the file is closed');
    const [b, e] = this.info(name).dataOffsets;
    const bytes = new Uint8Array(e - b);
    readFully(this.fd, bytes, this.header.dataStart + b, this.path);
    this.bytesRead += bytes.length;
    return bytes;
  }

  /** SHA-256 (hex) of the whole data section, streamed in 4 MiB pieces (for checksums a writer recorded). */
  dataSha256(): string {
    if (this.fd === undefined) throw new IOError(this.path, 'the file is closed');
    const h = createHash('sha256');
    const size = fstatSync(this.fd).size;
    const buf = new Uint8Array(Math.max(1, Math.min(size - this.header.dataStart, 4 << 20)));
    for (let pos = this.header.dataStart; pos < size;) {
      const n = readSync(this.fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n === 0) throw new IOError(this.path, `unexpected end of file at byte ${pos}`);
      h.update(buf.subarray(0, n));
      pos += n;
    }
    return h.digest('hex');
  }

  read(name: string, opts: ReadOptions = {}): TensorRecord {
    const info = this.info(name);
    return {
      dtype: info.dtype,
      shape: [...info.shape],
      data: decodeTensorBytes(info.dtype, this.readBytes(name), opts),
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Reads the named tensors (default: all) of a .safetensors file. */
export function loadSafetensors(
  path: string,
  opts: ReadOptions & { names?: readonly string[] } = {},
): { metadata?: Record<string, string>; tensors: Map<string, TensorRecord> } {
  const f = SafetensorsFile.open(path);
  try {
    const tensors = new Map<string, TensorRecord>();
    for (const name of opts.names ?? f.keys()) tensors.set(name, f.read(name, opts));
    return { ...(f.metadata === undefined ? {} : { metadata: f.metadata }), tensors };
  } finally {
    f.close();
  }
}

// ---------------------------------------------------------------- typed reads

/** Dtypes llmts reads as weights (converted to the model's float type); every other dtype is refused. */
export const FLOAT_DTYPES: readonly Dtype[] = ['F32', 'F64', 'F16', 'BF16'];
/** Dtypes llmts reads as integer ids (converted to int32 with a range check). */
export const INTEGER_DTYPES: readonly Dtype[] = ['I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8'];

/**
 * A tensor's values as float32 or float64: F32/F64 as stored (or cast between them), F16 and
 * BF16 widened exactly (from raw bits, or as already converted by a float32 read). An integer,
 * bool, float8/6/4 or complex tensor is a SafetensorsError naming the file, tensor and dtype:
 * an I32 tensor is never silently read as weights, nor an F16 one as its raw 16-bit integers.
 */
export function floatValues(
  rec: TensorRecord,
  want: 'F32' | 'F64',
  file: string,
  name: string,
): Float32Array | Float64Array {
  let data: TensorData;
  switch (rec.dtype) {
    case 'F32':
    case 'F64':
      data = rec.data;
      break;
    case 'F16':
    case 'BF16':
      data = rec.data instanceof Uint16Array ? halfBitsToFloat32(rec.data, rec.dtype) : rec.data;
      break;
    default:
      throw new SafetensorsError(
        file,
        'TensorInvalidInfo',
        `dtype ${rec.dtype} cannot be read as weights (llmts reads ${FLOAT_DTYPES.join(', ')})`,
        name,
      );
  }
  if (want === 'F32') return data instanceof Float32Array ? data : Float32Array.from(data as Float64Array);
  return data instanceof Float64Array ? data : Float64Array.from(data as Float32Array);
}

/**
 * A tensor of integer ids (token ids, positions) as an Int32Array: any integer dtype, I64/U64
 * included (BigInt elements), each value checked to be in int32 range. A float tensor is a
 * SafetensorsError: ids are never read from floats.
 */
export function idValues(rec: TensorRecord, file: string, name: string): Int32Array {
  if (!INTEGER_DTYPES.includes(rec.dtype))
    throw new SafetensorsError(
      file,
      'TensorInvalidInfo',
      `dtype ${rec.dtype} cannot be read as integer ids (expected one of ${INTEGER_DTYPES.join(', ')})`,
      name,
    );
  const data = rec.data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const n = typeof v === 'bigint' ? (v >= -2147483648n && v <= 2147483647n ? Number(v) : NaN) : v;
    if (!(n >= -2147483648 && n <= 2147483647))
      throw new SafetensorsError(file, 'TensorInvalidInfo', `element ${i} (${String(v)}) is outside int32`, name);
    out[i] = n;
  }
  return out;
}
