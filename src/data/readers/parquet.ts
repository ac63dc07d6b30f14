/**
 * Parquet input (HF datasets' format, FineWeb's, Dolma's mirrors), read with hyparquet
 * one row group at a time: the footer is read first, then each row group's column chunks
 * through positioned reads of the file, so memory holds one row group, never the file.
 * The text column is `text_field`, the id column `id_field` (else "<file>#<row>"); every
 * other column becomes metadata (int64 as numbers, bytes as arrays, dates as ISO strings).
 * Snappy is built into hyparquet; gzip, zstd, brotli and lz4 pages go through
 * hyparquet-compressors.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetReadObjects, toJson } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { FormatError } from '../../core/errors.ts';
import type { InputSpec } from './input-spec.ts';
import type { InputShard } from './plan.ts';
import type { ReadItem, ReaderStats } from './read-shard.ts';

function fileBuffer(fh: FileHandle, size: number, stats: ReaderStats): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = Math.min(end ?? size, size);
      const buf = Buffer.alloc(Math.max(0, stop - start));
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      stats.bytes += off;
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + off) as ArrayBuffer;
    },
  };
}

export async function* readParquet(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  if (shard.compression !== 'none')
    throw new FormatError(
      shard.file,
      'a compressed Parquet file is not supported (Parquet compresses its pages itself)',
    );
  stats.files++;
  const fh = await open(shard.file, 'r');
  try {
    const size = (await fh.stat()).size;
    if (size === 0) {
      stats.emptyFiles++;
      return;
    }
    const file = fileBuffer(fh, size, stats);
    let meta: FileMetaData;
    try {
      meta = await parquetMetadataAsync(file);
    } catch (err) {
      throw new FormatError(shard.file, `not a readable Parquet file: ${(err as Error).message}`);
    }
    const columns = meta.schema.slice(1).map((s) => s.name);
    if (!columns.includes(spec.text_field))
      throw new FormatError(
        shard.file,
        `no column "${spec.text_field}" (columns: ${columns.join(', ')}); set input.text_field`,
        'input.text_field',
      );
    const maxRecord = Math.floor(spec.max_record_mb * 1024 * 1024);
    let rowStart = 0;
    for (const rg of meta.row_groups) {
      const rowEnd = rowStart + Number(rg.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = (await parquetReadObjects({ file, metadata: meta, rowStart, rowEnd, compressors })) as Record<
          string,
          unknown
        >[];
      } catch (err) {
        throw new FormatError(shard.file, `row group at rows ${rowStart}..${rowEnd}: ${(err as Error).message}`);
      }
      const out: ReadItem[] = [];
      rows.forEach((r, k) => {
        stats.records++;
        const row = rowStart + k;
        const idv = r[spec.id_field];
        const id =
          typeof idv === 'string' || typeof idv === 'number' || typeof idv === 'bigint'
            ? String(idv)
            : `${shard.rel}#${row}`;
        const metadata: Record<string, unknown> = {};
        for (const [key, v] of Object.entries(r))
          if (key !== spec.text_field && key !== spec.id_field) metadata[key] = toJson(v);
        const text = r[spec.text_field];
        if (typeof text !== 'string') {
          stats.malformed['missing_text_field'] = (stats.malformed['missing_text_field'] ?? 0) + 1;
          out.push({ doc: { id, text: '', metadata }, reject: 'missing_text_field' });
        } else if (text.length > maxRecord) {
          stats.malformed['record_too_large'] = (stats.malformed['record_too_large'] ?? 0) + 1;
          out.push({ doc: { id, text: text.slice(0, 1000), metadata }, reject: 'record_too_large' });
        } else out.push({ doc: { id, text, metadata } });
      });
      rowStart = rowEnd;
      if (out.length > 0) yield out;
    }
  } finally {
    await fh.close();
  }
}
