/**
 * Building padded or packed rows from documents of a token split, for objectives that
 * need sequence boundaries (MLM, denoising). Documents are drawn at random; a row is filled
 * with consecutive documents separated by `sep` until it is full (RoBERTa's FULL-SENTENCES),
 * then right-padded. The attention mask marks real tokens.
 */
import type { TokenSplit } from '../../data/shards/index.ts';
import type { Generator } from '../../core/random.ts';

export interface RowSpecials {
  pad: number;
  /** Prepended to each row ([CLS] / <s>), or null. */
  bos: number | null;
  /** Between documents and at the end of each row ([SEP] / </s>), or null. */
  sep: number | null;
  /** The split's own separator (meta eos_id) to strip from documents, or null. */
  docEnd: number | null;
}

export interface PackedRows {
  ids: Int32Array; // [B, T]
  mask: Int32Array; // [B, T] 1 = real
}

export function packRows(split: TokenSplit, generator: Generator, B: number, T: number, s: RowSpecials): PackedRows {
  const ids = new Int32Array(B * T).fill(s.pad);
  const mask = new Int32Array(B * T);
  const docs = split.numDocuments;
  let buf = new Int32Array(256);
  for (let b = 0; b < B; b++) {
    let at = b * T;
    const end = b * T + T - (s.sep !== null ? 1 : 0);
    if (s.bos !== null) ids[at++] = s.bos;
    let doc = docs > 0 ? generator.randint(docs) : 0;
    let first = true;
    while (at < end) {
      const [lo, hi] = docs > 0 ? split.documentBounds(doc) : [0, split.numTokens];
      let len = hi - lo;
      if (len > buf.length) buf = new Int32Array(len);
      split.read(lo, len, buf);
      if (s.docEnd !== null && len > 0 && buf[len - 1] === s.docEnd) len--;
      if (!first && s.sep !== null) {
        if (at >= end - 1) break;
        ids[at++] = s.sep;
      }
      // a document longer than the row: start it at a random offset
      const room = end - at;
      let start = 0;
      if (first && len > room) start = generator.randint(len - room + 1);
      const take = Math.min(len - start, room);
      ids.set(buf.subarray(start, start + take), at);
      at += take;
      first = false;
      if (docs <= 1) break;
      doc = (doc + 1) % docs;
      if (take < len - start) break;
    }
    if (s.sep !== null) ids[at++] = s.sep;
    for (let i = b * T; i < at; i++) mask[i] = 1;
  }
  return { ids, mask };
}
