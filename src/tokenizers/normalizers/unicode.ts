/**
 * Unicode normalization forms (NFC, NFD, NFKC, NFKD) with alignment. Each base character and
 * the combining marks after it form a segment normalized on its own; every output character
 * inherits the segment's span. If segment-wise normalization ever differs from normalizing the
 * whole string (e.g. conjoining Hangul jamo), the differing middle is aligned as one span.
 */
import type { JsonObject } from '../config-reader.ts';
import type { Normalizer } from '../interfaces.ts';
import type { NormalizedString } from '../normalized-string.ts';

export type UnicodeForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

/**
 * Segments that normalization can change: a base with its combining marks, any other non-ASCII
 * character, or leading marks. ASCII characters without marks are invariant in every form.
 */
const SEGMENT = /\P{M}\p{M}+|[^\x00-\x7f]|\p{M}+/gu;

export function normalizeAligned(ns: NormalizedString, form: UnicodeForm): void {
  const s = ns.normalized;
  const full = s.normalize(form);
  if (full === s) return;
  const edits: [number, number, string][] = [];
  SEGMENT.lastIndex = 0;
  for (let m = SEGMENT.exec(s); m !== null; m = SEGMENT.exec(s)) {
    const seg = m[0];
    const out = seg.normalize(form);
    // the normalized segment inherits the span of the whole segment (replaceRanges does that)
    if (out !== seg) edits.push([m.index, m.index + seg.length, out]);
  }
  SEGMENT.lastIndex = 0;
  const before = ns.normalized;
  const starts = ns.starts;
  const ends = ns.ends;
  ns.replaceRanges(edits);
  if (ns.normalized === full) return;
  // segment-wise normalization differed from the whole string (e.g. conjoining Hangul jamo):
  // keep the common prefix/suffix aligned and map the differing middle as one span
  ns.normalized = before;
  ns.starts = starts;
  ns.ends = ends;
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
