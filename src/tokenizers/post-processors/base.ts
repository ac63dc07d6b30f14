/**
 * Shared machinery of the post-processors: HF's `process_encodings` works on the list
 * [first, pair?]; `process` runs it and merges. Overflowing windows (from truncation with a
 * stride) are processed the same way, so each window gets its own special tokens.
 */
import type { JsonObject } from '../config-reader.ts';
import { Encoding } from '../encoding.ts';
import type { PostProcessor } from '../interfaces.ts';

export abstract class PostProcessorBase implements PostProcessor {
  abstract readonly type: string;
  abstract addedTokens(isPair: boolean): number;
  abstract toJSON(): JsonObject;
  /** Transforms [first] or [first, pair] (no overflowing inside). */
  abstract processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[];
  processIds?(ids: number[], pair: number[] | null): number[];

  process(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding {
    // the main encodings are processed in place (they are ours); windows that are reused get copies
    const reuse = encoding.overflowing.length > 0 || (pair?.overflowing.length ?? 0) > 0;
    const one = (a: Encoding, b: Encoding | null): Encoding => {
      const copy = (e: Encoding): Encoding => (reuse ? e.withoutOverflowing() : e.shallowWithoutOverflowing());
      const list = b === null ? [copy(a)] : [copy(a), copy(b)];
      list.forEach((e, i) => e.setSequence(i, e.typeIds[0] ?? i));
      return Encoding.merge(this.processEncodings(list, addSpecialTokens));
    };
    const out = one(encoding, pair);
    for (const o of encoding.overflowing) {
      out.overflowing.push(one(o, pair));
      for (const po of pair?.overflowing ?? []) out.overflowing.push(one(o, po));
    }
    for (const po of pair?.overflowing ?? []) out.overflowing.push(one(encoding, po));
    return out;
  }
}

/** An Encoding of special tokens (offsets [0, 0], special mask 1, no word). */
export function specialEncoding(ids: readonly number[], tokens: readonly string[], typeId: number): Encoding {
  const e = new Encoding();
  ids.forEach((id, i) => e.push(id, tokens[i]!, [0, 0], typeId, true, null, null));
  return e;
}

/** HF ByteLevel `process_offsets`: drop leading/trailing 'Ġ' / whitespace from token offsets. */
export function trimByteLevelOffsets(e: Encoding, addPrefixSpace: boolean): void {
  const isSpace = (c: string): boolean => c === '\u0120' || /^\p{White_Space}$/u.test(c);
  e.tokens.forEach((tok, i) => {
    const chars = [...tok];
    let lead = 0;
    while (lead < chars.length && isSpace(chars[lead]!)) lead++;
    let trail = 0;
    while (trail < chars.length && isSpace(chars[chars.length - 1 - trail]!)) trail++;
    const off = e.offsets[i]!;
    if (lead > 0) {
      const isFirst = i === 0 || off[0] === 0;
      if (isFirst && addPrefixSpace && lead === 1) lead = 0;
      off[0] = Math.min(off[0] + lead, off[1]);
    }
    if (trail > 0 && off[1] >= trail) off[1] = Math.max(off[1] - trail, off[0]);
  });
  for (const o of e.overflowing) trimByteLevelOffsets(o, addPrefixSpace);
}
