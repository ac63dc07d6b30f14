/**
 * Exponential decay length penalty (HF ExponentialDecayLengthPenalty): once a row has
 * generated more than startIndex tokens, every EOS score s gets
 * s + |s| * (decayFactor ** (generated - startIndex) - 1), which raises EOS more and
 * more the longer the row runs (decayFactor > 1).
 */
import { checkScores, generatedLength, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requireInt, requirePositive, requireTokenIds } from '../validate.ts';

export class ExponentialDecayLengthPenaltyProcessor implements LogitsProcessor {
  readonly name = 'exponential_decay_length_penalty';
  constructor(
    readonly startIndex: number,
    readonly decayFactor: number,
    readonly eosTokenIds: readonly number[],
  ) {
    requireInt('exponential_decay_length_penalty[0]', startIndex, 0);
    requirePositive('exponential_decay_length_penalty[1]', decayFactor);
    requireTokenIds('eos_token_id', eosTokenIds);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      const over = generatedLength(ids, b, ctx) - this.startIndex;
      if (over <= 0) continue;
      const f = this.decayFactor ** over - 1;
      for (const e of this.eosTokenIds) {
        if (e >= vocabSize) continue;
        const k = b * vocabSize + e;
        scores[k] = scores[k]! + Math.abs(scores[k]!) * f;
      }
    }
  }
}
