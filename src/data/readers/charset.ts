/**
 * Decoding web bytes to text the way a browser picks the encoding (WHATWG "encoding
 * sniffing", simplified): a byte-order mark, else the HTTP Content-Type charset, else a
 * <meta charset> / http-equiv declaration in the first 4 KiB, else UTF-8 when the bytes
 * are valid UTF-8, else windows-1252 (what browsers assume for undeclared legacy pages).
 * Node's TextDecoder (full ICU) knows every WHATWG label: Shift_JIS, GBK, EUC-KR, KOI8-R...
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

export interface Decoded {
  text: string;
  /** the encoding used (TextDecoder's canonical name) */
  charset: string;
  /** where it came from */
  source: 'bom' | 'header' | 'meta' | 'utf8-valid' | 'fallback';
}

const META_RE = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([a-z0-9_:.-]+)/i;

/** The charset parameter of a Content-Type value, or null. */
export function charsetOfContentType(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const m = /;\s*charset\s*=\s*["']?([^"';\s]+)/i.exec(contentType);
  return m ? (m[1] as string) : null;
}

// WHATWG maps these labels to windows-1252; Node's TextDecoder decodes "latin1" as true ISO-8859-1
// (0x80-0x9F as C1 controls), which turns a page's curly quotes, dashes and euro signs into controls
const WINDOWS_1252_LABELS = new Set([
  'ansi_x3.4-1968',
  'ascii',
  'cp1252',
  'cp819',
  'csisolatin1',
  'ibm819',
  'iso-8859-1',
  'iso-ir-100',
  'iso8859-1',
  'iso88591',
  'iso_8859-1',
  'iso_8859-1:1987',
  'l1',
  'latin1',
  'us-ascii',
  'windows-1252',
  'x-cp1252',
]);

// 0x80..0x9F of windows-1252 (WHATWG index; 0x81, 0x8D, 0x8F, 0x90, 0x9D map to themselves)
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** windows-1252 by its table: Node 20's TextDecoder('windows-1252') decodes 0x80-0x9F as C1 controls. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return s.replace(/[\x80-\x9f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80] as number));
}

function decodeWith(bytes: Uint8Array, label: string, source: Decoded['source']): Decoded | null {
  const l = label.trim().toLowerCase();
  if (WINDOWS_1252_LABELS.has(l)) return { text: decodeWindows1252(bytes), charset: 'windows-1252', source };
  let d: TextDecoder;
  try {
    d = new TextDecoder(l);
  } catch {
    return null; // not a WHATWG label
  }
  // a page declared as Latin-1 or ASCII that is in fact UTF-8 is common; browsers trust the label, so do we
  return { text: d.decode(bytes), charset: d.encoding, source };
}

/** Decodes HTML (or other web text) bytes. `contentType` is the HTTP header, when known. */
export function decodeWebBytes(bytes: Uint8Array, contentType?: string | null): Decoded {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), charset: 'utf-8', source: 'bom' };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), charset: 'utf-16le', source: 'bom' };
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), charset: 'utf-16be', source: 'bom' };
  const fromHeader = charsetOfContentType(contentType);
  if (fromHeader !== null) {
    const r = decodeWith(bytes, fromHeader, 'header');
    if (r !== null) return r;
  }
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
  const m = META_RE.exec(head);
  if (m) {
    const label = m[1] as string;
    // a UTF-16 declaration inside ASCII-compatible bytes is wrong by construction (WHATWG: use UTF-8)
    const r = /^utf-?16/i.test(label) ? null : decodeWith(bytes, label, 'meta');
    if (r !== null) return r;
  }
  if (isUtf8(bytes)) return { text: new TextDecoder('utf-8').decode(bytes), charset: 'utf-8', source: 'utf8-valid' };
  return { text: decodeWindows1252(bytes), charset: 'windows-1252', source: 'fallback' };
}
