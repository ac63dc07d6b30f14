/** Metaspace decoder: '▁' -> ' ', dropping the one the pre-tokenizer prepended to the first token. */
import type { JsonObject } from '../config-reader.ts';
import type { Decoder } from '../interfaces.ts';
import type { PrependScheme } from '../pre-tokenizers/metaspace.ts';

export class MetaspaceDecoder implements Decoder {
  readonly type = 'Metaspace';
  constructor(
    readonly replacement = '\u2581',
    readonly prependScheme: PrependScheme = 'always',
    readonly split = true,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let out = '';
      for (const c of t) {
        if (c === this.replacement) {
          if (!(i === 0 && this.prependScheme !== 'never')) out += ' ';
        } else out += c;
      }
      return out;
    });
  }
  toJSON(): JsonObject {
    return { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}
