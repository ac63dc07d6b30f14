/**
 * PII redaction: emails and IPv4 addresses as datatrove's PIIFormatter does (same
 * regexes, public IPs only by default, the same placeholder lists used round-robin,
 * the counter reset per input shard so output is deterministic), plus what datatrove
 * does not redact: IPv6 addresses, phone numbers (international +CC anywhere and the
 * national formats of `phone_regions`, each validated against libphonenumber-js's number
 * plans), IBANs (country length + mod-97) and payment card numbers (issuer prefix + Luhn).
 * Decoys are left alone: a "domain" ending in a file extension (logo@2x.png), a dotted
 * quad inside a longer dotted number or after "version", "section", "§"... (4.2.1.3).
 * Placeholders are reserved documentation values (RFC 3849 IPv6, the fictional 555-01xx
 * range) or values no pattern matches again. mode "tag" writes dolma-style
 * |||EMAIL_ADDRESS||| markers instead.
 */
import type { Stage } from './stage.ts';
import { findPhones, isCardNumber, isValidIban, looksLikeNumbering } from './pii-patterns.ts';

export interface PiiOptions {
  remove_emails: boolean;
  remove_ips: boolean;
  remove_ipv6: boolean;
  remove_phones: boolean;
  remove_ibans: boolean;
  remove_cards: boolean;
  /** ISO 3166 regions whose national phone formats (without +CC) are recognised */
  phone_regions: string[];
  only_remove_public_ips: boolean;
  mode: 'placeholder' | 'tag';
  email_replacement: string[];
  ip_replacement: string[];
  ipv6_replacement: string[];
  phone_replacement: string[];
  iban_replacement: string[];
  card_replacement: string[];
}

export const PII_DEFAULTS: PiiOptions = {
  remove_emails: true,
  remove_ips: true,
  remove_ipv6: true,
  remove_phones: true,
  remove_ibans: true,
  remove_cards: true,
  phone_regions: ['US'],
  only_remove_public_ips: true,
  mode: 'placeholder',
  email_replacement: ['email@example.com', 'firstname.lastname@example.org'],
  ip_replacement: [
    '22.214.171.124',
    '126.96.36.199',
    '188.8.131.52',
    '184.108.40.206',
    '220.127.116.11',
    '18.104.22.168',
  ],
  ipv6_replacement: ['2001:db8::1', '2001:db8::2'],
  phone_replacement: ['(555) 555-0100', '(555) 555-0199'],
  iban_replacement: ['XX00 0000 0000 0000 0000 00'],
  card_replacement: ['0000 0000 0000 0000'],
};

// datatrove's email pattern, made case-insensitive (its lowercase-only class misses "John.Doe@Example.com")
const EMAIL_RE =
  /\b[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?|\[(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[a-z0-9-]*[a-z0-9]:)\])/gi;
const EMAIL_AT_RE = new RegExp(EMAIL_RE.source, 'iy');
// characters of an e-mail local part (the first class of EMAIL_RE), by char code
const LOCAL_CHARS = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
  LOCAL_CHARS[c.charCodeAt(0)] = 1;
const isWordCode = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * The spans EMAIL_RE matches in a global scan, found in linear time. A global scan of EMAIL_RE
 * itself is quadratic (its local part backtracks over every start position of a long run such
 * as "&a&a&a...": 16 KB took 0.7 s). A match needs an "@": for each one, the local part is a
 * suffix of the run of local-part characters and dots before it, and the leftmost valid start
 * (on a word boundary, not a dot, after the last "..") is the only one worth one anchored try,
 * since the domain after the "@" does not depend on where the local part starts.
 */
export function findEmails(text: string): [number, number][] {
  const out: [number, number][] = [];
  let prevEnd = 0;
  for (let p = text.indexOf('@'); p !== -1; p = text.indexOf('@', p + 1)) {
    if (p < prevEnd || p === 0 || text.charCodeAt(p - 1) === 46) continue;
    let r = p;
    let from = -1; // first start allowed by the last ".." of the run
    while (r > prevEnd) {
      const c = text.charCodeAt(r - 1);
      if (c !== 46 && !(c < 128 && LOCAL_CHARS[c] === 1)) break;
      r--;
      if (from === -1 && c === 46 && text.charCodeAt(r + 1) === 46) from = r + 2;
    }
    for (let q = Math.max(r, from); q < p; q++) {
      const c = text.charCodeAt(q);
      if (c === 46) continue;
      const before = q > 0 && isWordCode(text.charCodeAt(q - 1));
      if (before === isWordCode(c)) continue; // \b
      EMAIL_AT_RE.lastIndex = q;
      const m = EMAIL_AT_RE.exec(text);
      if (m !== null) {
        out.push([q, q + m[0].length]);
        prevEnd = q + m[0].length;
      }
      break;
    }
  }
  return out;
}

