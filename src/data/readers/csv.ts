/**
 * CSV/TSV input with csv-parse's streaming parser: the first row names the columns,
 * `text_field` is the text, `id_field` the id (else "<file>#<row>"), the other columns
 * are metadata. A row that does not parse (unbalanced quote, wrong column count) is
 * counted as malformed_csv and skipped; the parse goes on with the next row.
 */
import { parse } from 'csv-parse';
import { FormatError } from '../../core/errors.ts';
import { openBytes } from './byte-source.ts';
import type { InputSpec } from './input-spec.ts';
import type { InputShard } from './plan.ts';
import type { ReadItem, ReaderStats } from './read-shard.ts';

async function* counted(src: AsyncIterable<Buffer>, stats: ReaderStats): AsyncGenerator<Buffer> {
  for await (const c of src) {
    stats.bytes += c.length;
    yield c;
  }
}

export async function* readCsv(shard: InputShard, spec: InputSpec, stats: ReaderStats): AsyncGenerator<ReadItem[]> {
  stats.files++;
  const tsv = /\.tsv(\.(gz|zstd?))?$/i.test(shard.file);
  const parser = parse({
    columns: true,
    bom: true,
    delimiter: tsv ? '\t' : ',',
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: Math.floor(spec.max_record_mb * 1024 * 1024),
    on_skip: () => {
      stats.malformed['malformed_csv'] = (stats.malformed['malformed_csv'] ?? 0) + 1;
    },
  });
  const source = counted(openBytes(shard.file, shard.compression), stats);
  // feed the parser from the byte stream; errors of the source end the parse
  void (async () => {
    try {
      for await (const chunk of source) if (!parser.write(chunk)) await new Promise((r) => parser.once('drain', r));
      parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();
  let out: ReadItem[] = [];
  let row = 0;
  let checked = false;
  try {
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      if (!checked) {
        checked = true;
        if (!(spec.text_field in rec))
          throw new FormatError(
            shard.file,
            `no column "${spec.text_field}" (columns: ${Object.keys(rec).join(', ')}); set input.text_field`,
            'input.text_field',
          );
      }
      stats.records++;
      const idv = rec[spec.id_field];
      const id = idv !== undefined && idv !== '' ? idv : `${shard.rel}#${row}`;
      row++;
      const metadata: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(rec)) if (k !== spec.text_field && k !== spec.id_field) metadata[k] = v;
      out.push({ doc: { id, text: rec[spec.text_field] as string, metadata } });
      if (out.length >= 256) {
        yield out;
        out = [];
      }
    }
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(shard.file, `CSV: ${(err as Error).message}`);
  }
  if (row === 0) stats.emptyFiles++;
  if (out.length > 0) yield out;
}
