/** Small decoders: Fuse (join all), Strip (remove n copies of a char at each end), Replace, BPEDecoder (suffix). */
import type { JsonObject } from '../config-reader.ts';
import type { Decoder } from '../interfaces.ts';
import { findMatches, patternToJson, type Pattern } from '../pattern.ts';

export class FuseDecoder implements Decoder {
  readonly type = 'Fuse';
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}

export class StripDecoder implements Decoder {
  readonly type = 'Strip';
  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      const chars = [...t];
      let a = 0;
      while (a < this.start && a < chars.length && chars[a] === this.content) a++;
      let b = chars.length;
      let k = 0;
      while (k < this.stop && b > a && chars[b - 1] === this.content) {
        b--;
        k++;
      }
      return chars.slice(a, b).join('');
    });
  }
  toJSON(): JsonObject {
    return { type: this.type, content: this.content, start: this.start, stop: this.stop };
  }
}

export class ReplaceDecoder implements Decoder {
  readonly type = 'Replace';
  constructor(
    readonly pattern: Pattern,
    readonly content: string,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      let out = '';
      let prev = 0;
      for (const [a, b] of findMatches(this.pattern, t)) {
        if (b === a) continue;
        out += t.slice(prev, a) + this.content;
        prev = b;
      }
      return out + t.slice(prev);
    });
  }
  toJSON(): JsonObject {
    return { type: this.type, pattern: patternToJson(this.pattern), content: this.content };
  }
}

/** Classic BPE with an end-of-word suffix ('</w>'): the suffix becomes a space, except at the end. */
export class BPEDecoder implements Decoder {
  readonly type = 'BPEDecoder';
  constructor(readonly suffix = '</w>') {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.replaceAll(this.suffix, i === tokens.length - 1 ? '' : ' '));
  }
  toJSON(): JsonObject {
    return { type: this.type, suffix: this.suffix };
  }
}

export class DecoderSequence implements Decoder {
  readonly type = 'Sequence';
  constructor(readonly decoders: readonly Decoder[]) {}
  decodeChain(tokens: string[]): string[] {
    let t = tokens;
    for (const d of this.decoders) t = d.decodeChain(t);
    return t;
  }
  toJSON(): JsonObject {
    return { type: this.type, decoders: this.decoders.map((d) => d.toJSON()) };
  }
}
