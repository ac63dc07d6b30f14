/**
 * Which reader a file goes to, from its name: the compression suffix (.gz, .zst/.zstd)
 * is peeled off first, then the extension names the format. A file whose extension
 * names no known format is refused (a binary file read as text would fill the output
 * with garbage); `format:` in the config forces one format for every input.
 */
import { ConfigError } from '../../core/errors.ts';

export const INPUT_FORMATS = ['jsonl', 'text', 'html', 'warc', 'parquet', 'csv'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];
export type Compression = 'none' | 'gzip' | 'zstd';

const BY_EXTENSION: Record<string, InputFormat> = {
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  json: 'jsonl',
  txt: 'text',
  text: 'text',
  md: 'text',
  markdown: 'text',
  rst: 'text',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  warc: 'warc',
  arc: 'warc',
  parquet: 'parquet',
  csv: 'csv',
  tsv: 'csv',
};

export function compressionOf(file: string): Compression {
  if (/\.gz$/i.test(file)) return 'gzip';
  if (/\.zstd?$/i.test(file)) return 'zstd';
  return 'none';
}

/** The file's format: the forced one, or the one its extension (under any compression suffix) names. */
export function detectFormat(file: string, forced: 'auto' | InputFormat): InputFormat {
  if (forced !== 'auto') return forced;
  const base = file.replace(/\.(gz|zstd?)$/i, '');
  const m = /\.([a-z0-9]+)$/i.exec(base);
  const fmt = m ? BY_EXTENSION[(m[1] as string).toLowerCase()] : undefined;
  if (fmt === undefined) {
    throw new ConfigError(
      'input.format',
      `${file}: unknown input format${m ? ` ".${m[1]}"` : ' (no extension)'}; known extensions: ${Object.keys(BY_EXTENSION).join(', ')} (optionally .gz/.zst); set input.format to read it as one of ${INPUT_FORMATS.join(', ')}`,
    );
  }
  return fmt;
}
