/**
 * MinLength and MinNewTokens (HF): every EOS id gets -inf while the row is too short.
 * min_length counts the whole row, prompt included; min_new_tokens counts generated
 * tokens only. (HF counts the left padding too; llmts rows carry no padding, so a
 * row behaves as if it were generated alone.)
 */
import { checkScores, generatedLength, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requireInt, requireTokenIds } from '../validate.ts';

function suppressEos(scores: Float32Array, off: number, eos: readonly number[], vocabSize: number): void {
  for (const e of eos) if (e < vocabSize) scores[off + e] = -Infinity;
}

export class MinLengthProcessor implements LogitsProcessor {
  readonly name = 'min_length';
  constructor(
    readonly minLength: number,
    readonly eosTokenIds: readonly number[],
  ) {
    requireInt('min_length', minLength, 0);
    requireTokenIds('eos_token_id', eosTokenIds);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      if (ids[b]!.length < this.minLength) suppressEos(scores, b * vocabSize, this.eosTokenIds, vocabSize);
    }
  }
}

export class MinNewTokensProcessor implements LogitsProcessor {
  readonly name = 'min_new_tokens';
  constructor(
    readonly minNewTokens: number,
    readonly eosTokenIds: readonly number[],
  ) {
    requireInt('min_new_tokens', minNewTokens, 0);
    requireTokenIds('eos_token_id', eosTokenIds);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      if (generatedLength(ids, b, ctx) < this.minNewTokens)
        suppressEos(scores, b * vocabSize, this.eosTokenIds, vocabSize);
    }
  }
}
