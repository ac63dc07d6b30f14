/**
 * Fast decode for byte-level BPE with the ByteLevel decoder: each id's bytes are computed once,
 * and decoding copies them into one buffer and runs one UTF-8 decode. Same result as the
 * generic path (token strings -> ByteLevel decoder chain), without building strings per token.
 * `appendByteLevelBytes` stops before the UTF-8 decode, for writers that want bytes
 * (`llmts detokenize` writes them straight to its output buffer).
 */
import { CHAR_TO_BYTE } from './byte-alphabet.ts';
import { ByteLevelDecoder } from './decoders/byte-level.ts';
import { BPE } from './models/bpe.ts';
import type { Tokenizer } from './tokenizer.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** (ids, skipSpecialTokens) -> text, or null when the pipeline is not plain byte-level. */
export type FastDecode = (ids: ArrayLike<number>, skipSpecial: boolean) => string | null;

/** Every id's bytes in one pool: id -> pool[offset[id], offset[id] + length[id]), length -1: no token. */
export interface ByteLevelTable {
  readonly size: number;
  readonly offset: Int32Array;
  readonly length: Int32Array;
  readonly special: Uint8Array;
  readonly pool: Uint8Array;
}

/** The byte table of a plain byte-level BPE pipeline, or null for any other pipeline. */
export function byteLevelTable(tok: Tokenizer): ByteLevelTable | null {
  if (!(tok.decoder instanceof ByteLevelDecoder) || !(tok.model instanceof BPE)) return null;
  const n = tok.vocabSize;
  const offset = new Int32Array(n);
  const length = new Int32Array(n).fill(-1);
  const special = new Uint8Array(n);
  let pool = new Uint8Array(Math.max(1024, 8 * n));
  let used = 0;
  for (let id = 0; id < n; id++) {
    const added = tok.addedVocabulary.byTokenId(id);
    const t = added?.content ?? tok.model.idToToken(id);
    if (t === undefined) continue;
    if (added?.special === true) special[id] = 1;
    if (used + 3 * t.length > pool.length) {
      const bigger = new Uint8Array(2 * pool.length + 3 * t.length);
      bigger.set(pool.subarray(0, used));
      pool = bigger;
    }
    // the stand-in characters' bytes, or (a token outside the alphabet) its UTF-8
    let k = 0;
    while (k < t.length) {
      const c = t.charCodeAt(k);
      const b = c < 0x200 ? CHAR_TO_BYTE[c]! : -1;
      if (b < 0) break;
      pool[used + k++] = b;
    }
    offset[id] = used;
    if (k === t.length) length[id] = k;
    else length[id] = encoder.encodeInto(t, pool.subarray(used)).written;
    used += length[id]!;
  }
  return { size: n, offset, length, special, pool: pool.subarray(0, used) };
}

/**
 * Appends the bytes of `ids[0, count)` to `out` from `at` (which must have room for
 * `byteLevelLength` bytes); returns the end, or -1 when an id has no token.
 */
export function appendByteLevelBytes(
  table: ByteLevelTable,
  ids: ArrayLike<number>,
  count: number,
  skipSpecial: boolean,
  out: Uint8Array,
  at: number,
): number {
  const { offset, length, special, pool, size } = table;
  let o = at;
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < size) || length[id]! < 0) return -1;
    if (skipSpecial && special[id] === 1) continue;
    const start = offset[id]!;
    const end = start + length[id]!;
    for (let j = start; j < end; j++) out[o++] = pool[j]!;
  }
  return o;
}

/** Bytes `appendByteLevelBytes` may write for ids[0, count), or -1 when an id has no token. */
export function byteLevelLength(table: ByteLevelTable, ids: ArrayLike<number>, count: number): number {
  const { length, size } = table;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const id = ids[i]!;
    const len = id >= 0 && id < size ? length[id]! : -1;
    if (len < 0) return -1;
    total += len;
  }
  return total;
}

export function createByteLevelDecode(tok: Tokenizer): FastDecode | null {
  const table = byteLevelTable(tok);
  if (table === null) return null;
  return (ids, skip) => {
    const total = byteLevelLength(table, ids, ids.length);
    if (total < 0) return null; // unknown id: let the generic path report it
    const buf = new Uint8Array(total);
    const end = appendByteLevelBytes(table, ids, ids.length, skip, buf, 0);
    return utf8.decode(buf.subarray(0, end));
  };
}
