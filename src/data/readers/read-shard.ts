/**
 * Streams the records of one input shard as documents, in constant memory: the byte
 * range is read in chunks (decompressed when .gz/.zst), cut into lines on 0x0A bytes, and
 * lines become records (JSONL line, text line, or blank-line-separated paragraph; "file"
 * mode makes the whole file one record; an HTML file is always one record, decoded by its
 * declared charset). WARC, Parquet and CSV shards go to their own readers (warc.ts,
 * parquet.ts, csv.ts), which yield the same batches. Malformed input never stops the run: invalid
 * UTF-8, broken JSON, missing text fields and oversized records are counted and
 * returned as rejections so they reach the rejected output with their reason; a corrupt
 * or truncated compressed file (any format) ends that file's records where the damage
 * starts (the records before it are kept), is counted as corrupt_compressed and named in
 * `errors`. A UTF-8 byte order mark at the start of a text/JSONL file is dropped. Input
 * fields whose names the pipeline writes itself (id, text, rejected_*, duplicate_of) are
 * renamed with an "_original" suffix and counted in `renamed`, so they can never overwrite
 * the pipeline's.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_NESTING, jsonDepth } from '../../core/depth.ts';
import { RESERVED_FIELDS } from '../document.ts';
import type { Document } from '../document.ts';
import { CompressedInputError, openBytes } from './byte-source.ts';
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
  /** malformed input by kind: invalid_utf8, malformed_json, missing_text_field, record_too_large, json_too_deep, corrupt_compressed */
  malformed: Record<string, number>;
  /** well-formed input that is not a document, by kind (WARC request/metadata records, non-HTML responses...) */
  skipped: Record<string, number>;
  /** input fields renamed because the pipeline writes a field of that name: "id -> id_original" -> records */
  renamed: Record<string, number>;
  /** one line per file that could not be read to its end (at most MAX_READER_ERRORS) */
  errors: string[];
}

export const MAX_READER_ERRORS = 20;

export function emptyReaderStats(): ReaderStats {
  return {
    files: 0,
    emptyFiles: 0,
    records: 0,
    bytes: 0,
    blankLines: 0,
    malformed: {},
    skipped: {},
    renamed: {},
    errors: [],
  };
}

/** Adds one shard's reader counts into a total. */
export function mergeReaderStats(into: ReaderStats, rs: ReaderStats): void {
  into.files += rs.files;
  into.emptyFiles += rs.emptyFiles;
  into.records += rs.records;
  into.bytes += rs.bytes;
  into.blankLines += rs.blankLines;
  for (const [k, v] of Object.entries(rs.malformed)) into.malformed[k] = (into.malformed[k] ?? 0) + v;
  for (const [k, v] of Object.entries(rs.skipped ?? {})) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  for (const [k, v] of Object.entries(rs.renamed ?? {})) into.renamed[k] = (into.renamed[k] ?? 0) + v;
  for (const e of rs.errors ?? []) if (into.errors.length < MAX_READER_ERRORS) into.errors.push(e);
}

/** Counts a corrupt compressed file and names it on one line; its records read so far stand. */
export function noteCorruptInput(stats: ReaderStats, shard: InputShard, err: CompressedInputError): void {
  bump(stats, 'corrupt_compressed');
  if (stats.errors.length < MAX_READER_ERRORS)
    stats.errors.push(`${shard.rel}: ${err.detail}; the records before the damage were read`);
}

/** Opening brackets in a line: a record with no more than MAX_NESTING cannot nest deeper. */
function bracketCount(line: string): number {
  let n = 0;
  for (let i = line.indexOf('['); i !== -1; i = line.indexOf('[', i + 1)) n++;
  for (let i = line.indexOf('{'); i !== -1; i = line.indexOf('{', i + 1)) n++;
  return n;
}

/** obj[k] = v as an own property, also for "__proto__" (which plain assignment would treat as the prototype). */
function setOwn(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

/** A metadata key that does not collide with the pipeline's own fields (nor with another key of the record). */
function safeKey(k: string, record: Record<string, unknown>): string {
  let name = `${k}_original`;
  while (Object.hasOwn(record, name)) name += '_';
  return name;
}

const BOM = [0xef, 0xbb, 0xbf];

/** The chunks with a UTF-8 BOM at the start of the file dropped (`skipped` counts its bytes). */
async function* withoutBom(
  src: AsyncIterable<Buffer>,
  atFileStart: boolean,
): AsyncGenerator<{ chunk: Buffer; skipped: number }> {
  let first = atFileStart;
  for await (const chunk of src) {
    if (first) {
      first = false;
      if (chunk.length >= 3 && BOM.every((b, i) => chunk[i] === b)) {
        yield { chunk: chunk.subarray(3), skipped: 3 };
        continue;
      }
    }
    yield { chunk, skipped: 0 };
  }
}

export type ReadItem = { doc: Document; reject?: string };

function bump(s: ReaderStats, k: string): void {
  s.malformed[k] = (s.malformed[k] ?? 0) + 1;
}

/** Yields batches of documents (and reader rejections) of a shard. */
export async function* readShard(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  try {
    if (shard.format === 'warc') yield* readWarc(shard, spec, stats);
    else if (shard.format === 'parquet') yield* readParquet(shard, spec, stats);
    else if (shard.format === 'csv') yield* readCsv(shard, spec, stats);
    else yield* readLines(shard, spec, stats);
  } catch (err) {
    if (!(err instanceof CompressedInputError)) throw err;
    noteCorruptInput(stats, shard, err);
  }
}

/** Text, JSONL and HTML shards. */
async function* readLines(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  if (shard.start === 0) stats.files++;
  const stream = withoutBom(
    openBytes(shard.file, shard.compression, { start: shard.start, end: shard.end }),
    shard.start === 0,
  );
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
    // nesting past the limit would overflow JSON.stringify when the record is written out
    if (bracketCount(line) > MAX_NESTING && jsonDepth(rec) > MAX_NESTING) {
      bump(stats, 'json_too_deep');
      out.push({ doc: { id: fallbackId, text: line.slice(0, 1000), metadata: {} }, reject: 'json_too_deep' });
      return;
    }
    const r = rec as Record<string, unknown>;
    const text = r[spec.text_field];
    const idv = r[spec.id_field];
    const id = typeof idv === 'string' || typeof idv === 'number' ? String(idv) : fallbackId;
    const metadata: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === spec.text_field || k === spec.id_field) continue;
      if (RESERVED_FIELDS.has(k)) {
        const to = safeKey(k, r);
        setOwn(metadata, to, v);
        const key = `${k} -> ${to}`;
        stats.renamed[key] = (stats.renamed[key] ?? 0) + 1;
      } else setOwn(metadata, k, v);
    }
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
    for await (const { chunk, skipped } of stream) {
      total += chunk.length + skipped;
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

  for await (const { chunk, skipped } of stream) {
    total += chunk.length + skipped;
    if (skipped > 0) {
      offset += skipped;
      pendingStart = offset;
    }
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
