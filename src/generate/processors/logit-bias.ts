/**
 * Additive per-token bias (OpenAI / llama.cpp logit_bias): scores[t] += bias[t] on
 * every row; a bias of -Infinity bans the token. It runs right after sequence_bias.
 */
import { ArgumentError, ConfigError } from '../../core/errors.ts';
import { checkScores, type LogitsProcessor } from '../processor.ts';

export class LogitBiasProcessor implements LogitsProcessor {
  readonly name = 'logit_bias';
  private readonly bias: ReadonlyMap<number, number>;

  /** bias: token id -> additive bias (a Map, or a record with numeric-string keys as in JSON). */
  constructor(bias: ReadonlyMap<number, number> | Readonly<Record<string, number>>) {
    const map = new Map<number, number>();
    const pairs: [string | number, unknown][] = bias instanceof Map ? [...bias.entries()] : Object.entries(bias);
    for (const [k, v] of pairs) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0)
        throw new ConfigError('logit_bias', `keys must be token ids >= 0, got ${String(k)}`);
      if (typeof v !== 'number' || Number.isNaN(v))
        throw new ConfigError('logit_bias', `bias for token ${id} must be a number`);
      map.set(id, v);
    }
    this.bias = map;
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    const rows = checkScores(this.name, ids, scores, vocabSize);
    for (const [t, v] of this.bias) {
      if (t >= vocabSize)
        throw new ArgumentError(this.name, `token id ${t} is outside the vocabulary (size ${vocabSize})`);
      for (let b = 0; b < rows; b++) scores[b * vocabSize + t] = scores[b * vocabSize + t]! + v;
    }
  }
}
