/**
 * Text the experiments train on, read at run time (never copied into the repository):
 * Tiny Shakespeare (../shared/data/tinyshakespeare.txt beside the repository, or
 * $LLMTS_SHAKESPEARE) when it is there, else ~1.1 MB of the English sentences the npm package
 * nlp-corpus ships (so `llmts lab` runs on any machine after `npm install`), tokenized by
 * characters, and an in-memory TokenSplit so the library's own training tasks
 * (CausalLMTask, MaskedLMTask) run on it unchanged.
 */
import { packageRoot } from '../core/package-root.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenSplit } from '../data/shards/reader.ts';
import { ArgumentError, IOError } from '../core/errors.ts';
import { nlpCorpusFileSentences } from '../data/corpora/nlp-corpus.ts';

const repoRoot = packageRoot();

export function shakespearePath(): string {
  const env = process.env['LLMTS_SHAKESPEARE'];
  if (env !== undefined && env !== '') return env;
  return join(repoRoot, '..', 'shared', 'data', 'tinyshakespeare.txt');
}

let cached: string | null = null;

/** The whole of Tiny Shakespeare (about 1.1 MB). */
export function readShakespeare(): string {
  if (cached !== null) return cached;
  const path = shakespearePath();
  if (!existsSync(path)) throw new IOError(path, 'Tiny Shakespeare not found; set LLMTS_SHAKESPEARE to its path');
  cached = readFileSync(path, 'utf8');
  return cached;
}

/** Special symbols appended after the characters (BERT and the encoder-decoder need them). */
export const SPECIALS = ['[PAD]', '[CLS]', '[SEP]', '[MASK]'] as const;
export type SpecialName = (typeof SPECIALS)[number];

/** A character vocabulary: sorted characters of the text, then the special symbols. */
export class CharVocab {
  readonly chars: string[];
  private readonly index = new Map<string, number>();
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.chars.forEach((c, i) => this.index.set(c, i));
  }

  /** Characters plus specials. */
  get size(): number {
    return this.chars.length + SPECIALS.length;
  }

  special(name: SpecialName): number {
    return this.chars.length + SPECIALS.indexOf(name);
  }

  encode(text: string): Int32Array {
    const out = new Int32Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const id = this.index.get(text[i]!);
      if (id === undefined)
        throw new ArgumentError('CharVocab.encode', `character ${JSON.stringify(text[i])} is not in the vocabulary`);
      out[i] = id;
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      s += id < this.chars.length ? this.chars[id]! : (SPECIALS[id - this.chars.length] ?? '?');
    }
    return s;
  }
}

/** A TokenSplit over an in-memory array; documents are [start, end) ranges covering it in order. */
export function memorySplit(
  name: string,
  tokens: Int32Array,
  documents: readonly (readonly [number, number])[] = [[0, tokens.length]],
): TokenSplit {
  const starts = documents.map((d) => d[0]);
  return {
    name,
    numTokens: tokens.length,
    numDocuments: documents.length,
    read(start, length, out, outOffset = 0) {
      if (start < 0 || start + length > tokens.length)
        throw new ArgumentError(
          'memorySplit.read',
          `range [${start}, ${start + length}) is outside [0, ${tokens.length})`,
        );
      out.set(tokens.subarray(start, start + length), outOffset);
      return out;
    },
    documentBounds(i) {
      const d = documents[i];
      if (d === undefined) throw new ArgumentError('memorySplit.documentBounds', `no document ${i}`);
      return [d[0], d[1]];
    },
    documentAt(t) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= t) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
    verify() {},
    close() {},
  };
}

export interface CharCorpus {
  /** 'shakespeare' or 'nlp-corpus' (part of the lab's cache keys). */
  id: CorpusId;
  /** For reports: "Tiny Shakespeare" or "nlp-corpus sentences". */
  name: string;
  vocab: CharVocab;
  train: TokenSplit;
  val: TokenSplit;
  /** The raw text of each split. */
  trainText: string;
  valText: string;
}

