/**
 * meta.json of a token-shard dataset (docs/shard-format.md is the contract):
 * the dtype and vocabulary of the .bin files, the separator/prefix tokens, the
 * tokenizer, and every split's files with their token and document counts.
 */
import { FormatError } from '../../core/errors.ts';
import { describe } from '../../core/describe.ts';

export const SHARD_FORMAT = 'llmts-shards';
export const SHARD_VERSION = 1;

export type TokenDType = 'uint16' | 'uint32';

export interface ShardFileMeta {
  /** file names relative to the dataset directory */
  bin: string;
  idx: string;
  tokens: number;
  documents: number;
  /** SHA-256 (hex) of the .bin and .idx files, checked when the dataset is opened (absent in older datasets) */
  bin_sha256?: string;
  idx_sha256?: string;
}

export interface SplitMeta {
  tokens: number;
  documents: number;
  files: ShardFileMeta[];
}

export interface TokenizerRef {
  /** a copy of the tokenizer.json inside the dataset directory, or null */
  file: string | null;
  /** a name ("gpt2", "char", ...) or null */
  name: string | null;
  /** SHA-256 (hex) of the tokenizer file */
  sha256?: string;
  /** for a character-level vocabulary: the characters in id order (nanoGPT's itos) */
  chars?: string[];
}

export interface ShardMeta {
  format: typeof SHARD_FORMAT;
  version: typeof SHARD_VERSION;
  dtype: TokenDType;
  vocab_size: number;
  /** the separator appended after each document, or null */
  eos_id: number | null;
  /** the token prepended to each document, or null */
  bos_id: number | null;
  tokenizer: TokenizerRef;
  splits: Record<string, SplitMeta>;
  /** free text: where the data came from and how it was split */
  source: string;
  created_by: string;
}

export function dtypeForVocab(vocabSize: number): TokenDType {
  return vocabSize <= 65536 ? 'uint16' : 'uint32';
}

export function bytesPerToken(dtype: TokenDType): number {
  return dtype === 'uint16' ? 2 : 4;
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * The largest vocabulary a dataset may declare. Ids are stored as uint16/uint32, so 2^32
 * is the format's limit, but a model is sized by vocab_size (an embedding of vocab_size rows)
 * before any token is read: 2^24 (16.7 M, 30x the largest real vocabularies) keeps a hostile
 * meta.json from sizing a model of hundreds of gigabytes.
 */
export const MAX_VOCAB_SIZE = 1 << 24;

const SHA256 = /^[0-9a-f]{64}$/;

/** A file name inside the dataset directory: no separators, no leading dot (no "..", no hidden files). */
export function isPlainFileName(v: unknown): v is string {
  return (
    typeof v === 'string' &&
    v.length > 0 &&
    !v.includes('/') &&
    !v.includes('\\') &&
    !v.startsWith('.') &&
    !v.includes('\0')
  );
}

/** Validates a parsed meta.json; throws FormatError naming the field. */
export function validateMeta(raw: unknown, file: string): ShardMeta {
  const bad = (field: string, msg: string): never => {
    throw new FormatError(file, msg, field);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('(root)', 'not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m['format'] !== SHARD_FORMAT) bad('format', `expected "${SHARD_FORMAT}", got ${describe(m['format'])}`);
  if (m['version'] !== SHARD_VERSION)
    bad('version', `unsupported version ${describe(m['version'])} (this reader knows ${SHARD_VERSION})`);
  const dtype = m['dtype'];
  if (dtype !== 'uint16' && dtype !== 'uint32') bad('dtype', `expected "uint16" or "uint32", got ${describe(dtype)}`);
  const vocab = m['vocab_size'];
  if (!isCount(vocab) || vocab < 1) bad('vocab_size', `expected a positive integer, got ${describe(vocab)}`);
  if ((vocab as number) > MAX_VOCAB_SIZE)
    bad('vocab_size', `${vocab} is larger than the ${MAX_VOCAB_SIZE} this reader accepts (a model is sized by it)`);
  if (dtype === 'uint16' && (vocab as number) > 65536)
    bad('dtype', `uint16 cannot hold ids of a vocabulary of ${vocab}`);
  for (const k of ['eos_id', 'bos_id'] as const) {
    const v = m[k];
    if (v !== null && !(isCount(v) && v < (vocab as number)))
      bad(k, `expected null or an id below vocab_size, got ${describe(v)}`);
  }
  const tok = m['tokenizer'];
  if (typeof tok !== 'object' || tok === null) bad('tokenizer', 'expected {file, name}');
  const t = tok as Record<string, unknown>;
  for (const k of ['file', 'name'] as const)
    if (t[k] !== null && typeof t[k] !== 'string') bad(`tokenizer.${k}`, 'expected a string or null');
  // a path in the file must stay inside the dataset ("../outside/tokenizer.json" would not)
  if (t['file'] !== null && !isPlainFileName(t['file']))
    bad('tokenizer.file', `expected a plain file name inside the dataset directory, got ${describe(t['file'])}`);
  if (t['sha256'] !== undefined && !(typeof t['sha256'] === 'string' && SHA256.test(t['sha256'])))
    bad('tokenizer.sha256', 'expected 64 lowercase hex digits');
  if (t['chars'] !== undefined) {
    const c = t['chars'];
    if (!Array.isArray(c) || c.some((x) => typeof x !== 'string') || c.length !== vocab)
      bad('tokenizer.chars', 'expected vocab_size strings');
  }
  const splits = m['splits'];
  if (typeof splits !== 'object' || splits === null || Array.isArray(splits))
    bad('splits', 'expected an object of splits');
  for (const [name, s] of Object.entries(splits as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(name))
      bad('splits', `split name ${describe(name)} must match [a-z][a-z0-9_]* (at most 64 characters)`);
    const f = `splits.${name}`;
    if (typeof s !== 'object' || s === null) bad(f, 'expected {tokens, documents, files}');
    const sp = s as Record<string, unknown>;
    if (!isCount(sp['tokens'])) bad(`${f}.tokens`, 'expected a count');
    if (!isCount(sp['documents'])) bad(`${f}.documents`, 'expected a count');
    if (!Array.isArray(sp['files'])) bad(`${f}.files`, 'expected an array');
    let tokens = 0;
    let docs = 0;
    (sp['files'] as unknown[]).forEach((fe, i) => {
      const ff = `${f}.files[${i}]`;
      if (typeof fe !== 'object' || fe === null) bad(ff, 'expected {bin, idx, tokens, documents}');
      const e = fe as Record<string, unknown>;
      for (const k of ['bin', 'idx'] as const) {
        if (!isPlainFileName(e[k])) bad(`${ff}.${k}`, 'expected a plain file name');
        const h = e[`${k}_sha256`];
        if (h !== undefined && !(typeof h === 'string' && SHA256.test(h)))
          bad(`${ff}.${k}_sha256`, 'expected 64 lowercase hex digits');
      }
      if (!isCount(e['tokens'])) bad(`${ff}.tokens`, 'expected a count');
      if (!isCount(e['documents'])) bad(`${ff}.documents`, 'expected a count');
      tokens += e['tokens'] as number;
      docs += e['documents'] as number;
    });
    if (tokens !== sp['tokens']) bad(`${f}.tokens`, `is ${sp['tokens']} but its files hold ${tokens}`);
    if (docs !== sp['documents']) bad(`${f}.documents`, `is ${sp['documents']} but its files hold ${docs}`);
  }
  if (typeof m['source'] !== 'string') bad('source', 'expected a string');
  if (typeof m['created_by'] !== 'string') bad('created_by', 'expected a string');
  return m as unknown as ShardMeta;
}
