/**
 * Text the experiments train on, read at run time (never copied into the repository):
 * Tiny Shakespeare (../shared/data/tinyshakespeare.txt beside the repository, or
 * $LLMTS_SHAKESPEARE), tokenized by characters, and an in-memory TokenSplit so the
 * library's own training tasks (CausalLMTask, MaskedLMTask) run on it unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TokenSplit } from '../data/shards/reader.ts';
import { ArgumentError, IOError } from '../errors.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
      if (id === undefined) throw new ArgumentError('CharVocab.encode', `character ${JSON.stringify(text[i])} is not in the vocabulary`);
      out[i] = id;
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      s += id < this.chars.length ? this.chars[id]! : SPECIALS[id - this.chars.length] ?? '?';
    }
    return s;
  }
}

/** A TokenSplit over an in-memory array; documents are [start, end) ranges covering it in order. */
export function memorySplit(name: string, tokens: Int32Array, documents: readonly (readonly [number, number])[] = [[0, tokens.length]]): TokenSplit {
  const starts = documents.map((d) => d[0]);
  return {
    name,
    numTokens: tokens.length,
    numDocuments: documents.length,
    read(start, length, out, outOffset = 0) {
      if (start < 0 || start + length > tokens.length) throw new ArgumentError('memorySplit.read', `range [${start}, ${start + length}) is outside [0, ${tokens.length})`);
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
  const text = readShakespeare();
  const vocab = new CharVocab(text);
  const cut = Math.floor(text.length * 0.9);
  const trainText = text.slice(0, Math.min(cut, o.trainChars ?? cut));
  const valText = text.slice(o.valChars !== undefined ? Math.max(cut, text.length - o.valChars) : cut);
  return {
    vocab,
    train: memorySplit('train', vocab.encode(trainText), paragraphs(trainText)),
    val: memorySplit('val', vocab.encode(valText), paragraphs(valText)),
    trainText,
    valText,
  };
}