/** Replaces each span with what `by` returns for its text. */
function replaceSpans(text: string, spans: readonly [number, number][], by: (match: string) => string): string {
  if (spans.length === 0) return text;
  const parts: string[] = [];
  let at = 0;
  for (const [b, e] of spans) {
    parts.push(text.slice(at, b), by(text.slice(b, e)));
    at = e;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

// datatrove's IPv4 pattern, not inside a longer dotted number (1.2.3.4.5, 10.1.2.3.4)
const IPV4_RE =
  /(?<![\d.])(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)(?!\.?\d)/g;
// an email "domain" ending in one of these is a file name (logo@2x.png, icon@3x.webp)
const FILE_EXTENSION_TLD =
  /\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico|tiff?|css|js|mjs|ts|json|pdf|zip|gz|tar|mp[34]|mov|avi|webm|woff2?|ttf|otf|html?|php|aspx?|txt|xml|ya?ml|md)$/i;
// seven digits with at most three non-digits between neighbours: the least a phone number has
const PHONE_HINT = /(?:\d[^\d\n]{0,3}){6}\d/;
const IBAN_RE = /\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,4})?\b/g;
// 13-19 digits in groups of 4 (one separator kind), or Amex's 4-6-5, or unbroken
const CARD_RE = /(?<![\d-])(?:\d{4}([ -]?)\d{4}\1\d{4}\1\d{1,7}|3[47]\d{2}([ -]?)\d{6}\2\d{5})(?![\d-])/g;
// candidate IPv6 tokens; validated by parseIPv6 below
const IPV6_RE = /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])/gi;

/** Python ipaddress.ip_address(x).is_global for IPv4 (IANA special-purpose registry). */
export function isGlobalIPv4(ip: string): boolean {
  const p = ip.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return false;
  const [a, b, c] = p as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // shared address space
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 192 && b === 168) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  if (a >= 240) return false; // reserved + broadcast
  return true;
}

/** Parses an IPv6 address into 8 groups, or null. */
export function parseIPv6(s: string): number[] | null {
  let tail4: number[] = [];
  let str = s;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const parts = (v4[1] as string).split('.').map(Number);
    if (parts.some((x) => x > 255)) return null;
    tail4 = [((parts[0] as number) << 8) | (parts[1] as number), ((parts[2] as number) << 8) | (parts[3] as number)];
    str = s.slice(0, s.length - (v4[1] as string).length) + (s.endsWith('::' + v4[1]) ? '' : '0');
    if (str.endsWith(':0')) str = str.slice(0, -2);
  }
  const halves = str.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parse(halves[0] as string);
  const right = halves.length === 2 ? parse(halves[1] as string) : [];
  if (left === null || right === null) return null;
  const have = left.length + right.length + tail4.length;
  if (halves.length === 1) return have === 8 ? [...left, ...tail4] : null;
  if (have > 7) return null;
  return [...left, ...new Array<number>(8 - have).fill(0), ...right, ...tail4];
}

/** Python's is_global for IPv6: global unicast (2000::/3) minus documentation/ULA-like ranges. */
export function isGlobalIPv6(groups: readonly number[]): boolean {
  const g0 = groups[0] as number;
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && (groups[1] as number) === 0x0db8) return false; // documentation
  if (g0 === 0x2001 && (groups[1] as number) < 0x0200) return false; // IETF protocol assignments
  return true;
}

export function pii(opts: Partial<PiiOptions> = {}): Stage {
  const o: PiiOptions = { ...PII_DEFAULTS, ...opts };
  const tag = o.mode === 'tag';
  const rr = { email: 0, ip: 0, ipv6: 0, phone: 0, iban: 0, card: 0 };
  const pick = (kind: keyof typeof rr, list: readonly string[], tagText: string): string => {
    if (tag) return tagText;
    const r = list[rr[kind] % list.length] as string;
    rr[kind]++;
    return r;
  };
  return {
    name: 'pii',
    startShard() {
      rr.email = rr.ip = rr.ipv6 = rr.phone = rr.iban = rr.card = 0;
    },
    apply(doc, count) {
      let t = doc.text;
      if (o.remove_emails && t.includes('@')) {
        t = replaceSpans(t, findEmails(t), (m) => {
          if (FILE_EXTENSION_TLD.test(m)) return m;
          count('emails');
          return pick('email', o.email_replacement, '|||EMAIL_ADDRESS|||');
        });
      }
      if (o.remove_ibans) {
        t = t.replace(IBAN_RE, (m) => {
          if (!isValidIban(m)) return m;
          count('ibans');
          return pick('iban', o.iban_replacement, '|||IBAN|||');
        });
      }
      if (o.remove_cards) {
        t = t.replace(CARD_RE, (m) => {
          if (!isCardNumber(m)) return m;
          count('cards');
          return pick('card', o.card_replacement, '|||CREDIT_CARD_NUMBER|||');
        });
      }
      if (o.remove_ips && t.includes('.')) {
        t = t.replace(IPV4_RE, (m, offset: number, whole: string) => {
          if (o.only_remove_public_ips && !isGlobalIPv4(m)) return m;
          if (looksLikeNumbering(whole, offset)) return m;
          count('ipv4');
          return pick('ip', o.ip_replacement, '|||IP_ADDRESS|||');
        });
      }
      if (o.remove_ipv6 && t.includes(':')) {
        t = t.replace(IPV6_RE, (m) => {
          const g = parseIPv6(m);
          if (g === null) return m;
          if (o.only_remove_public_ips && !isGlobalIPv6(g)) return m;
          count('ipv6');
          return pick('ipv6', o.ipv6_replacement, '|||IP_ADDRESS|||');
        });
      }
      if (o.remove_phones && PHONE_HINT.test(t)) {
        const spans = findPhones(t, o.phone_regions);
        if (spans.length > 0) {
          const parts: string[] = [];
          let at = 0;
          for (const sp of spans) {
            if (sp.start < at) continue;
            parts.push(t.slice(at, sp.start));
            count('phones');
            parts.push(pick('phone', o.phone_replacement, '|||PHONE_NUMBER|||'));
            at = sp.end;
          }
          parts.push(t.slice(at));
          t = parts.join('');
        }
      }
      if (t !== doc.text) {
        count('documents_redacted');
        doc.text = t;
      }
      return undefined;
    },
  };
}
