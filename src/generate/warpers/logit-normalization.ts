/** LogitNormalization (HF, renormalize_logits): a final log_softmax over each row. */
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { logSoftmax, row } from '../math.ts';

export class LogitNormalization implements LogitsProcessor {
  readonly name = 'renormalize_logits';
  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (let b = 0; b < rows; b++) {
      const r = row(scores, b, vocabSize);
      r.set(logSoftmax(r));
    }
  }
}
