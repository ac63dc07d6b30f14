/**
 * No-repeat n-gram (HF NoRepeatNGramLogitsProcessor): the row's last n-1 tokens form
 * a prefix; every earlier n-gram of the row (prompt included) that starts with that
 * prefix bans its last token. Rows shorter than n-1 tokens are untouched.
 *
 * EncoderNoRepeatNGram bans tokens that would complete an n-gram of the encoder input
 * (encoder-decoder models).
 */
import { ArgumentError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requireInt } from '../validate.ts';

/** prefix (n-1 ids joined by ',') -> the tokens that followed it. */
function ngramTable(seq: readonly number[], n: number): Map<string, number[]> {
  const table = new Map<string, number[]>();
  for (let i = 0; i + n <= seq.length; i++) {
    const key = seq.slice(i, i + n - 1).join(',');
    const next = seq[i + n - 1]!;
    const list = table.get(key);
    if (list === undefined) table.set(key, [next]);
    else list.push(next);
  }
  return table;
}

function ban(
  scores: Float32Array,
  off: number,
  tokens: readonly number[] | undefined,
  vocabSize: number,
  op: string,
): void {
  if (tokens === undefined) return;
  for (const t of tokens) {
    if (t < 0 || t >= vocabSize)
      throw new ArgumentError(op, `token id ${t} is outside the vocabulary (size ${vocabSize})`);
    scores[off + t] = -Infinity;
  }
}

export class NoRepeatNGramProcessor implements LogitsProcessor {
  readonly name = 'no_repeat_ngram_size';
  readonly n: number;

  constructor(n: number) {
    this.n = requireInt('no_repeat_ngram_size', n, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const n = this.n;
    for (let b = 0; b < rows; b++) {
      const r = ids[b]!;
      if (r.length + 1 < n) continue;
      const prefix = r.slice(r.length - (n - 1)).join(',');
      ban(scores, b * vocabSize, ngramTable(r, n).get(prefix), vocabSize, this.name);
    }
  }
}

export class EncoderNoRepeatNGramProcessor implements LogitsProcessor {
  readonly name = 'encoder_no_repeat_ngram_size';
  readonly n: number;
  private cache: { enc: readonly (readonly number[])[]; tables: Map<string, number[]>[] } | undefined;

  constructor(n: number) {
    this.n = requireInt('encoder_no_repeat_ngram_size', n, 1);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const enc = ctx?.encoderIds;
    if (enc === undefined || enc.length !== rows) {
      throw new ArgumentError(this.name, 'needs the encoder input ids of every row (encoder-decoder models only)');
    }
    if (this.cache?.enc !== enc) this.cache = { enc, tables: enc.map((e) => ngramTable(e, this.n)) };
    const n = this.n;
    for (let b = 0; b < rows; b++) {
      const r = ids[b]!;
      if (r.length < n - 1) continue;
      const prefix = r.slice(r.length - (n - 1)).join(',');
      ban(scores, b * vocabSize, this.cache.tables[b]!.get(prefix), vocabSize, this.name);
    }
  }
}
