/** RobertaProcessing: <s> A </s> (</s> B </s>), all type ids 0, optional byte-level offset trimming. */
import type { JsonObject } from '../config-reader.ts';
import type { Encoding } from '../encoding.ts';
import { PostProcessorBase, specialEncoding, trimByteLevelOffsets } from './base.ts';

export class RobertaProcessing extends PostProcessorBase {
  readonly type = 'RobertaProcessing';
  constructor(
    readonly sep: [string, number],
    readonly cls: [string, number],
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
  ) {
    super();
  }
  addedTokens(isPair: boolean): number {
    return isPair ? 4 : 2;
  }
  processEncodings(encodings: Encoding[], add: boolean): Encoding[] {
    if (this.trimOffsets) for (const e of encodings) trimByteLevelOffsets(e, this.addPrefixSpace);
    if (!add) return encodings;
    const [a, b] = encodings;
    const sep = (): Encoding => specialEncoding([this.sep[1]], [this.sep[0]], 0);
    const out = [specialEncoding([this.cls[1]], [this.cls[0]], 0), a!.setSequence(0, 0), sep()];
    if (b !== undefined) out.push(sep(), b.setSequence(1, 0), sep());
    return out;
  }
  override processIds(ids: number[], pair: number[] | null): number[] {
    const out = [this.cls[1], ...ids, this.sep[1]];
    if (pair !== null) out.push(this.sep[1], ...pair, this.sep[1]);
    return out;
  }
  toJSON(): JsonObject {
    return {
      type: this.type,
      sep: [...this.sep],
      cls: [...this.cls],
      trim_offsets: this.trimOffsets,
      add_prefix_space: this.addPrefixSpace,
    };
  }
}
