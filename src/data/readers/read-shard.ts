/**
 * Streams the records of one input shard as documents, in constant memory: the byte
 * range is read in chunks (decompressed when .gz/.zst), cut into lines on 0x0A bytes, and
 * lines become records (JSONL line, text line, or blank-line-separated paragraph; "file"
 * mode makes the whole file one record; an HTML file is always one record, decoded by its
 * declared charset). WARC, Parquet and CSV shards go to their own readers (warc.ts,
 * parquet.ts, csv.ts), which yield the same batches. Malformed input never stops the run: invalid
 * UTF-8, broken JSON, missing text fields and oversized records are counted and
 * returned as rejections so they reach the rejected output with their reason.
 */
import { isUtf8 } from 'node:buffer';
import type { Document } from '../document.ts';
import { openBytes } from './byte-source.ts';
import { decodeWebBytes } from './charset.ts';
import { readCsv } from './csv.ts';
import { readParquet } from './parquet.ts';
import { readWarc } from './warc.ts';
import type { InputSpec } from './input-spec.ts';
import type { InputShard } from './plan.ts';

export interface ReaderStats {
  files: number;
  emptyFiles: number;
  records: number;
  bytes: number;
  blankLines: number;
  /** malformed input by kind: invalid_utf8, malformed_json, missing_text_field, record_too_large */
  malformed: Record<string, number>;
  /** well-formed input that is not a document, by kind (WARC request/metadata records, non-HTML responses...) */
  skipped: Record<string, number>;
}

export function emptyReaderStats(): ReaderStats {
  return { files: 0, emptyFiles: 0, records: 0, bytes: 0, blankLines: 0, malformed: {}, skipped: {} };
}

export type ReadItem = { doc: Document; reject?: string };

function bump(s: ReaderStats, k: string): void {
  s.malformed[k] = (s.malformed[k] ?? 0) + 1;
}

