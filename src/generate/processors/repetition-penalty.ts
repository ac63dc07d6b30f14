/**
 * Repetition penalty (HF RepetitionPenaltyLogitsProcessor, CTRL paper): for every
 * distinct token already in the row (prompt included), a negative score is
 * multiplied by p and a non-negative one divided by p; with p > 1 both become less
 * likely. Each token is penalized once however often it occurs.
 *
 * EncoderRepetitionPenalty applies the same rule with 1/p over the encoder input,
 * so tokens of the source are rewarded when p > 1 (encoder-decoder models).
 */
import { ArgumentError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requirePositive } from '../validate.ts';

function penalize(
  scores: Float32Array,
  off: number,
  tokens: Iterable<number>,
  p: number,
  vocabSize: number,
  op: string,
): void {
  for (const t of tokens) {
    if (t < 0 || t >= vocabSize)
      throw new ArgumentError(op, `token id ${t} is outside the vocabulary (size ${vocabSize})`);
    const s = scores[off + t]!;
    scores[off + t] = s < 0 ? s * p : s / p;
  }
}

export class RepetitionPenaltyProcessor implements LogitsProcessor {
  readonly name = 'repetition_penalty';
  readonly penalty: number;
  private readonly skipPrompt: boolean;

  /** skipPrompt: penalize generated tokens only (HF's custom prompt_ignore_length, per row). */
  constructor(penalty: number, opts: { skipPrompt?: boolean } = {}) {
    this.penalty = requirePositive('repetition_penalty', penalty);
    this.skipPrompt = opts.skipPrompt ?? false;
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      const start = this.skipPrompt ? (ctx?.promptLengths[b] ?? 0) : 0;
      penalize(scores, b * vocabSize, new Set(ids[b]!.slice(start)), this.penalty, vocabSize, this.name);
    }
  }
}

export class EncoderRepetitionPenaltyProcessor implements LogitsProcessor {
  readonly name = 'encoder_repetition_penalty';
  readonly penalty: number;

  constructor(penalty: number) {
    this.penalty = requirePositive('encoder_repetition_penalty', penalty);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const enc = ctx?.encoderIds;
    if (enc === undefined || enc.length !== rows) {
      throw new ArgumentError(this.name, 'needs the encoder input ids of every row (encoder-decoder models only)');
    }
    for (let b = 0; b < rows; b++)
      penalize(scores, b * vocabSize, new Set(enc[b]!), 1 / this.penalty, vocabSize, this.name);
  }
}
