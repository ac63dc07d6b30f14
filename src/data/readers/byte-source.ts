/**
 * The bytes of an input file as a stream of chunks, decompressed on the fly: gzip with
 * Node's zlib (multi-member files, as .warc.gz is, decode as one stream), zstd with fzstd
 * (pure JS, streaming; Node 20's zlib has no zstd). Memory stays at a chunk or two.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Decompress } from 'fzstd';
import { FormatError, IOError } from '../../core/errors.ts';
import type { Compression } from './formats.ts';

/**
 * A compressed input that cannot be decompressed to its end (corrupt, or truncated). The
 * readers count it and keep the records before the damage; `detail` is the one-line reason.
 */
export class CompressedInputError extends FormatError {
  constructor(
    file: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(file, detail, undefined, options);
  }
}

/** zlib's errors carry a Z_* code (Z_DATA_ERROR: not gzip or corrupt; Z_BUF_ERROR: truncated). */
function isZlibError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** gunzipped chunks; decompression errors become CompressedInputError, read errors IOError. */
async function* gzipChunks(file: string, raw: Readable): AsyncGenerator<Buffer> {
  const gz = createGunzip();
  raw.on('error', (e) => gz.destroy(e));
  try {
    for await (const chunk of raw.pipe(gz) as AsyncIterable<Buffer>) yield chunk;
  } catch (err) {
    if (isZlibError(err))
      throw new CompressedInputError(file, `corrupt or truncated gzip (${(err as Error).message})`, { cause: err });
    throw new IOError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  } finally {
    raw.destroy();
  }
}

export interface ByteRange {
  start: number;
  /** exclusive; null = to the end */
  end: number | null;
}

async function* zstdChunks(file: string, raw: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  const d = new Decompress((chunk) => {
    out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  });
  let any = false;
  try {
    for await (const chunk of raw) {
      any = true;
      d.push(chunk);
      while (out.length > 0) yield out.shift() as Buffer;
    }
    if (any) d.push(new Uint8Array(0), true);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    // the file's own read errors (EIO, EISDIR...) carry an errno code; fzstd's do not
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
      throw new IOError(file, `cannot read: ${(err as Error).message}`, { cause: err });
    throw new CompressedInputError(file, `corrupt or truncated zstd (${(err as Error).message})`, { cause: err });
  }
  while (out.length > 0) yield out.shift() as Buffer;
}

/** Decompressed chunks of `file` (a byte range only for uncompressed files). */
export function openBytes(
  file: string,
  compression: Compression,
  range: ByteRange = { start: 0, end: null },
): AsyncIterable<Buffer> {
  const raw: Readable = createReadStream(file, {
    start: range.start,
    ...(range.end !== null ? { end: range.end - 1 } : {}),
    highWaterMark: 1 << 20,
  });
  if (compression === 'gzip') return gzipChunks(file, raw);
  if (compression === 'zstd') return zstdChunks(file, raw as AsyncIterable<Buffer>);
  return raw as AsyncIterable<Buffer>;
}
