/**
 * Fast ids-only path for character-level tokenizers (WordLevel behind a Split that isolates
 * every character, as trainChar writes): one table lookup per code point instead of a regex
 * match, a substring and a Map lookup.
 */
import { registerFastPlanner, type IdsEncoder } from './fast-encode.ts';
import { WordLevel } from './models/word-level.ts';
import { Split } from './pre-tokenizers/split.ts';
import { EACH_CHARACTER } from './trainers/char.ts';
import type { Tokenizer } from './tokenizer.ts';

export function charEncoder(tok: Tokenizer): IdsEncoder | null {
  const pre = tok.preTokenizer;
  const model = tok.model;
  if (!(model instanceof WordLevel) || !(pre instanceof Split)) return null;
  if (
    pre.pattern.kind !== 'Regex' ||
    pre.pattern.source !== EACH_CHARACTER ||
    pre.behavior !== 'Isolated' ||
    pre.invert
  )
    return null;
  // BMP code unit -> id (-1: not a single-unit vocabulary entry)
  const bmp = new Int32Array(65536).fill(-1);
  for (const [t, id] of model.vocab) if (t.length === 1) bmp[t.charCodeAt(0)] = id;
  return (piece, out) => {
    for (let i = 0; i < piece.length; i++) {
      const c = piece.charCodeAt(i);
      const id = bmp[c]!;
      if (id >= 0 && (c < 0xd800 || c > 0xdfff)) {
        out.push(id);
        continue;
      }
      // surrogate pairs and characters missing from the table: the model decides (unk or error)
      const w =
        c >= 0xd800 && c <= 0xdbff && i + 1 < piece.length && (piece.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      model.encodeIds(piece.slice(i, i + w), out);
      i += w - 1;
    }
  };
}

registerFastPlanner(charEncoder);
