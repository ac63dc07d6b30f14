/**
 * The split regexes of OpenAI's encodings, as written for tiktoken / tokenizer.json
 * (Oniguruma / fancy-regex syntax). `compilePattern` gives the JavaScript equivalent
 * (pattern.ts translates `\s` to White_Space and expands `(?i:...)`).
 */
import { translateRegex } from '../pattern.ts';

/** GPT-2 / r50k / p50k (also HF ByteLevel's built-in regex). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** cl100k_base (GPT-3.5 / GPT-4). */
export const CL100K_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** o200k_base (GPT-4o). */
export const O200K_PATTERN = [
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
  '\\p{N}{1,3}',
  ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
  '\\s*[\\r\\n]+',
  '\\s+(?!\\S)',
  '\\s+',
].join('|');

export type KnownPattern = 'gpt2' | 'cl100k' | 'o200k';

/** Recognises the known patterns, also in the equivalent spellings other converters write. */
export function identifyPattern(source: string): KnownPattern | null {
  const s = source.replace(/\?\+/g, '?').replace(/\+\+/g, '+');
  if (s === GPT2_PATTERN) return 'gpt2';
  if (
    s === CL100K_PATTERN ||
    s ===
      "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"
  )
    return 'cl100k';
  if (s === O200K_PATTERN) return 'o200k';
  return null;
}

export function patternSource(name: KnownPattern): string {
  return name === 'gpt2' ? GPT2_PATTERN : name === 'cl100k' ? CL100K_PATTERN : O200K_PATTERN;
}

export function compilePattern(source: string): RegExp {
  return new RegExp(translateRegex(source), 'gu');
}
