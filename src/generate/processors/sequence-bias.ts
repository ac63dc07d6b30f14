/**
 * SequenceBias (HF SequenceBiasLogitsProcessor) and NoBadWords (the same with bias
 * -inf). A length-1 sequence always biases its token; a longer one biases its last
 * token only when the row's last len-1 ids equal its prefix. Sequences longer than
 * the row's context are ignored. Biases of several sequences ending in the same
 * token add; a sequence listed twice keeps its last bias (HF stores them in a dict).
 */
import { ArgumentError, ConfigError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { requireTokenIds } from '../validate.ts';

/** [token ids, bias] pairs, HF's list form of sequence_bias. */
export type SequenceBiasEntry = readonly [readonly number[], number];

export class SequenceBiasProcessor implements LogitsProcessor {
  readonly name: string = 'sequence_bias';
  protected readonly entries: ReadonlyMap<string, { seq: readonly number[]; bias: number }>;

  constructor(entries: readonly SequenceBiasEntry[], field = 'sequence_bias') {
    if (!Array.isArray(entries)) throw new ConfigError(field, 'must be a list of [token ids, bias] pairs');
    const map = new Map<string, { seq: readonly number[]; bias: number }>();
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2)
        throw new ConfigError(field, 'each entry must be [token ids, bias]');
      const [seq, bias] = entry;
      requireTokenIds(field, seq);
      if (typeof bias !== 'number' || Number.isNaN(bias))
        throw new ConfigError(field, `bias must be a number, got ${String(bias)}`);
      map.set(seq.join(','), { seq: [...seq], bias });
    }
    this.entries = map;
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (const { seq } of this.entries.values()) {
      for (const t of seq) {
        if (t >= vocabSize)
          throw new ArgumentError(this.name, `token id ${t} is outside the vocabulary (size ${vocabSize})`);
      }
    }
    const bias = new Float64Array(vocabSize);
    for (let b = 0; b < rows; b++) {
      const r = ids[b]!;
      bias.fill(0);
      for (const { seq, bias: v } of this.entries.values()) {
        const last = seq[seq.length - 1]!;
        if (seq.length === 1) {
          bias[last] = v; // HF assigns length-1 biases (a dict), it does not add them
          continue;
        }
        if (seq.length > r.length) continue;
        const p = seq.length - 1;
        let match = true;
        for (let i = 0; i < p; i++) {
          if (r[r.length - p + i] !== seq[i]) {
            match = false;
            break;
          }
        }
        if (match) bias[last] = bias[last]! + v;
      }
      const off = b * vocabSize;
      for (let v = 0; v < vocabSize; v++) if (bias[v] !== 0) scores[off + v] = scores[off + v]! + bias[v]!;
    }
  }
}

/**
 * Bans sequences: -inf on a sequence's last token when its prefix matches (HF
 * NoBadWordsLogitsProcessor). Entries equal to [eos] are dropped, so EOS cannot be
 * banned this way (use suppress_tokens or min_new_tokens).
 */
export class NoBadWordsProcessor extends SequenceBiasProcessor {
  override readonly name: string = 'bad_words_ids';
  constructor(badWordsIds: readonly (readonly number[])[], eosTokenIds: readonly number[] = []) {
    if (!Array.isArray(badWordsIds) || badWordsIds.length === 0) {
      throw new ConfigError('bad_words_ids', 'must be a non-empty list of token-id lists');
    }
    const kept = badWordsIds.filter(
      (seq) => !(Array.isArray(seq) && seq.length === 1 && eosTokenIds.includes(seq[0]!)),
    );
    super(
      kept.map((seq) => [seq, -Infinity] as const),
      'bad_words_ids',
    );
  }
}
