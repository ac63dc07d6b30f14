/**
 * ForcedBOS / ForcedEOS (HF): when a row has exactly one token (the decoder start of
 * an encoder-decoder model), every score but the BOS id becomes -inf and BOS gets 0.
 * When a row is about to generate its last allowed token (generated ==
 * max_new_tokens - 1), only the EOS ids stay, at 0.
 */
import { checkScores, generatedLength, type LogitsProcessor, type ProcessContext } from '../processor.ts';
import { requireInt, requireTokenIds } from '../validate.ts';

function force(scores: Float32Array, off: number, keep: readonly number[], vocabSize: number): void {
  scores.fill(-Infinity, off, off + vocabSize);
  for (const t of keep) if (t < vocabSize) scores[off + t] = 0;
}

export class ForcedBOSProcessor implements LogitsProcessor {
  readonly name = 'forced_bos_token_id';
  constructor(readonly bosTokenId: number) {
    requireInt('forced_bos_token_id', bosTokenId, 0);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) if (ids[b]!.length === 1) force(scores, b * vocabSize, [this.bosTokenId], vocabSize);
  }
}

export class ForcedEOSProcessor implements LogitsProcessor {
  readonly name = 'forced_eos_token_id';
  constructor(readonly eosTokenIds: readonly number[]) {
    requireTokenIds('forced_eos_token_id', eosTokenIds);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    const maxNew = ctx?.maxNewTokens ?? Infinity;
    for (let b = 0; b < rows; b++) {
      if (generatedLength(ids, b, ctx) === maxNew - 1) force(scores, b * vocabSize, this.eosTokenIds, vocabSize);
    }
  }
}
