/** Built-in models, registered by their tokenizer.json `type`, with validated vocab / merges parsing. */
import { describe } from '../../core/describe.ts';
import { FormatError } from '../../core/errors.ts';
import { isJsonObject, type ConfigReader } from '../config-reader.ts';
import { registerModel } from '../registry.ts';
import { BPE, type BpeOptions } from './bpe.ts';
import type { PackedVocab } from './packed-vocab.ts';
import type { PairTable } from './pair-table.ts';
import { WordLevel } from './word-level.ts';
import { WordPiece } from './wordpiece.ts';

export { BPE, WordLevel, WordPiece };

/** The largest vocabulary a tokenizer file may declare (ids are checked against it before any allocation). */
export const MAX_VOCAB = 10_000_000;

/** `vocab`: {token: id} with distinct non-negative integer ids. */
export function readVocab(c: ConfigReader, key = 'vocab'): Map<string, number> {
  const v = c.raw(key);
  if (!isJsonObject(v)) c.fail(key, 'expected an object mapping tokens to ids');
  const vocab = new Map<string, number>();
  const seen = new Set<number>();
  for (const [tok, id] of Object.entries(v)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= MAX_VOCAB) {
      throw new FormatError(
        c.file,
        `id of token ${describe(tok)} must be an integer in [0, ${MAX_VOCAB}), got ${describe(id)}`,
        `${c.fieldPath(key)}.${tok}`,
      );
    }
    if (seen.has(id))
      throw new FormatError(
        c.file,
        `id ${id} is used by two tokens (second: ${describe(tok)})`,
        `${c.fieldPath(key)}.${tok}`,
      );
    seen.add(id);
    vocab.set(tok, id);
  }
  return vocab;
}

/** `merges`: ["a b", ...] (legacy) or [["a", "b"], ...]. */
export function readMerges(c: ConfigReader, key = 'merges'): [string, string][] {
  const arr = c.optArray(key) ?? [];
  return arr.map((m, i) => {
    if (typeof m === 'string') {
      const parts = m.split(' ');
      if (parts.length !== 2)
        throw new FormatError(
          c.file,
          `merge must be two tokens separated by one space, got ${describe(m)}`,
          `${c.fieldPath(key)}[${i}]`,
        );
      return [parts[0]!, parts[1]!];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
    throw new FormatError(c.file, `merge must be "a b" or ["a", "b"], got ${describe(m)}`, `${c.fieldPath(key)}[${i}]`);
  });
}

/** Rethrows BPE's merge errors with the real file name. */
function withFile<T>(c: ConfigReader, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof FormatError && err.file === '<bpe merges>') {
      throw new FormatError(
        c.file,
        err.message.replace(/^<bpe merges> \(field [^)]*\): /, ''),
        c.fieldPath(err.field?.replace(/^model\./, '') ?? 'merges'),
      );
    }
    throw err;
  }
}

/** A BPE section's options (everything but `vocab` and `merges`), each checked. */
export function readBpeOptions(c: ConfigReader): Partial<BpeOptions> {
  const dropout = c.optNumber('dropout') ?? null;
  if (dropout !== null && !(dropout >= 0 && dropout <= 1))
    c.fail('dropout', `expected a probability in [0, 1], got ${dropout}`);
  return {
    dropout,
    unkToken: c.optString('unk_token') ?? null,
    continuingSubwordPrefix: c.optString('continuing_subword_prefix') ?? null,
    endOfWordSuffix: c.optString('end_of_word_suffix') ?? null,
    fuseUnk: c.bool('fuse_unk', false),
    byteFallback: c.bool('byte_fallback', false),
    ignoreMerges: c.bool('ignore_merges', false),
  };
}

/**
 * The BPE of a tokenizer.json `model` section. `parsed` supplies an already validated vocab,
 * merges and pair table (the tokenizer cache, formats/tokenizer-cache.ts) instead of reading
 * the section's `vocab` and `merges`.
 */
export function bpeFromConfig(
  c: ConfigReader,
  parsed?: { vocab: PackedVocab; merges: () => [string, string][]; pairs: PairTable },
): BPE {
  const options = readBpeOptions(c);
  if (parsed !== undefined) return new BPE(parsed.vocab, parsed.merges, options, parsed.pairs);
  const vocab = readVocab(c);
  const merges = readMerges(c);
  return withFile(c, () => new BPE(vocab, merges, options));
}

registerModel('BPE', (c) => bpeFromConfig(c));

registerModel('WordPiece', (c) => {
  const vocab = readVocab(c);
  return new WordPiece(vocab, {
    unkToken: c.optString('unk_token') ?? '[UNK]',
    continuingSubwordPrefix: c.optString('continuing_subword_prefix') ?? '##',
    maxInputCharsPerWord: c.int('max_input_chars_per_word', 100),
  });
});

registerModel('WordLevel', (c) => new WordLevel(readVocab(c), c.optString('unk_token') ?? null));
