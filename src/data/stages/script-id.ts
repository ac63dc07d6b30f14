/**
 * Script identification by Unicode script property: counts the letters of each script
 * and names the dominant one with its share of all letters. Scripts are reported in
 * coarse groups (Latin, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Thai, CJK) plus
 * "other" and "none" (no letters). Adds metadata.script and metadata.script_score;
 * rejects documents whose script is not in `keep` or whose score is below min_score.
 */
import type { Stage } from './stage.ts';

export const SCRIPT_GROUPS = [
  'none',
  'Latin',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Thai',
  'CJK',
  'other',
] as const;
export type ScriptGroup = (typeof SCRIPT_GROUPS)[number];

const PROBES: [number, RegExp][] = [
  [1, /\p{Script=Latin}/u],
  [2, /\p{Script=Cyrillic}/u],
  [3, /\p{Script=Greek}/u],
  [4, /\p{Script=Arabic}/u],
  [5, /\p{Script=Hebrew}/u],
  [6, /\p{Script=Devanagari}/u],
  [7, /\p{Script=Thai}/u],
  [8, /\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u],
];
const LETTER = /\p{L}/u;

let BMP: Uint8Array | null = null;
// code -> group index for the BMP; 0 = not a letter, 9 = a letter of another script
function classifyCodePoint(cp: number): number {
  const ch = String.fromCodePoint(cp);
  if (!LETTER.test(ch)) return 0;
  for (const [g, re] of PROBES) if (re.test(ch)) return g;
  return 9;
}
function bmpTable(): Uint8Array {
  if (BMP === null) {
    BMP = new Uint8Array(65536);
    for (let cp = 0; cp < 65536; cp++) if (cp < 0xd800 || cp > 0xdfff) BMP[cp] = classifyCodePoint(cp);
  }
  return BMP;
}

export interface ScriptResult {
  script: ScriptGroup;
  /** share of the letters that belong to `script` (0 when there are no letters) */
  score: number;
  /** letters per group */
  counts: number[];
}

export function identifyScript(text: string): ScriptResult {
  const table = bmpTable();
  const counts = new Array<number>(SCRIPT_GROUPS.length).fill(0);
  let letters = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let g: number;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      g = classifyCodePoint(text.codePointAt(i) as number);
      i++;
    } else g = table[c] as number;
    if (g !== 0) {
      counts[g] = (counts[g] as number) + 1;
      letters++;
    }
  }
  if (letters === 0) return { script: 'none', score: 0, counts };
  let best = 1;
  for (let g = 2; g < counts.length; g++) if ((counts[g] as number) > (counts[best] as number)) best = g;
  return { script: SCRIPT_GROUPS[best] as ScriptGroup, score: (counts[best] as number) / letters, counts };
}

export interface ScriptFilterOptions {
  /** groups to keep; empty = keep all (annotate only) */
  keep: string[];
  min_score: number;
}

export function scriptFilter(opts: Partial<ScriptFilterOptions> = {}): Stage {
  const keep = new Set(opts.keep ?? []);
  const minScore = opts.min_score ?? 0;
  return {
    name: 'script_filter',
    apply(doc, count) {
      const r = identifyScript(doc.text);
      doc.metadata['script'] = r.script;
      doc.metadata['script_score'] = Math.round(r.score * 1e4) / 1e4;
      count(`script_${r.script}`);
      if (keep.size > 0 && !keep.has(r.script)) return `script_${r.script}`;
      if (r.score < minScore) return 'script_score_below_threshold';
      return undefined;
    },
  };
}
