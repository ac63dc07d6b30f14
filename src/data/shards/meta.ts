/**
 * meta.json of a token-shard dataset (docs/shard-format.md is the contract):
 * the dtype and vocabulary of the .bin files, the separator/prefix tokens, the
 * tokenizer, and every split's files with their token and document counts.
 */
import { FormatError } from '../../core/errors.ts';

export const SHARD_FORMAT = 'llmts-shards';
export const SHARD_VERSION = 1;

export type TokenDType = 'uint16' | 'uint32';

export interface ShardFileMeta {
  /** file names relative to the dataset directory */
  bin: string;
  idx: string;
  tokens: number;
  documents: number;
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

/** Validates a parsed meta.json; throws FormatError naming the field. */
export function validateMeta(raw: unknown, file: string): ShardMeta {
  const bad = (field: string, msg: string): never => {
    throw new FormatError(file, msg, field);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('(root)', 'not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m['format'] !== SHARD_FORMAT) bad('format', `expected "${SHARD_FORMAT}", got ${JSON.stringify(m['format'])}`);
  if (m['version'] !== SHARD_VERSION)
    bad('version', `unsupported version ${JSON.stringify(m['version'])} (this reader knows ${SHARD_VERSION})`);
  const dtype = m['dtype'];
  if (dtype !== 'uint16' && dtype !== 'uint32')
    bad('dtype', `expected "uint16" or "uint32", got ${JSON.stringify(dtype)}`);
  const vocab = m['vocab_size'];
  if (!isCount(vocab) || vocab < 1) bad('vocab_size', `expected a positive integer, got ${JSON.stringify(vocab)}`);
  if (dtype === 'uint16' && (vocab as number) > 65536)
    bad('dtype', `uint16 cannot hold ids of a vocabulary of ${vocab}`);
  for (const k of ['eos_id', 'bos_id'] as const) {
    const v = m[k];
    if (v !== null && !(isCount(v) && v < (vocab as number)))
      bad(k, `expected null or an id below vocab_size, got ${JSON.stringify(v)}`);
  }
  const tok = m['tokenizer'];
  if (typeof tok !== 'object' || tok === null) bad('tokenizer', 'expected {file, name}');
  const t = tok as Record<string, unknown>;
  for (const k of ['file', 'name'] as const)
    if (t[k] !== null && typeof t[k] !== 'string') bad(`tokenizer.${k}`, 'expected a string or null');
  if (t['chars'] !== undefined) {
    const c = t['chars'];
    if (!Array.isArray(c) || c.some((x) => typeof x !== 'string') || c.length !== vocab)
      bad('tokenizer.chars', 'expected vocab_size strings');
  }
  const splits = m['splits'];
  if (typeof splits !== 'object' || splits === null || Array.isArray(splits))
    bad('splits', 'expected an object of splits');
  for (const [name, s] of Object.entries(splits as Record<string, unknown>)) {
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
        const v = e[k];
        if (typeof v !== 'string' || v.includes('/') || v.includes('\\') || v.startsWith('.'))
          bad(`${ff}.${k}`, 'expected a plain file name');
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
