/**
 * SuppressTokens: the listed ids get -inf on every step. SuppressTokensAtBegin: the
 * listed ids get -inf on the first generated step only (HF begin_index; shifted one
 * step later when a one-token prompt is followed by a forced BOS).
 */
import { checkScores, generatedLength, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requireInt, requireTokenIds } from '../validate.ts';

function suppress(scores: Float32Array, off: number, tokens: readonly number[], vocabSize: number): void {
  for (const t of tokens) if (t < vocabSize) scores[off + t] = -Infinity;
}

export class SuppressTokensProcessor implements LogitsProcessor {
  readonly name = 'suppress_tokens';
  constructor(readonly tokens: readonly number[]) {
    requireTokenIds('suppress_tokens', tokens, true);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) suppress(scores, b * vocabSize, this.tokens, vocabSize);
  }
}

export class SuppressTokensAtBeginProcessor implements LogitsProcessor {
  readonly name = 'begin_suppress_tokens';
  /** beginOffset: the generated-token index at which to suppress (0 = the first new token). */
  constructor(
    readonly tokens: readonly number[],
    readonly beginOffset = 0,
  ) {
    requireTokenIds('begin_suppress_tokens', tokens, true);
    requireInt('begin_index', beginOffset, 0);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      if (generatedLength(ids, b, ctx) === this.beginOffset) suppress(scores, b * vocabSize, this.tokens, vocabSize);
    }
  }
}