/** Paragraphs (blank-line separated speeches) as documents of a text starting at `offset`. */
function paragraphs(text: string): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  const re = /\n\n+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const end = m.index + m[0].length;
    if (end > start) out.push([start, end]);
    start = end;
  }
  if (start < text.length) out.push([start, text.length]);
  return out;
}

/**
 * Tiny Shakespeare as characters: the first `trainChars` characters train, the last
 * `valChars` validate (nanoGPT's 90/10 split when both are omitted).
 */
export function shakespeareChars(o: { trainChars?: number; valChars?: number } = {}): CharCorpus {
  return charCorpus('shakespeare', 'Tiny Shakespeare', readShakespeare(), o);
}

/** Characters of the fallback text: printable ASCII, so the vocabulary stays near Shakespeare's 65. */
const ASCII_LINE = /^[\x20-\x7e]+$/;

/**
 * nlp-corpus sentences as a Shakespeare-sized text: printable-ASCII sentences, a line each,
 * twelve to a paragraph, paragraphs separated by a blank line (documents, like Shakespeare's
 * speeches), up to `maxChars` characters.
 */
export function nlpCorpusParagraphs(maxChars = 1_115_394): string {
  const paragraphs: string[] = [];
  let size = 0;
  let current: string[] = [];
  for (const sentences of nlpCorpusFileSentences()) {
    for (const s of sentences) {
      const line = s.replace(/\s+/g, ' ').trim();
      if (!ASCII_LINE.test(line)) continue;
      current.push(line);
      if (current.length < 12) continue;
      const p = current.join('\n') + '\n\n';
      current = [];
      if (size + p.length > maxChars) return paragraphs.join('');
      paragraphs.push(p);
      size += p.length;
    }
  }
  return paragraphs.join('');
}

export type CorpusId = 'shakespeare' | 'nlp-corpus';

/**
 * The lab's character corpus: Tiny Shakespeare when its file is there (or $LLMTS_LAB_CORPUS
 * says which: 'shakespeare' requires it, 'nlp-corpus' skips it), else the nlp-corpus text.
 */
export function labCharCorpus(o: { trainChars?: number; valChars?: number } = {}): CharCorpus {
  const choice = process.env['LLMTS_LAB_CORPUS'] ?? 'auto';
  if (choice !== 'auto' && choice !== 'shakespeare' && choice !== 'nlp-corpus') {
    throw new ArgumentError(
      'LLMTS_LAB_CORPUS',
      `expected auto, shakespeare or nlp-corpus, got ${JSON.stringify(choice)}`,
    );
  }
  const useShakespeare = choice === 'shakespeare' || (choice === 'auto' && existsSync(shakespearePath()));
  return useShakespeare
    ? shakespeareChars(o)
    : charCorpus('nlp-corpus', 'nlp-corpus sentences', nlpCorpusParagraphs(), o);
}

/** A text as characters: the first 90% trains (or its first `trainChars`), the rest (or its last `valChars`) validates. */
function charCorpus(
  id: CorpusId,
  name: string,
  text: string,
  o: { trainChars?: number; valChars?: number },
): CharCorpus {
  const vocab = new CharVocab(text);
  const cut = Math.floor(text.length * 0.9);
  const trainText = text.slice(0, Math.min(cut, o.trainChars ?? cut));
  const valText = text.slice(o.valChars !== undefined ? Math.max(cut, text.length - o.valChars) : cut);
  return {
    id,
    name,
    vocab,
    train: memorySplit('train', vocab.encode(trainText), paragraphs(trainText)),
    val: memorySplit('val', vocab.encode(valText), paragraphs(valText)),
    trainText,
    valText,
  };
}

/** Entropy (nats) of the character distribution of a text: the loss of a model that ignores context. */
export function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / text.length) * Math.log(n / text.length);
  return h;
}
