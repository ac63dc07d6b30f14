/** Shared vocabulary helpers for the models. */
import type { JsonObject } from '../config-reader.ts';

/** id -> token array from a token -> id map (holes stay undefined). */
export function invertVocab(vocab: Map<string, number>): (string | undefined)[] {
  let max = -1;
  for (const id of vocab.values()) if (id > max) max = id;
  // sized up front: filling a growing array out of order (tokenizer.json's integer-like
  // tokens such as "0" come first) turns it into a slow dictionary
  const r = new Array<string | undefined>(max + 1);
  for (const [tok, id] of vocab) r[id] = tok;
  return r;
}

/** The `vocab` object of tokenizer.json, in id order. */
export function vocabToJson(vocabR: readonly (string | undefined)[]): JsonObject {
  const v: JsonObject = {};
  for (let id = 0; id < vocabR.length; id++) {
    const t = vocabR[id];
    if (t !== undefined) v[t] = id;
  }
  return v;
}
