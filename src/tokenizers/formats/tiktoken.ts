/**
 * tiktoken rank files: one `base64(token bytes) rank` per line. The ranks are the ids and the
 * merge order: merging adjacent parts a, b is allowed when a+b is a token, and the pair whose
 * concatenation has the lowest rank merges first. We build the equivalent integer pair table
 * from every split of every token, and keep the tokens as GPT-2 byte-level strings so the model
 * is an ordinary byte-level BPE (saveable as tokenizer.json).
 */
import { describe, quote } from '../../core/describe.ts';
import { basename } from 'node:path';
import { FormatError } from '../../core/errors.ts';
import { bytesToByteLevel } from '../byte-alphabet.ts';
import { BPE } from '../models/bpe.ts';
import { PairTable } from '../models/pair-table.ts';
import type { KnownPattern } from '../pre-tokenizers/patterns.ts';
import type { Tokenizer } from '../tokenizer.ts';
import { byteLevelTokenizer } from './byte-level-pipeline.ts';
import { readTextFile } from './read.ts';

/** Special tokens of OpenAI's encodings (not stored in the rank files). */
export const TIKTOKEN_SPECIALS: Record<string, Record<string, number>> = {
  r50k_base: { '<|endoftext|>': 50256 },
  gpt2: { '<|endoftext|>': 50256 },
  p50k_base: { '<|endoftext|>': 50256 },
  cl100k_base: {
    '<|endoftext|>': 100257,
    '<|fim_prefix|>': 100258,
    '<|fim_middle|>': 100259,
    '<|fim_suffix|>': 100260,
    '<|endofprompt|>': 100276,
  },
  o200k_base: { '<|endoftext|>': 199999, '<|endofprompt|>': 200018 },
};

const PATTERN_OF: Record<string, KnownPattern> = {
  r50k_base: 'gpt2',
  gpt2: 'gpt2',
  p50k_base: 'gpt2',
  cl100k_base: 'cl100k',
  o200k_base: 'o200k',
};

export interface TiktokenOptions {
  /** Split pattern: a known name or a regex source; default from the file name (r50k/p50k/cl100k/o200k). */
  pattern?: KnownPattern | string;
  /** Special tokens; default from the file name. */
  specialTokens?: Record<string, number>;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses rank-file text into byte-level token -> rank. */
export function parseTiktokenRanks(text: string, file: string): Map<string, number> {
  const vocab = new Map<string, number>();
  const ranks = new Set<number>();
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.trim().length === 0) continue;
    const sp = line.indexOf(' ');
    const b64 = sp < 0 ? '' : line.slice(0, sp);
    const rankStr = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (sp <= 0 || !B64.test(b64) || !/^\d{1,9}$/.test(rankStr))
      throw new FormatError(file, `expected "base64 rank", got ${quote(line, 60)}`, `line ${lineNo}`);
    const rank = Number(rankStr);
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length === 0) throw new FormatError(file, 'empty token', `line ${lineNo}`);
    const tok = bytesToByteLevel(bytes);
    if (vocab.has(tok)) throw new FormatError(file, `token ${describe(b64)} appears twice`, `line ${lineNo}`);
    if (ranks.has(rank)) throw new FormatError(file, `rank ${rank} appears twice`, `line ${lineNo}`);
    vocab.set(tok, rank);
    ranks.add(rank);
  }
  for (let b = 0; b < 256; b++) {
    if (!vocab.has(bytesToByteLevel(Uint8Array.of(b))))
      throw new FormatError(file, `byte 0x${b.toString(16)} has no token: not a byte-level encoding`, 'ranks');
  }
  return vocab;
}

/** A BPE whose pair table follows tiktoken's rank semantics exactly. */
export function bpeFromRanks(vocab: Map<string, number>): BPE {
  const pairs = new PairTable(vocab.size * 4);
  const merges: [string, string, number][] = [];
  for (const [tok, rank] of vocab) {
    if (tok.length < 2) continue;
    for (let k = 1; k < tok.length; k++) {
      const a = vocab.get(tok.slice(0, k));
      if (a === undefined) continue;
      const b = vocab.get(tok.slice(k));
      if (b === undefined) continue;
      pairs.set(a, b, rank, rank);
      if (a < rank && b < rank) merges.push([tok.slice(0, k), tok.slice(k), rank]);
    }
  }
  // merges for serialization: in rank order (HF's tiktoken conversion does the same)
  merges.sort((x, y) => x[2] - y[2] || vocab.get(x[0])! - vocab.get(y[0])!);
  return new BPE(
    vocab,
    merges.map(([a, b]) => [a, b] as [string, string]),
    { ignoreMerges: false },
    pairs,
  );
}

export function tiktokenFromText(text: string, file: string, options: TiktokenOptions = {}): Tokenizer {
  const name = basename(file).replace(/\.tiktoken$/, '');
  const vocab = parseTiktokenRanks(text, file);
  const pattern = options.pattern ?? PATTERN_OF[name];
  if (pattern === undefined)
    throw new FormatError(
      file,
      `unknown encoding ${describe(name)}: pass options.pattern (gpt2, cl100k, o200k or a regex)`,
      'pattern',
    );
  const specials = new Map(Object.entries(options.specialTokens ?? TIKTOKEN_SPECIALS[name] ?? {}));
  const ranks = new Set(vocab.values());
  for (const [t, id] of specials)
    if (ranks.has(id)) throw new FormatError(file, `special token ${t} id ${id} collides with a rank`, 'specialTokens');
  return byteLevelTokenizer(bpeFromRanks(vocab), pattern, specials);
}

export function loadTiktoken(path: string, options: TiktokenOptions = {}): Tokenizer {
  return tiktokenFromText(readTextFile(path), path, options);
}
