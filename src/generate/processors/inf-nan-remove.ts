/**
 * InfNanRemove (HF, remove_invalid_values): NaN -> 0, +inf -> the largest float32,
 * -inf -> the most negative float32, so sampling never sees invalid numbers. Note
 * that this also turns tokens removed by earlier processors into finite scores, as
 * in HF.
 */
import { checkScores, type LogitsProcessor } from '../processor.ts';

const F32_MAX = 3.4028234663852886e38;

export class InfNanRemoveProcessor implements LogitsProcessor {
  readonly name = 'remove_invalid_values';
  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    checkScores(this.name, ids, scores, vocabSize);
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!;
      if (Number.isNaN(s)) scores[i] = 0;
      else if (s === Infinity) scores[i] = F32_MAX;
      else if (s === -Infinity) scores[i] = -F32_MAX;
    }
  }
}
