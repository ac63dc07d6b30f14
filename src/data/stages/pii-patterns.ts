/**
 * Checks behind the PII stage's patterns that a regex alone cannot make: phone numbers
 * validated against libphonenumber-js's full metadata (number plans of every region, so
 * "+44 20 7946 0958" and "(212) 555-1234" are found and "section 4.2.1.3" is not), IBANs
 * by country length and the ISO 13616 mod-97 checksum, payment card numbers by issuer
 * prefix and the Luhn checksum, and the context that makes a dotted quad a version or a
 * section number rather than an address.
 */
import { findNumbers } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';

export interface Span {
  start: number;
  end: number;
}

/** Phone numbers in `text`: international (+CC) anywhere, national formats of `regions`. */
export function findPhones(text: string, regions: readonly string[]): Span[] {
  const spans: Span[] = [];
  const seen = new Set<string>();
  const list = regions.length > 0 ? regions : [undefined];
  for (const region of list) {
    const found = findNumbers(text, {
      ...(region !== undefined ? { defaultCountry: region as CountryCode } : {}),
      v2: true,
    });
    for (const m of found) {
      const key = `${m.startsAt}:${m.endsAt}`;
      if (seen.has(key) || !m.number.isValid()) continue;
      seen.add(key);
      spans.push({ start: m.startsAt, end: m.endsAt });
    }
  }
  return spans.sort((a, b) => a.start - b.start);
}

// ISO 13616 IBAN lengths by country (the SWIFT registry)
const IBAN_LENGTH: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

/** ISO 13616: the right length for its country and (rearranged, letters as 10..35) mod 97 = 1. */
export function isValidIban(raw: string): boolean {
  const s = raw.replace(/[\s-]/g, '').toUpperCase();
  const len = IBAN_LENGTH[s.slice(0, 2)];
  if (len === undefined || s.length !== len || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  const r = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const c = ch.charCodeAt(0);
    const v = c >= 65 ? c - 55 : c - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** Luhn (ISO/IEC 7812) checksum over the digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

/** An issuer prefix and length a real card network uses (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
export function isCardNumber(raw: string): boolean {
  const d = raw.replace(/[\s-]/g, '');
  if (!/^\d{13,19}$/.test(d) || !luhnValid(d)) return false;
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4') return n === 13 || n === 16 || n === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // Amex
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return n >= 16; // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return n >= 14; // Diners
  if (p2 === 62) return n >= 16; // UnionPay
  if (p2 === 50 || (p2 >= 56 && p2 <= 58) || p2 === 63 || p2 === 67) return n >= 12; // Maestro
  return false;
}

// a dotted quad right after these words is a version, section or figure number, not an address
const NUMBERING_CONTEXT =
  /(?:\b(?:v|ver|version|versions|release|build|rev|revision|section|sections|sec|ch|chapter|clause|article|art|rule|step|fig|figure|table|paragraph|para|item|appendix|part|no|number|isbn|oid|rfc|api|sdk|node|python|java|firmware|kernel|update|patch)\.?|§+|¶)\s*$/i;

export function looksLikeNumbering(text: string, start: number): boolean {
  return NUMBERING_CONTEXT.test(text.slice(Math.max(0, start - 24), start));
}
