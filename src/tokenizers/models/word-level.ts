/** WordLevel: each pre-token is looked up whole; missing ones become the unk token. */
import { quote } from '../../core/describe.ts';
import { ArgumentError } from '../../core/errors.ts';
import type { JsonObject } from '../config-reader.ts';
import type { Model, Token } from '../interfaces.ts';
import { vocabToJson } from './vocab-util.ts';
import { VocabModel } from './vocab-model.ts';

export class WordLevel extends VocabModel implements Model {
  readonly type = 'WordLevel';

  constructor(
    vocab: Map<string, number>,
    readonly unkTokenName: string | null = null,
  ) {
    super(vocab);
  }

  get unkToken(): string | undefined {
    return this.unkTokenName ?? undefined;
  }

  private lookup(piece: string): number {
    const id = this.vocab.get(piece);
    if (id !== undefined) return id;
    const unk = this.unkTokenName === null ? undefined : this.vocab.get(this.unkTokenName);
    if (unk === undefined)
      throw new ArgumentError(
        'WordLevel.tokenize',
        `${quote(piece, 40)} is not in the vocab and there is no unk token`,
      );
    return unk;
  }

  tokenize(piece: string): Token[] {
    if (piece.length === 0) return [];
    const id = this.lookup(piece);
    return [{ id, value: this.vocabR[id]!, offsets: [0, piece.length] }];
  }

  encodeIds(piece: string, out: number[]): void {
    if (piece.length > 0) out.push(this.lookup(piece));
  }

  toJSON(): JsonObject {
    return { type: this.type, vocab: vocabToJson(this.vocabR), unk_token: this.unkTokenName ?? '<unk>' };
  }
}
