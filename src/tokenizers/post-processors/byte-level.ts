/** ByteLevel post-processor: only trims 'Ġ' from offsets (trim_offsets); adds no tokens. */
import type { JsonObject } from '../config-reader.ts';
import type { Encoding } from '../encoding.ts';
import { PostProcessorBase, trimByteLevelOffsets } from './base.ts';

export class ByteLevelProcessor extends PostProcessorBase {
  readonly type = 'ByteLevel';
  constructor(
    readonly trimOffsets = true,
    readonly addPrefixSpace = true,
    readonly useRegex = true,
  ) {
    super();
  }
  addedTokens(): number {
    return 0;
  }
  processEncodings(encodings: Encoding[]): Encoding[] {
    if (this.trimOffsets) for (const e of encodings) trimByteLevelOffsets(e, this.addPrefixSpace);
    return encodings;
  }
  override processIds(ids: number[], pair: number[] | null): number[] {
    return pair === null ? ids : ids.concat(pair);
  }
  toJSON(): JsonObject {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}
