/** WordPiece decoder: '##x' joins the previous token, others get a space; optional cleanup of " ." etc. */
import type { JsonObject } from '../config-reader.ts';
import type { Decoder } from '../interfaces.ts';

/** HF's `cleanup` of tokenization spaces. */
export function cleanupTokenizationSpaces(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

export class WordPieceDecoder implements Decoder {
  readonly type = 'WordPiece';
  constructor(
    readonly prefix = '##',
    readonly cleanup = true,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let s = t;
      if (i !== 0) s = s.startsWith(this.prefix) ? s.slice(this.prefix.length) : ` ${s}`;
      return this.cleanup ? cleanupTokenizationSpaces(s) : s;
    });
  }
  toJSON(): JsonObject {
    return { type: this.type, prefix: this.prefix, cleanup: this.cleanup };
  }
}
