/**
 * The hand-written GPT-2 / cl100k scanners against the regexes they replace (translated from
 * the tiktoken patterns): same pieces on adversarial strings and on random ones (fast-check).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { scanGpt2 } from '../../src/tokenizers/pre-tokenizers/scan-gpt2.ts';
import { scanCl100k } from '../../src/tokenizers/pre-tokenizers/scan-cl100k.ts';
import { scanO200k } from '../../src/tokenizers/pre-tokenizers/scan-o200k.ts';
import { regexScanner, scanToStrings, type Scanner } from '../../src/tokenizers/pre-tokenizers/scanners.ts';
import {
  CL100K_PATTERN,
  GPT2_PATTERN,
  O200K_PATTERN,
  compilePattern,
} from '../../src/tokenizers/pre-tokenizers/patterns.ts';
import { LONE_SURROGATES, TEXTS } from './helpers.ts';

function pieces(scan: Scanner, text: string): string[] {
  return scanToStrings(scan, text);
}

const UNITS = fc.constantFrom(
  'Ab',
  'ABc',
  'aB',
  'ǅ',
  'ʰ',
  'ا',
  '\u0903',
  '\u20dd',
  "'S",
  '/',
  ' ',
  '  ',
  '\n',
  '\r',
  '\t',
  '\u000b',
  'a',
  'B',
  "'",
  's',
  'S',
  't',
  'r',
  'e',
  'v',
  'V',
  'm',
  'l',
  'L',
  'd',
  'D',
  '1',
  '٣',
  '½',
  '😀',
  'é',
  '\u0301',
  '中',
  '\u00a0',
  '\u0085',
  '\ufeff',
  '\u2028',
  '.',
  '!',
  '(',
  'ſ',
  '𝐀',
  '\ud800',
  '\udc00',
  '\u3000',
  '_',
);
const tricky = fc.array(UNITS, { maxLength: 30 }).map((a) => a.join(''));
const anyString = fc.string({ unit: 'binary', maxLength: 60 });

for (const [name, scan, pattern] of [
  ['gpt2', scanGpt2, GPT2_PATTERN],
  ['cl100k', scanCl100k, CL100K_PATTERN],
  ['o200k', scanO200k, O200K_PATTERN],
] as const) {
  describe(`${name} scanner equals the regex`, () => {
    const ref = regexScanner(compilePattern(pattern), true);
    it('fixed and adversarial texts', () => {
      for (const t of [
        ...TEXTS,
        ...LONE_SURROGATES,
        "'",
        "x'",
        "'s",
        ' ',
        ' \n',
        '\n ',
        '  a',
        ' 1',
        ' !',
        '\r\n\r\n  ',
        ' \u0085x',
      ]) {
        assert.deepEqual(pieces(scan, t), pieces(ref, t), JSON.stringify(t.slice(0, 50)));
      }
    });
    it('random strings (fast-check)', () => {
      fc.assert(
        fc.property(fc.oneof(tricky, anyString), (t) => {
          const got = pieces(scan, t);
          assert.deepEqual(got, pieces(ref, t));
          assert.equal(got.join(''), t); // the patterns cover every character
        }),
        { numRuns: 3000, seed: 1 },
      );
    });
  });
}
