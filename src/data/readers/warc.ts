/**
 * WARC (1.0/1.1) input, as Common Crawl ships it: `.warc` or `.warc.gz` (one gzip member
 * per record; Node's zlib decodes the members as one stream), parsed record by record
 * with webrecorder's warcio, so memory holds one record. Like datatrove's WarcReader:
 * `response` records whose HTTP Content-Type is HTML (and `resource` records that are
 * HTML) become documents holding the HTML, decoded by the sniffed charset; `conversion`
 * records (WET files) become documents holding their text. The document id is the
 * WARC-Record-ID; the target URI, the WARC-Date and the charset are metadata. Every other
 * record is counted by kind (request, metadata, warcinfo, non-HTML, non-2xx) and skipped.
 */
import { WARCParser } from 'warcio';
import { FormatError } from '../../core/errors.ts';
import type { Document } from '../document.ts';
import { decodeWebBytes } from './charset.ts';
import { openBytes } from './byte-source.ts';
import type { InputSpec } from './input-spec.ts';
import type { InputShard } from './plan.ts';
import type { ReadItem, ReaderStats } from './read-shard.ts';

const HTML_TYPES = /^\s*(text\/html|application\/xhtml\+xml)/i;

function bump(s: ReaderStats, k: string): void {
  s.malformed[k] = (s.malformed[k] ?? 0) + 1;
}

function skipCount(s: ReaderStats, k: string): void {
  s.skipped = s.skipped ?? {};
  s.skipped[k] = (s.skipped[k] ?? 0) + 1;
}

/** Counts the bytes flowing through (the decompressed stream) into stats.bytes. */
async function* counted(src: AsyncIterable<Buffer>, stats: ReaderStats): AsyncGenerator<Uint8Array> {
  for await (const c of src) {
    stats.bytes += c.length;
    yield c;
  }
}

export async function* readWarc(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  stats.files++;
  const maxRecord = Math.floor(spec.max_record_mb * 1024 * 1024);
  const parser = new WARCParser(counted(openBytes(shard.file, shard.compression), stats));
  let batch: ReadItem[] = [];
  let n = 0;
  try {
    for await (const record of parser) {
      n++;
      // warcio parses any header block; a record that does not start with "WARC/x.y" means this is not WARC
      if (!/^WARC\/\d/.test(record.warcHeaders.statusline)) throw new Error(`record ${n} has no WARC version line`);
      const type = record.warcType;
      const id = record.warcHeader('WARC-Record-ID') ?? `${shard.rel}@${parser.offset}`;
      const url = record.warcTargetURI ?? null;
      const date = record.warcDate ?? null;
      let contentType: string | null = null;
      if (type === 'response') {
        const http = record.httpHeaders;
        if (http === null) {
          // a response without HTTP headers (e.g. dns: records) has no page
          skipCount(stats, 'warc_response_not_http');
          continue;
        }
        const status = Number(http.statusCode);
        if (!(status >= 200 && status < 300)) {
          skipCount(stats, 'warc_status_not_2xx');
          continue;
        }
        contentType = http.headers.get('content-type') ?? null;
        if (contentType === null || !HTML_TYPES.test(contentType)) {
          skipCount(stats, 'warc_not_html');
          continue;
        }
      } else if (type === 'resource') {
        contentType = record.warcContentType ?? null;
        if (contentType === null || !HTML_TYPES.test(contentType)) {
          skipCount(stats, 'warc_not_html');
          continue;
        }
      } else if (type !== 'conversion') {
        skipCount(stats, `warc_${type ?? 'untyped'}`);
        continue;
      }
      stats.records++;
      if (record.warcContentLength > maxRecord) {
        bump(stats, 'record_too_large');
        batch.push({ doc: { id, text: '', metadata: { url, date } }, reject: 'record_too_large' });
        continue;
      }
      const bytes = await record.readFully(true);
      let doc: Document;
      if (type === 'conversion') {
        const d = decodeWebBytes(bytes, record.warcContentType);
        doc = { id, text: d.text, metadata: { url, date } };
      } else {
        const d = decodeWebBytes(bytes, contentType);
        doc = { id, text: d.text, metadata: { url, date, charset: d.charset } };
      }
      if (doc.text.trim().length === 0) {
        skipCount(stats, 'warc_empty_payload');
        stats.records--;
        continue;
      }
      batch.push({ doc });
      if (batch.length >= 64) {
        yield batch;
        batch = [];
      }
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    // a truncated or corrupt file keeps the documents before the damage; the rest is counted, like a bad .gz
    bump(stats, 'unreadable_warc');
    if (batch.length > 0) yield batch;
    return;
  }
  if (n === 0) {
    if (stats.bytes > 0) bump(stats, 'unreadable_warc');
    else stats.emptyFiles++;
  }
  if (batch.length > 0) yield batch;
}
