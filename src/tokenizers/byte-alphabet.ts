/**
 * GPT-2's reversible byte <-> printable character map: bytes that are printable Latin-1 map to
 * themselves, the other 68 bytes map to U+0100.. in order (space 0x20 -> 'Ġ', '\n' -> 'Ċ').
 * Byte-level BPE works on these characters so every byte string is a string of "letters".
 */

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  const keep = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = String.fromCharCode(keep.has(b) ? b : 256 + next++);
  }
  return map;
}

/** byte -> its one-character stand-in. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** char code of a stand-in -> byte, -1 for characters outside the alphabet. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(0x200).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => (t[c.charCodeAt(0)] = b));
  return t;
})();

/** The 256 stand-in characters in byte order (the initial alphabet of a byte-level BPE). */
export function byteLevelAlphabet(): string[] {
  return BYTE_TO_CHAR.slice();
}

/** Maps a string's UTF-8 bytes to stand-in characters ('é' -> 'Ã©'). */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!]!;
  return s;
}

const encoder = new TextEncoder();
export function toByteLevel(text: string): string {
  return bytesToByteLevel(encoder.encode(text));
}

/** Stand-in characters back to bytes, or null if some character is not in the alphabet. */
export function byteLevelToBytes(s: string): Uint8Array | null {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 0x200 ? CHAR_TO_BYTE[c]! : -1;
    if (b < 0) return null;
    out[i] = b;
  }
  return out;
}

/**
 * UTF-8 bytes of text[start, end) written into `out` (grown as needed); returns the byte count.
 * Lone surrogates become U+FFFD (EF BF BD), as TextEncoder and tiktoken do.
 */
export function utf8Into(text: string, start: number, end: number, out: { buf: Uint8Array }): number {
  let buf = out.buf;
  if (buf.length < (end - start) * 3) {
    buf = new Uint8Array(Math.max((end - start) * 3, buf.length * 2));
    out.buf = buf;
  }
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
    } else if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[n++] = 0xf0 | (cp >> 18);
        buf[n++] = 0x80 | ((cp >> 12) & 63);
        buf[n++] = 0x80 | ((cp >> 6) & 63);
        buf[n++] = 0x80 | (cp & 63);
      } else {
        c = 0xfffd;
        buf[n++] = 0xef;
        buf[n++] = 0xbf;
        buf[n++] = 0xbd;
      }
    } else {
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 63);
      buf[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}