/** Yields batches of documents (and reader rejections) of a shard. */
export async function* readShard(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  if (shard.format === 'warc') return yield* readWarc(shard, spec, stats);
  if (shard.format === 'parquet') return yield* readParquet(shard, spec, stats);
  if (shard.format === 'csv') return yield* readCsv(shard, spec, stats);
  if (shard.start === 0) stats.files++;
  const stream = openBytes(shard.file, shard.compression, { start: shard.start, end: shard.end });
  const maxRecord = Math.floor(spec.max_record_mb * 1024 * 1024);
  const html = shard.format === 'html';
  const mode = shard.format === 'jsonl' ? 'jsonl' : html ? 'file' : spec.text_mode;
  let offset = shard.start; // byte offset of the next unread byte (uncompressed stream)
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let pendingStart = offset;
  let oversized = false;
  let total = 0;
  // paragraph state: lines of the current block
  let para: string[] = [];
  let paraStart = 0;
  let paraBad = false;

  const decode = (buf: Buffer, at: number, out: ReadItem[]): string | null => {
    if (isUtf8(buf)) return buf.toString('utf8');
    bump(stats, 'invalid_utf8');
    const text = buf.toString('utf8');
    if (spec.invalid_utf8 === 'reject') {
      out.push({ doc: { id: `${shard.rel}@${at}`, text, metadata: {} }, reject: 'invalid_utf8' });
      stats.records++;
      return null;
    }
    return text;
  };

  const jsonRecord = (line: string, at: number, out: ReadItem[]): void => {
    stats.records++;
    const fallbackId = `${shard.rel}@${at}`;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      bump(stats, 'malformed_json');
      out.push({ doc: { id: fallbackId, text: line, metadata: {} }, reject: 'malformed_json' });
      return;
    }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      bump(stats, 'malformed_json');
      out.push({ doc: { id: fallbackId, text: line, metadata: {} }, reject: 'malformed_json' });
      return;
    }
    const r = rec as Record<string, unknown>;
    const text = r[spec.text_field];
    const idv = r[spec.id_field];
    const id = typeof idv === 'string' || typeof idv === 'number' ? String(idv) : fallbackId;
    const metadata: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) if (k !== spec.text_field && k !== spec.id_field) metadata[k] = v;
    if (typeof text !== 'string') {
      bump(stats, 'missing_text_field');
      out.push({ doc: { id, text: line, metadata }, reject: 'missing_text_field' });
      return;
    }
    out.push({ doc: { id, text, metadata } });
  };

  const flushPara = (out: ReadItem[]): void => {
    if (para.length === 0) return;
    stats.records++;
    const doc: Document = { id: `${shard.rel}@${paraStart}`, text: para.join('\n'), metadata: {} };
    if (paraBad && spec.invalid_utf8 === 'reject') out.push({ doc, reject: 'invalid_utf8' });
    else out.push({ doc });
    para = [];
    paraBad = false;
  };

  const onLine = (buf: Buffer, at: number, out: ReadItem[]): void => {
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end--; // CRLF
    const b = end === buf.length ? buf : buf.subarray(0, end);
    if (mode === 'paragraph') {
      const valid = isUtf8(b);
      const text = b.toString('utf8');
      if (text.trim().length === 0) {
        flushPara(out);
        return;
      }
      if (!valid) {
        bump(stats, 'invalid_utf8');
        paraBad = true;
      }
      if (para.length === 0) paraStart = at;
      para.push(text);
      return;
    }
    if (b.length === 0 || (mode === 'jsonl' && b.toString('latin1').trim().length === 0)) {
      stats.blankLines++;
      return;
    }
    if (mode === 'jsonl') {
      if (!isUtf8(b)) {
        bump(stats, 'invalid_utf8');
        if (spec.invalid_utf8 === 'reject') {
          stats.records++;
          out.push({
            doc: { id: `${shard.rel}@${at}`, text: b.toString('utf8'), metadata: {} },
            reject: 'invalid_utf8',
          });
          return;
        }
      }
      jsonRecord(b.toString('utf8'), at, out);
      return;
    }
    // line mode
    if (b.toString('latin1').trim().length === 0) {
      stats.blankLines++;
      return;
    }
    const text = decode(b, at, out);
    if (text === null) return;
    stats.records++;
    out.push({ doc: { id: `${shard.rel}@${at}`, text, metadata: {} } });
  };

  const tooLarge = (at: number, out: ReadItem[]): void => {
    bump(stats, 'record_too_large');
    stats.records++;
    const head = Buffer.concat(pending).subarray(0, 1000).toString('utf8');
    out.push({ doc: { id: `${shard.rel}@${at}`, text: head, metadata: {} }, reject: 'record_too_large' });
  };

  if (mode === 'file') {
    const chunks: Buffer[] = [];
    let len = 0;
    let over = false;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (len + chunk.length > maxRecord) over = true;
      if (!over) {
        chunks.push(chunk);
        len += chunk.length;
      }
    }
    stats.bytes += total;
    if (total === 0) {
      stats.emptyFiles++;
      return;
    }
    const out: ReadItem[] = [];
    const buf = Buffer.concat(chunks);
    if (over) {
      pending = [buf];
      tooLarge(0, out);
    } else {
      const text = html ? decodeWebBytes(buf).text : decode(buf, 0, out);
      if (text !== null) {
        stats.records++;
        if (text.trim().length === 0) {
          stats.records--;
          stats.emptyFiles++;
        } else out.push({ doc: { id: shard.rel, text, metadata: {} } });
      }
    }
    if (out.length > 0) yield out;
    return;
  }

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    const out: ReadItem[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(10, from);
      const end = nl === -1 ? chunk.length : nl;
      if (!oversized) {
        pending.push(chunk.subarray(from, end));
        pendingLen += end - from;
        if (pendingLen > maxRecord) {
          tooLarge(pendingStart, out);
          oversized = true;
          pending = [];
          pendingLen = 0;
        }
      }
      if (nl === -1) {
        offset += end - from;
        break;
      }
      if (!oversized) {
        const line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingLen);
        onLine(line, pendingStart, out);
      }
      offset += end - from + 1;
      pending = [];
      pendingLen = 0;
      oversized = false;
      pendingStart = offset;
      from = nl + 1;
    }
    if (out.length > 0) yield out;
  }
  const out: ReadItem[] = [];
  if (pendingLen > 0 && !oversized) onLine(Buffer.concat(pending, pendingLen), pendingStart, out);
  if (mode === 'paragraph') flushPara(out);
  stats.bytes += total;
  if (total === 0 && shard.start === 0) stats.emptyFiles++;
  if (out.length > 0) yield out;
}
