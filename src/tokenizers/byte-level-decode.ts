/**
 * Fast decode for byte-level BPE with the ByteLevel decoder: each id's bytes are computed once,
 * and decoding copies them into one buffer and runs one UTF-8 decode. Same result as the
 * generic path (token strings -> ByteLevel decoder chain), without building strings per token.
 */
import { byteLevelToBytes } from './byte-alphabet.ts';
import { ByteLevelDecoder } from './decoders/byte-level.ts';
import { BPE } from './models/bpe.ts';
import type { Tokenizer } from './tokenizer.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/** (ids, skipSpecialTokens) -> text, or null when the pipeline is not plain byte-level. */
export type FastDecode = (ids: ArrayLike<number>, skipSpecial: boolean) => string | null;

export function createByteLevelDecode(tok: Tokenizer): FastDecode | null {
  if (!(tok.decoder instanceof ByteLevelDecoder) || !(tok.model instanceof BPE)) return null;
  const n = tok.vocabSize;
  // all tokens' bytes in one pool: token id -> pool[offset[id], offset[id] + length[id])
  const offset = new Int32Array(n);
  const length = new Int32Array(n).fill(-1);
  const special = new Uint8Array(n);
  const parts: Uint8Array[] = [];
  let used = 0;
  for (let id = 0; id < n; id++) {
    const added = tok.addedVocabulary.byTokenId(id);
    const t = added?.content ?? tok.model.idToToken(id);
    if (t === undefined) continue;
    if (added?.special === true) special[id] = 1;
    const b = byteLevelToBytes(t) ?? encoder.encode(t);
    offset[id] = used;
    length[id] = b.length;
    parts.push(b);
    used += b.length;
  }
  const pool = new Uint8Array(used);
  let p = 0;
  for (const b of parts) {
    pool.set(b, p);
    p += b.length;
  }
  return (ids, skip) => {
    let total = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const len = id >= 0 && id < n ? length[id]! : -1;
      if (len < 0) return null; // unknown id: let the generic path report it
      total += len;
    }
    const buf = new Uint8Array(total);
    let o = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (skip && special[id] === 1) continue;
      const start = offset[id]!;
      const end = start + length[id]!;
      for (let j = start; j < end; j++) buf[o++] = pool[j]!;
    }
    return utf8.decode(buf.subarray(0, o));
  };
}
