/** BertProcessing: [CLS] A [SEP] (B [SEP]); type ids 0 for the first part, 1 for B [SEP]. */
import type { JsonObject } from '../config-reader.ts';
import type { Encoding } from '../encoding.ts';
import { PostProcessorBase, specialEncoding } from './base.ts';

export class BertProcessing extends PostProcessorBase {
  readonly type = 'BertProcessing';
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
  ) {
    super();
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 3 : 2;
  }
  processEncodings(encodings: Encoding[], add: boolean): Encoding[] {
    if (!add) return encodings;
    const [a, b] = encodings;
    const out = [
      specialEncoding([this.cls[1]], [this.cls[0]], 0),
      a!.setSequence(0, 0),
      specialEncoding([this.sep[1]], [this.sep[0]], 0),
    ];
    if (b !== undefined) out.push(b.setSequence(1, 1), specialEncoding([this.sep[1]], [this.sep[0]], 1));
    return out;
  }
  override processIds(ids: number[], pair: number[] | null): number[] {
    const out = [this.cls[1], ...ids, this.sep[1]];
    if (pair !== null) out.push(...pair, this.sep[1]);
    return out;
  }
  toJSON(): JsonObject {
    return { type: this.type, sep: [...this.sep], cls: [...this.cls] };
  }
}
