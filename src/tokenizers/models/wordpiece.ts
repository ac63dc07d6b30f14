/**
 * WordPiece (BERT): greedy longest-match-first from the left; non-initial pieces carry the
 * `##` prefix; a word that cannot be covered, or longer than max_input_chars_per_word
 * characters, becomes a single [UNK] (HF `WordPiece::tokenize`).
 */
import { ArgumentError } from '../../core/errors.ts';
import type { JsonObject } from '../config-reader.ts';
import type { Model, Token } from '../interfaces.ts';
import { vocabToJson } from './vocab-util.ts';
import { VocabModel } from './vocab-model.ts';

export interface WordPieceOptions {
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
}

export class WordPiece extends VocabModel implements Model {
  readonly type = 'WordPiece';
  readonly options: WordPieceOptions;
  private readonly cache = new Map<string, Int32Array>();

  constructor(vocab: Map<string, number>, options: Partial<WordPieceOptions> = {}) {
    super(vocab);
    this.options = { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100, ...options };
  }

  get unkToken(): string {
    return this.options.unkToken;
  }

  private unk(piece: string): Token {
    const id = this.vocab.get(this.options.unkToken);
    if (id === undefined)
      throw new ArgumentError(
        'WordPiece.tokenize',
        `cannot tokenize ${JSON.stringify(piece.slice(0, 40))}: the unk token ${JSON.stringify(this.options.unkToken)} is not in the vocab`,
      );
    return { id, value: this.options.unkToken, offsets: [0, piece.length] };
  }

  /** Tokens of recent words (read-only: callers never mutate tokens). */
  private readonly tokenCache = new Map<string, Token[]>();

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    const hit = this.tokenCache.get(piece);
    if (hit !== undefined) return hit;
    const toks = this.tokenizeUncached(piece);
    if (piece.length <= 256) {
      if (this.tokenCache.size >= 100_000) this.tokenCache.clear();
      this.tokenCache.set(piece, toks);
    }
    return toks;
  }

  private tokenizeUncached(piece: string): Token[] {
    let chars = 0;
    for (let i = 0; i < piece.length; i++) if ((piece.charCodeAt(i) & 0xfc00) !== 0xdc00) chars++;
    if (chars > this.options.maxInputCharsPerWord) return [this.unk(piece)];
    const prefix = this.options.continuingSubwordPrefix;
    const out: Token[] = [];
    let start = 0;
    while (start < piece.length) {
      let end = piece.length;
      let found: Token | null = null;
      while (start < end) {
        const sub = start > 0 ? prefix + piece.slice(start, end) : piece.slice(start, end);
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          found = { id, value: sub, offsets: [start, end] };
          break;
        }
        // step back one character (a surrogate pair is one character)
        end -=
          end - 2 >= start &&
          (piece.charCodeAt(end - 1) & 0xfc00) === 0xdc00 &&
          (piece.charCodeAt(end - 2) & 0xfc00) === 0xd800
            ? 2
            : 1;
      }
      if (found === null) return [this.unk(piece)];
      out.push(found);
      start = end;
    }
    return out;
  }

  encodeIds(piece: string, out: number[]): void {
    let ids = this.cache.get(piece);
    if (ids === undefined) {
      ids = Int32Array.from(this.tokenizeUncached(piece), (t) => t.id);
      if (this.cache.size >= 100_000) this.cache.clear();
      if (piece.length <= 256) this.cache.set(piece, ids);
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
  }

  toJSON(): JsonObject {
    const o = this.options;
    return {
      type: this.type,
      unk_token: o.unkToken,
      continuing_subword_prefix: o.continuingSubwordPrefix,
      max_input_chars_per_word: o.maxInputCharsPerWord,
      vocab: vocabToJson(this.vocabR),
    };
  }
}
