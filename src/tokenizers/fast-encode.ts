/**
 * The ids-only encode path. Given one normalized piece of text (added tokens already removed),
 * appends its ids. The generic version chains the pre-tokenizer's and the model's string fast
 * paths; byte-level BPE pipelines get a specialised scanner + integer-pair BPE (see
 * byte-level-fast.ts) that never builds the byte-level strings at all.
 */
import type { Tokenizer } from './tokenizer.ts';

/** Appends the ids of one normalized piece; `atStart`: the piece starts at offset 0 of the input. */
export type IdsEncoder = (piece: string, out: number[], atStart: boolean) => void;

type FastPlanner = (tok: Tokenizer) => IdsEncoder | null;
const planners: FastPlanner[] = [];

/** Lets a module offer a specialised encoder for pipelines it recognises (first match wins). */
export function registerFastPlanner(p: FastPlanner): void {
  planners.push(p);
}

export function createIdsEncoder(tok: Tokenizer): IdsEncoder {
  for (const plan of planners) {
    const enc = plan(tok);
    if (enc !== null) return enc;
  }
  const pre = tok.preTokenizer;
  const model = tok.model;
  if (pre === null) return (piece, out) => model.encodeIds(piece, out);
  return (piece, out, atStart) => {
    for (const s of pre.preTokenizeString(piece, atStart)) model.encodeIds(s, out);
  };
}
