import type { InputFormat } from './formats.ts';

/** How input files are read: format, fields, document boundaries, sharding. */
export interface InputSpec {
  /** files, directories (recursive) or globs (*, **, ?) */
  paths: string[];
  /** auto: by extension (formats.ts; .gz/.zst peeled off first); an unknown extension is an error */
  format: 'auto' | InputFormat;
  /** JSONL/Parquet/CSV: the field (column) that holds the text */
  text_field: string;
  /** JSONL/Parquet/CSV: the field used as document id (else "<file>@<byte offset>") */
  id_field: string;
  /** text: one document per file, per blank-line-separated block, or per line */
  text_mode: 'file' | 'paragraph' | 'line';
  /** uncompressed files above this size are split into byte-range shards at record boundaries */
  shard_size_mb: number;
  /** invalid UTF-8: decode with U+FFFD (counted) or reject the record (counted) */
  invalid_utf8: 'replace' | 'reject';
  /** records longer than this are rejected (record_too_large), keeping memory bounded */
  max_record_mb: number;
}

export const INPUT_DEFAULTS: Omit<InputSpec, 'paths'> = {
  format: 'auto',
  text_field: 'text',
  id_field: 'id',
  text_mode: 'paragraph',
  shard_size_mb: 64,
  invalid_utf8: 'replace',
  max_record_mb: 64,
};
