/**
 * Unicode normalization forms (NFC, NFD, NFKC, NFKD) with alignment. Each base character and
 * the combining marks after it form a segment normalized on its own; every output character
 * inherits the segment's span. If segment-wise normalization ever differs from normalizing the
 * whole string (e.g. conjoining Hangul jamo), the differing middle is aligned as one span.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import { AlignmentBuilder, type NormalizedString } from '../normalized-string.ts';

export type UnicodeForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

const SEGMENT = /\P{M}\p{M}*|\p{M}+/gsu;

export function normalizeAligned(ns: NormalizedString, form: UnicodeForm): void {
  const s = ns.normalized;
  const full = s.normalize(form);
  if (full === s) return;
  const b = new AlignmentBuilder();
  SEGMENT.lastIndex = 0;
  for (let m = SEGMENT.exec(s); m !== null; m = SEGMENT.exec(s)) {
    const seg = m[0];
    const [lo, hi] = ns.originalRange(m.index, m.index + seg.length);
    b.push(seg.normalize(form), lo, hi);
  }
  const [text, starts, ends] = b.finish();
  if (text === full) {
    ns.normalized = text;
    ns.starts = starts;
    ns.ends = ends;
    return;
  }
  // fallback: keep the common prefix/suffix aligned, map the differing middle as one span
  let p = 0;
  while (p < s.length && p < full.length && s[p] === full[p]) p++;
  let q = 0;
  while (q < s.length - p && q < full.length - p && s[s.length - 1 - q] === full[full.length - 1 - q]) q++;
  ns.replaceRanges([[p, s.length - q, full.slice(p, full.length - q)]]);
}

export class UnicodeNormalizer implements Normalizer {
  constructor(readonly type: UnicodeForm) {}
  normalize(ns: NormalizedString): void {
    normalizeAligned(ns, this.type);
  }
  normalizeString(text: string): string {
    return text.normalize(this.type);
  }
  toJSON(): JsonObject {
    return { type: this.type };
  }
}
