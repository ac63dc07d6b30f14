/**
 * The `pattern` field of Split / Replace: `{ "String": "..." }` or `{ "Regex": "..." }`.
 * tokenizer.json regexes are written for Oniguruma (Rust tokenizers); we translate the parts
 * whose meaning differs in JavaScript `u` mode:
 * - `\s` / `\S` -> `\p{White_Space}` / `\P{White_Space}` (JS `\s` adds U+FEFF and lacks U+0085)
 * - `\d` / `\D` -> `\p{Nd}` / `\P{Nd}`; `\w` / `\W` -> Unicode word characters
 * - `(?i:a|b)` groups of literals -> explicit case alternatives (Node 20 lacks modifiers),
 *   including the Unicode simple case folds 's' <-> 'ſ' and 'k' <-> 'K' (Kelvin).
 */
import type { ConfigReader, JsonObject } from './config-reader.ts';

export interface Pattern {
  kind: 'String' | 'Regex';
  /** The string as written in tokenizer.json. */
  source: string;
  /** Global, unicode regex that finds the matches. */
  re: RegExp;
}

const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';

function foldClass(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  const set = new Set([ch, lo, up]);
  if (lo === 's') set.add('\u017f');
  if (lo === 'k') set.add('\u212a');
  if (set.size === 1) return escapeChar(ch);
  return `[${[...set].map(escapeChar).join('')}]`;
}

function escapeChar(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** Oniguruma -> JavaScript (u flag) for the constructs tokenizer files use. */
export function translateRegex(src: string): string {
  let out = '';
  let inClass = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      const n = src[i + 1]!;
      i++;
      if (n === 's') out += '\\p{White_Space}';
      else if (n === 'S') out += '\\P{White_Space}';
      else if (n === 'd') out += '\\p{Nd}';
      else if (n === 'D') out += '\\P{Nd}';
      else if (n === 'w') out += inClass > 0 ? WORD : `[${WORD}]`;
      else if (n === 'W' && inClass === 0) out += `[^${WORD}]`;
      else out += c + n;
      continue;
    }
    if (c === '[') inClass++;
    else if (c === ']' && inClass > 0) inClass--;
    if (inClass === 0 && src.startsWith('(?i:', i)) {
      const close = src.indexOf(')', i);
      const body = src.slice(i + 4, close);
      if (close > 0 && /^[\p{L}'|[\]]*$/u.test(body)) {
        let inBracket = false;
        let t = '';
        for (const ch of body) {
          if (ch === '[' || ch === ']') {
            inBracket = ch === '[';
            t += ch;
          } else if (ch === '|') t += '|';
          else if (!/\p{L}/u.test(ch)) t += escapeChar(ch);
          else t += inBracket ? foldClass(ch).replace(/^\[|\]$/g, '') : foldClass(ch);
        }
        out += `(?:${t})`;
        i = close;
        continue;
      }
    }
    out += c;
  }
  return out;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

export function stringPattern(s: string): Pattern {
  return { kind: 'String', source: s, re: new RegExp(escapeRegExp(s), 'gu') };
}

export function regexPattern(source: string): Pattern {
  return { kind: 'Regex', source, re: new RegExp(translateRegex(source), 'gu') };
}

export function patternFromJson(cfg: ConfigReader, key: string): Pattern {
  const p = cfg.object(key);
  if (p.has('String')) return stringPattern(p.string('String'));
  if (p.has('Regex')) {
    const src = p.string('Regex');
    try {
      return regexPattern(src);
    } catch (err) {
      p.fail('Regex', `regex not supported in JavaScript: ${(err as Error).message}`);
    }
  }
  return cfg.fail(key, 'expected {"String": ...} or {"Regex": ...}');
}

export function patternToJson(p: Pattern): JsonObject {
  return { [p.kind]: p.source };
}

/** Non-overlapping match ranges; empty matches are skipped for String patterns. */
export function findMatches(p: Pattern, text: string): [number, number][] {
  const out: [number, number][] = [];
  if (p.kind === 'String') {
    if (p.source.length === 0) return out;
    for (let i = text.indexOf(p.source); i >= 0; i = text.indexOf(p.source, i + p.source.length))
      out.push([i, i + p.source.length]);
    return out;
  }
  const re = p.re;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const a = m.index;
    const b = a + m[0].length;
    out.push([a, b]);
    if (b === a) re.lastIndex = a + (text.codePointAt(a)! > 0xffff ? 2 : 1);
  }
  re.lastIndex = 0;
  return out;
}
