/** ByteLevel decoder: stand-in characters back to bytes, then UTF-8 (lossy, U+FFFD for bad bytes). */
import type { JsonObject } from '../config-reader.ts';
import type { Decoder } from '../interfaces.ts';
import { CHAR_TO_BYTE } from '../byte-alphabet.ts';

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

export class ByteLevelDecoder implements Decoder {
  readonly type = 'ByteLevel';
  decodeChain(tokens: string[]): string[] {
    let total = 0;
    for (const t of tokens) total += t.length * 3;
    const buf = new Uint8Array(total);
    let n = 0;
    for (const t of tokens) {
      const start = n;
      let ok = true;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const b = c < 0x200 ? CHAR_TO_BYTE[c]! : -1;
        if (b < 0) {
          ok = false;
          break;
        }
        buf[n++] = b;
      }
      // a token with a character outside the alphabet (an added token) contributes its own UTF-8
      if (!ok) {
        const raw = encoder.encode(t);
        buf.set(raw, start);
        n = start + raw.length;
      }
    }
    return [utf8.decode(buf.subarray(0, n))];
  }
  toJSON(): JsonObject {
    return { type: this.type, add_prefix_space: true, trim_offsets: true, use_regex: true };
  }
}
