/**
 * The row loop of the warpers that cut by probability (top-p, min-p, epsilon, eta): check the
 * [B, V] shape, then hand each score row and its softmax to `cut`, which sets the removed
 * entries of the row to -inf in place. One loop so they all treat rows (and shapes) alike.
 */
import { row, softmax } from '../math.ts';
import { checkScores } from '../processor.ts';

export function forEachRowProbs(
  op: string,
  ids: readonly (readonly number[])[],
  scores: Float32Array,
  vocabSize: number,
  cut: (r: Float32Array, p: Float64Array) => void,
): void {
  const rows = checkScores(op, ids, scores, vocabSize);
  for (let b = 0; b < rows; b++) {
    const r = row(scores, b, vocabSize);
    cut(r, softmax(r));
  }
}
