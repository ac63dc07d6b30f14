/**
 * The bytes of an input file as a stream of chunks, decompressed on the fly: gzip with
 * Node's zlib (multi-member files, as .warc.gz is, decode as one stream), zstd with fzstd
 * (pure JS, streaming; Node 20's zlib has no zstd). Memory stays at a chunk or two.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { Decompress } from 'fzstd';
import { FormatError } from '../../core/errors.ts';
import type { Compression } from './formats.ts';

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
    throw new FormatError(file, `not a valid zstd stream: ${(err as Error).message}`);
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
  if (compression === 'gzip') return raw.pipe(createGunzip()) as AsyncIterable<Buffer>;
  if (compression === 'zstd') return zstdChunks(file, raw as AsyncIterable<Buffer>);
  return raw as AsyncIterable<Buffer>;
}
