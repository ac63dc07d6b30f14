/**
 * The fast ids-only encoder for byte-level BPE pipelines (GPT-2, cl100k, o200k and anything
 * HF writes as ByteLevel / Split+ByteLevel over a byte-level BPE). It never builds the
 * byte-level strings: each pre-token's UTF-8 bytes index the byte ids directly, merging uses
 * the integer PairTable, and whole pre-tokens are cached (raw string -> ids).
 */
import { bytesToByteLevel, utf8Into } from './byte-alphabet.ts';
import { hashRange, PieceCache } from './piece-cache.ts';
import { registerFastPlanner, type IdsEncoder } from './fast-encode.ts';
import { BPE } from './models/bpe.ts';
import { ByteLevel } from './pre-tokenizers/byte-level.ts';
import { compilePattern, GPT2_PATTERN, identifyPattern } from './pre-tokenizers/patterns.ts';
import { createScanner, type Scanner } from './pre-tokenizers/scanners.ts';
import { PreTokenizerSequence } from './pre-tokenizers/sequence.ts';
import { Split } from './pre-tokenizers/split.ts';
import type { Tokenizer } from './tokenizer.ts';
import type { PreTokenizer } from './interfaces.ts';

interface Plan {
  addPrefixSpace: boolean;
  scanner: Scanner;
}

/** Recognises the pre-tokenizer shapes whose split we can run on raw text. */
function planFor(pre: PreTokenizer | null): Plan | null {
  if (pre instanceof ByteLevel) {
    if (!pre.options.useRegex) return null;
    return {
      addPrefixSpace: pre.options.addPrefixSpace,
      scanner: createScanner(GPT2_PATTERN, compilePattern(GPT2_PATTERN), true),
    };
  }
  if (pre instanceof PreTokenizerSequence && pre.preTokenizers.length === 2) {
    const [split, bl] = pre.preTokenizers;
    if (!(split instanceof Split) || !(bl instanceof ByteLevel) || bl.options.useRegex || bl.options.addPrefixSpace)
      return null;
    if (split.pattern.kind !== 'Regex') return null;
    const keepGaps = split.behavior === 'Isolated' && !split.invert;
    const onlyMatches = split.behavior === 'Removed' && split.invert;
    if (!keepGaps && !onlyMatches) return null;
    const known = identifyPattern(split.pattern.source);
    return { addPrefixSpace: false, scanner: createScanner(known ?? split.pattern.source, split.pattern.re, keepGaps) };
  }
  return null;
}

export function byteLevelEncoder(tok: Tokenizer): IdsEncoder | null {
  const bpe = tok.model;
  if (!(bpe instanceof BPE) || !bpe.isByteLevel) return null;
  const o = bpe.options;
  if ((o.dropout ?? 0) > 0 || o.continuingSubwordPrefix !== null || o.endOfWordSuffix !== null) return null;
  const plan = planFor(tok.preTokenizer);
  if (plan === null) return null;
  const cache = new PieceCache();
  const buf = { buf: new Uint8Array(1024) };
  const ignoreMerges = o.ignoreMerges;
  const { scanner } = plan;
  let text = '';
  let out: number[] = [];

  // one pre-token text[a, b): cached ids, else UTF-8 bytes -> byte ids -> merges
  const encodePiece = (a: number, b: number): void => {
    const h = hashRange(text, a, b);
    if (cache.get(text, a, b, h, out)) return;
    const n = utf8Into(text, a, b, buf);
    const from = out.length;
    // ignore_merges: a pre-token that is itself a vocabulary entry is emitted whole
    const whole = ignoreMerges ? bpe.vocab.get(bytesToByteLevel(buf.buf.subarray(0, n))) : undefined;
    if (whole !== undefined) out.push(whole);
    else bpe.encodeByteLevel(buf.buf, n, out);
    if (b - a <= 256) cache.set(text.slice(a, b), h, out, from, out.length);
  };

  return (piece, dest) => {
    text = plan.addPrefixSpace && piece.length > 0 && piece.charCodeAt(0) !== 32 ? ' ' + piece : piece;
    out = dest;
    scanner(text, encodePiece);
    text = '';
  };
}

registerFastPlanner(byteLevelEncoder);
