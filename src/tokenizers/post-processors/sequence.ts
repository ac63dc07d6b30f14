/** Applies post-processors in order (each sees the previous one's list of encodings). */
import type { JsonObject } from '../config-reader.ts';
import type { Encoding } from '../encoding.ts';
import { PostProcessorBase } from './base.ts';

export class PostProcessorSequence extends PostProcessorBase {
  readonly type = 'Sequence';
  constructor(readonly processors: readonly PostProcessorBase[]) {
    super();
  }
  addedTokens(isPair: boolean): number {
    return this.processors.reduce((n, p) => n + p.addedTokens(isPair), 0);
  }
  processEncodings(encodings: Encoding[], add: boolean): Encoding[] {
    let list = encodings;
    for (const p of this.processors) list = p.processEncodings(list, add);
    return list;
  }
  override processIds(ids: number[], pair: number[] | null): number[] {
    // the ids-only path: only a template-style processor changes ids; apply them in order
    let a = ids;
    let b = pair;
    for (const p of this.processors) {
      if (p.processIds === undefined) continue;
      a = p.processIds(a, b);
      b = null;
    }
    return b === null ? a : a.concat(b);
  }
  toJSON(): JsonObject {
    return { type: this.type, processors: this.processors.map((p) => p.toJSON()) };
  }
}
