/**
 * A binary cache of parsed BPE tokenizer.json files, so a short-lived process (`llmts tokenize
 * "hello"`) does not pay for JSON.parse of a 2 MB vocabulary and its 50,000 merges on every
 * start: GPT-2's tokenizer.json loads in ~330 ms from JSON, in a few tens of ms from the cache.
 *
 * - Keyed by the SHA-256 of the tokenizer file's bytes: an edited file is a different key.
 * - Written atomically (temporary file + rename), so processes can share the folder: a reader
 *   sees a whole file or none.
 * - Never trusted: a cache file is used only when its header, sizes, source hash and payload
 *   hash match, and its vocabulary and merges pass the same checks as the JSON path (ids
 *   distinct integers in [0, MAX_VOCAB), tokens distinct, each merge's two tokens and their
 *   concatenation in the vocabulary). Anything else is a miss: the JSON is parsed (with its
 *   full validation) and the cache file rewritten. Cache I/O errors never fail a load.
 * - Only the vocabulary and merges are cached; every other section of the file (normalizer,
 *   pre-tokenizer, added tokens, the model's options, ...) is kept as JSON and goes through
 *   the ordinary readers on every load.
 *
 * Where: LLMTS_CACHE_DIR, else $XDG_CACHE_HOME/llmts, else ~/.cache/llmts; LLMTS_NO_CACHE=1
 * turns it off (see `defaultCacheDir`). The library uses it only when a caller passes
 * `cacheDir` (the CLI does); deleting the folder is always safe.
 *
 * File layout (little-endian):
 *   0   'LLMTSTOK'                          8 bytes
 *   8   format version (u32), rest JSON bytes, vocab entries, vocab UTF-16 units, merges (u32 each)
 *   28  reserved (u32, 0)
 *   32  SHA-256 of the source file          32 bytes
 *   64  SHA-256 of the payload              32 bytes
 *   96  payload: rest JSON (UTF-8, zero-padded to 4 bytes) | ids i32[vocab] |
 *       token ends u32[vocab] (UTF-16 offsets) | merges i32[3 * merges] (a, b, merged) |
 *       tokens UTF-16LE (lone surrogates survive, unlike UTF-8)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { endianness, homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic.ts';
import { isJsonObject, type JsonObject, type JsonValue } from '../config-reader.ts';
import type { BPE } from '../models/bpe.ts';
import { MAX_VOCAB } from '../models/index.ts';
import { PackedVocab } from '../models/packed-vocab.ts';
import { PairTable } from '../models/pair-table.ts';

const MAGIC = 'LLMTSTOK';
const VERSION = 1;
const HEADER = 96;

/** The cache folder from the environment, or null when LLMTS_NO_CACHE=1. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env['LLMTS_NO_CACHE'] === '1') return null;
  const dir = env['LLMTS_CACHE_DIR'];
  if (dir !== undefined && dir !== '') return dir;
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'llmts');
}

/** SHA-256 of a tokenizer file's bytes, hex: the cache key. */
export function sourceKey(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The cache file for a source key. */
export function cachePath(cacheDir: string, key: string): string {
  return join(cacheDir, 'tokenizers', `bpe-v${VERSION}-${key}.bin`);
}

/** What a cache hit gives: the file's JSON without the vocabulary and merges, and the parts. */
export interface CachedBpe {
  rest: JsonObject;
  vocab: PackedVocab;
  /** The merges as token pairs, made when first asked for (serialization). */
  merges: () => [string, string][];
  pairs: PairTable;
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** The validated cache entry for `key`, or null (absent, unreadable, corrupt, or failing any check). */
export function readCachedBpe(cacheDir: string, key: string): CachedBpe | null {
  if (endianness() !== 'LE') return null;
  let file: Buffer;
  try {
    file = readFileSync(cachePath(cacheDir, key));
  } catch {
    return null;
  }
  try {
    return decode(file, key);
  } catch {
    return null; // e.g. invalid rest JSON: a miss like any other
  }
}

/** A copy of file[from, to) as its own ArrayBuffer (typed arrays need aligned offsets). */
function copy(file: Buffer, from: number, to: number): ArrayBuffer {
  return file.buffer.slice(file.byteOffset + from, file.byteOffset + to) as ArrayBuffer;
}

function decode(file: Buffer, key: string): CachedBpe | null {
  if (file.length < HEADER || file.toString('latin1', 0, 8) !== MAGIC) return null;
  const u32 = (o: number): number => file.readUInt32LE(o);
  if (u32(8) !== VERSION || u32(28) !== 0) return null;
  const restBytes = u32(12);
  const nVocab = u32(16);
  const nUnits = u32(20);
  const nMerges = u32(24);
  if (nVocab > MAX_VOCAB || nMerges > MAX_VOCAB) return null;
  // every size is checked against the file's length before anything is allocated from it
  const idsAt = HEADER + pad4(restBytes);
  const endsAt = idsAt + 4 * nVocab;
  const mergesAt = endsAt + 4 * nVocab;
  const unitsAt = mergesAt + 12 * nMerges;
  if (unitsAt + 2 * nUnits !== file.length) return null;
  if (file.toString('hex', 32, 64) !== key) return null;
  const payloadHash = createHash('sha256').update(file.subarray(HEADER)).digest();
  if (!payloadHash.equals(file.subarray(64, 96))) return null;

  const rest: JsonValue = JSON.parse(file.toString('utf8', HEADER, HEADER + restBytes));
  if (!isJsonObject(rest)) return null;
  const model = rest['model'];
  if (!isJsonObject(model) || model['type'] !== 'BPE') return null;
  const prefix = model['continuing_subword_prefix'];
  const prefixLen = typeof prefix === 'string' ? prefix.length : 0;

  const units = new Uint16Array(copy(file, unitsAt, file.length));
  const vocab = PackedVocab.validated(
    new Int32Array(copy(file, idsAt, endsAt)),
    new Uint32Array(copy(file, endsAt, mergesAt)),
    units,
    MAX_VOCAB,
  );
  if (vocab === null) return null;

  // merges: both tokens in the vocabulary, and the merged id's token is their concatenation
  // (without b's continuing-subword prefix, as the BPE constructor joins them); written out
  // without calls, like PackedVocab.validated
  const triples = new Int32Array(copy(file, mergesAt, unitsAt));
  const prefixText = typeof prefix === 'string' ? prefix : '';
  const { startOfId, endOfId, maxId } = vocab;
  for (let r = 0; r < nMerges; r++) {
    const a = triples[3 * r]!;
    const b = triples[3 * r + 1]!;
    const m = triples[3 * r + 2]!;
    if (!(a >= 0 && a <= maxId && b >= 0 && b <= maxId && m >= 0 && m <= maxId)) return null;
    const sa = startOfId[a]!;
    let sb = startOfId[b]!;
    const sm = startOfId[m]!;
    if (sa < 0 || sb < 0 || sm < 0) return null;
    const la = endOfId[a]! - sa;
    const eb = endOfId[b]!;
    if (prefixLen > 0 && eb - sb >= prefixLen) {
      let k = 0;
      while (k < prefixLen && units[sb + k] === prefixText.charCodeAt(k)) k++;
      if (k === prefixLen) sb += prefixLen;
    }
    const lb = eb - sb;
    if (endOfId[m]! - sm !== la + lb) return null;
    for (let k = 0; k < la; k++) if (units[sa + k] !== units[sm + k]) return null;
    for (let k = 0; k < lb; k++) if (units[sb + k] !== units[sm + la + k]) return null;
  }
  const pairs = new PairTable(nMerges);
  pairs.setAll(triples);
  const merges = (): [string, string][] => {
    const out = new Array<[string, string]>(nMerges);
    for (let r = 0; r < nMerges; r++) out[r] = [vocab.tokenOf(triples[3 * r]!)!, vocab.tokenOf(triples[3 * r + 1]!)!];
    return out;
  };
  return { rest, vocab, merges, pairs };
}

/** The parts of a cache file (what `cacheFileBytes` lays out). */
export interface CacheParts {
  /** The tokenizer.json value without the model's vocabulary and merges, as JSON text. */
  rest: string;
  /** entry -> id, in the vocabulary's order */
  ids: Int32Array;
  /** entry -> end of its token in `units` */
  ends: Uint32Array;
  /** every token's UTF-16 code units, in entry order */
  units: Uint16Array;
  /** (a, b, merged) ids per merge, in rank order */
  triples: Int32Array;
}

/** A cache file's bytes for `key` (exported for tests that build damaged files on purpose). */
export function cacheFileBytes(key: string, p: CacheParts): Buffer {
  const rest = Buffer.from(p.rest, 'utf8');
  const bytes = (a: Int32Array | Uint32Array | Uint16Array): Buffer =>
    Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const payload = Buffer.concat([
    rest,
    Buffer.alloc(pad4(rest.length) - rest.length),
    bytes(p.ids),
    bytes(p.ends),
    bytes(p.triples),
    bytes(p.units),
  ]);
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  const counts = [VERSION, rest.length, p.ids.length, p.units.length, p.triples.length / 3, 0];
  counts.forEach((v, k) => header.writeUInt32LE(v, 8 + 4 * k));
  header.write(key, 32, 'hex');
  createHash('sha256').update(payload).digest().copy(header, 64);
  return Buffer.concat([header, payload]);
}

/** The cache parts of a tokenizer.json value whose model was parsed (from JSON) into `bpe`. */
export function cacheParts(value: JsonObject, bpe: BPE): CacheParts | null {
  const model = value['model'];
  if (!isJsonObject(model) || model['type'] !== 'BPE') return null;
  const vocab = bpe.vocab;
  const ids = new Int32Array(vocab.size);
  const ends = new Uint32Array(vocab.size);
  const tokens: string[] = [];
  let nUnits = 0;
  for (const [token, id] of vocab) {
    ids[tokens.length] = id;
    nUnits += token.length;
    ends[tokens.length] = nUnits;
    tokens.push(token);
  }
  const text = Buffer.from(tokens.join(''), 'utf16le');
  const units = new Uint16Array(text.buffer.slice(text.byteOffset, text.byteOffset + text.byteLength) as ArrayBuffer);
  const merges = bpe.merges;
  const triples = new Int32Array(3 * merges.length);
  merges.forEach(([a, b], r) => {
    const ia = vocab.get(a)!;
    const ib = vocab.get(b)!;
    triples[3 * r] = ia;
    triples[3 * r + 1] = ib;
    triples[3 * r + 2] = bpe.pairs.mergedAt(bpe.pairs.find(ia, ib));
  });
  return { rest: JSON.stringify({ ...value, model: { ...model, vocab: {}, merges: [] } }), ids, ends, units, triples };
}

/**
 * Writes the cache entry of a tokenizer.json value whose model was parsed into `bpe`. Best
 * effort: returns false (and leaves no partial file) when it cannot.
 */
export function writeCachedBpe(cacheDir: string, key: string, value: JsonObject, bpe: BPE): boolean {
  if (endianness() !== 'LE') return false;
  const parts = cacheParts(value, bpe);
  if (parts === null) return false;
  try {
    writeFileAtomic(cachePath(cacheDir, key), cacheFileBytes(key, parts));
    return true;
  } catch {
    return false;
  }
}
