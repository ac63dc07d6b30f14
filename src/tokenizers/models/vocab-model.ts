/**
 * The vocabulary half of the Model interface for the models whose vocabulary is one token -> id
 * map (BPE, WordPiece, WordLevel): the map, its inverse and the four lookups. The three models
 * extend it so their lookups cannot drift apart.
 *
 * The vocabulary is a Map, or a PackedVocab (the tokenizer cache's form): then lookups go to
 * the packed form and the Map and id -> token array are built only when first asked for.
 */
import { PackedVocab } from './packed-vocab.ts';
import { invertVocab } from './vocab-util.ts';

export abstract class VocabModel {
  private map: Map<string, number> | undefined;
  private inverse: (string | undefined)[] | undefined;
  private readonly packed: PackedVocab | undefined;

  constructor(vocab: Map<string, number> | PackedVocab) {
    if (vocab instanceof PackedVocab) this.packed = vocab;
    else this.map = vocab;
  }

  /** token -> id. */
  get vocab(): Map<string, number> {
    return (this.map ??= this.packed!.toMap());
  }

  /** id -> token (holes are undefined). */
  get vocabR(): (string | undefined)[] {
    return (this.inverse ??= this.map !== undefined ? invertVocab(this.map) : this.packed!.toArray());
  }

  tokenToId(token: string): number | undefined {
    return this.map !== undefined ? this.map.get(token) : this.packed!.get(token);
  }

  idToToken(id: number): string | undefined {
    if (this.inverse === undefined && this.packed !== undefined) return this.packed.tokenOf(id);
    return this.vocabR[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  getVocabSize(): number {
    if (this.inverse === undefined && this.packed !== undefined) return this.packed.maxId + 1;
    return this.vocabR.length;
  }
}
