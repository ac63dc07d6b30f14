/** Shared vocabulary helpers for the models. */
import type { JsonObject } from '../config-reader.ts';

/** id -> token array from a token -> id map (holes stay undefined). */
export function invertVocab(vocab: Map<string, number>): (string | undefined)[] {
  const r: (string | undefined)[] = [];
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
