/**
 * The vocabulary half of the Model interface for the models whose vocabulary is one token -> id
 * map (BPE, WordPiece, WordLevel): the map, its inverse and the four lookups. The three models
 * extend it so their lookups cannot drift apart.
 */
import { invertVocab } from './vocab-util.ts';

export abstract class VocabModel {
  /** id -> token (holes are undefined). */
  readonly vocabR: (string | undefined)[];

  constructor(readonly vocab: Map<string, number>) {
    this.vocabR = invertVocab(vocab);
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.vocabR[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  getVocabSize(): number {
    return this.vocabR.length;
  }
}
