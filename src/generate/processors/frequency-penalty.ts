/**
 * Frequency and presence penalties (OpenAI API / llama.cpp): with c = the count of
 * token t in the window, scores[t] -= c * frequency + (c > 0) * presence. The window
 * is the last `lastN` ids of the row (prompt included, as llama.cpp accepts prompt
 * tokens into its penalty ring buffer); lastN = -1 means the whole row. Not part of
 * Hugging Face; it runs right after repetition_penalty.
 */
import { ArgumentError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { requireFinite, requireInt } from '../validate.ts';

export class FrequencyPresencePenaltyProcessor implements LogitsProcessor {
  readonly name = 'frequency_presence_penalty';
  readonly frequency: number;
  readonly presence: number;
  readonly lastN: number;

  constructor(frequency: number, presence: number, lastN = -1) {
    this.frequency = requireFinite('frequency_penalty', frequency);
    this.presence = requireFinite('presence_penalty', presence);
    this.lastN = lastN === -1 ? -1 : requireInt('penalty_last_n', lastN, 0);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      const r = ids[b]!;
      const start = this.lastN === -1 ? 0 : Math.max(0, r.length - this.lastN);
      const counts = new Map<number, number>();
      for (let i = start; i < r.length; i++) counts.set(r[i]!, (counts.get(r[i]!) ?? 0) + 1);
      for (const [t, c] of counts) {
        if (t < 0 || t >= vocabSize)
          throw new ArgumentError(this.name, `token id ${t} is outside the vocabulary (size ${vocabSize})`);
        const k = b * vocabSize + t;
        scores[k] = scores[k]! - (c * this.frequency + this.presence);
      }
    }
  }
}
