/**
 * Temperature (HF TemperatureLogitsWarper): scores / T. T must be > 0 here; the
 * config maps temperature 0 to greedy decoding before any warper is built (see
 * docs/generation.md). Tiny T can overflow float32 to +inf; the sampler then draws
 * uniformly among the +inf entries, the T -> 0 limit.
 */
import { checkScores, type LogitsProcessor } from '../processor.ts';
import { requirePositive } from '../validate.ts';

export class TemperatureWarper implements LogitsProcessor {
  readonly name = 'temperature';
  readonly temperature: number;
  constructor(temperature: number) {
    this.temperature = requirePositive('temperature', temperature);
  }

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number): void {
    checkScores(this.name, ids, scores, vocabSize);
    for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! / this.temperature;
  }
}
