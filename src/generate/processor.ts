/**
 * The logits-processor interface. A processor edits a batch of score rows in place:
 * scores is [B, V] batch-major, ids[b] is row b's token sequence so far (its real
 * prompt tokens, without left padding, followed by the tokens generated for it).
 * A removed token gets -Infinity.
 */
import { ShapeError } from '../core/errors.ts';

/** Per-call facts some processors need beyond the ids (all indexed by row). */
export interface ProcessContext {
  /** Length of each row's prompt inside ids[b]; ids[b].length - promptLengths[b] tokens were generated. */
  readonly promptLengths: readonly number[];
  /** The generation budget: new tokens per row (ForcedEOS fires at the last one). */
  readonly maxNewTokens: number;
  /** The prompt (batch item) each row belongs to; beams and returned sequences of one prompt share it. */
  readonly batchIndex: readonly number[];
  /** Encoder input ids per row (encoder-decoder models only). */
  readonly encoderIds?: readonly (readonly number[])[];
}

export interface LogitsProcessor {
  /** A short name for logs and for replacing a default processor by a custom one of the same name. */
  readonly name: string;
  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void;
}

/** A context with no prompt and no length limit, for a processor called on its own. */
export function defaultContext(rows: number): ProcessContext {
  return {
    promptLengths: new Array<number>(rows).fill(0),
    maxNewTokens: Infinity,
    batchIndex: Array.from({ length: rows }, (_, i) => i),
  };
}

/** Checks scores is [ids.length, vocabSize]; returns the batch size. */
export function checkScores(
  op: string,
  ids: readonly (readonly number[])[],
  scores: Float32Array,
  vocabSize: number,
): number {
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) {
    throw new ShapeError(op, `vocabSize must be a positive integer, got ${vocabSize}`);
  }
  if (scores.length !== ids.length * vocabSize) {
    throw new ShapeError(op, `scores must be [B, V] = [${ids.length}, ${vocabSize}] (one row per id sequence)`, [
      [scores.length],
    ]);
  }
  return ids.length;
}

/** Number of tokens generated so far in row b. */
export function generatedLength(
  ids: readonly (readonly number[])[],
  b: number,
  ctx: ProcessContext | undefined,
): number {
  return ids[b]!.length - (ctx?.promptLengths[b] ?? 0);
}
