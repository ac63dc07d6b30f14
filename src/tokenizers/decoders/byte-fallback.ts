/** ByteFallback decoder: runs of `<0xNN>` tokens become their UTF-8 text (one U+FFFD per byte if invalid). */
import type { JsonObject } from '../config-reader.ts';
import type { Decoder } from '../interfaces.ts';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const BYTE = /^<0x([0-9A-Fa-f]{2})>$/;

export class ByteFallbackDecoder implements Decoder {
  readonly type = 'ByteFallback';
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length === 0) return;
      try {
        out.push(strict.decode(Uint8Array.from(bytes)));
      } catch {
        for (let i = 0; i < bytes.length; i++) out.push('\uFFFD');
      }
      bytes = [];
    };
    for (const t of tokens) {
      const m = t.length === 6 ? BYTE.exec(t) : null;
      if (m !== null) bytes.push(parseInt(m[1]!, 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
