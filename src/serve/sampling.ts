/**
 * Choosing one sequence's next token from its logits row, with the request's options, through
 * the decoding layer's processors and warpers (src/generate): logit_bias, repetition_penalty
 * (prompt and output, as HF), presence/frequency penalties (output tokens only, as OpenAI
 * defines them), then for sampling temperature, top_k, top_p and min_p and a draw from the
 * sequence's own seeded stream. Temperature 0 is greedy. The log-probabilities reported are
 * those of the model's distribution (log-softmax of the raw logits), as vLLM reports them.
 */
import type { Generator } from '../core/random.ts';
import { argmax, logSoftmax, topkIndices } from '../generate/math.ts';
import type { LogitsProcessor } from '../generate/processor.ts';
import { FrequencyPresencePenaltyProcessor } from '../generate/processors/frequency-penalty.ts';
import { LogitBiasProcessor } from '../generate/processors/logit-bias.ts';
import { RepetitionPenaltyProcessor } from '../generate/processors/repetition-penalty.ts';
import { sampleToken } from '../generate/sampler.ts';
import { MinPWarper } from '../generate/warpers/min-p.ts';
import { TemperatureWarper } from '../generate/warpers/temperature.ts';
import { TopKWarper } from '../generate/warpers/top-k.ts';
import { TopPWarper } from '../generate/warpers/top-p.ts';

export interface SamplingParams {
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  /** 0 = off. */
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** 1 = off. */
  repetitionPenalty: number;
  /** token id -> additive bias. */
  logitBias: ReadonlyMap<number, number>;
  /** Alternatives to report per token (top_logprobs), or null for no log-probabilities. */
  logprobs: number | null;
}

export const GREEDY: SamplingParams = {
  temperature: 0,
  topP: 1,
  topK: 0,
  minP: 0,
  presencePenalty: 0,
  frequencyPenalty: 0,
  repetitionPenalty: 1,
  logitBias: new Map(),
  logprobs: null,
};

export interface ChosenToken {
  id: number;
  /** log p(id) under the model, when log-probabilities were asked for. */
  logprob: number | null;
  /** The most likely tokens and their log-probabilities, best first (top_logprobs of them). */
  top: { id: number; logprob: number }[] | null;
}

export class TokenChooser {
  private readonly onFull: LogitsProcessor[] = [];
  private readonly onOutput: LogitsProcessor[] = [];
  private readonly warpers: LogitsProcessor[] = [];

  constructor(
    readonly params: SamplingParams,
    readonly vocabSize: number,
    private readonly rng: Generator,
  ) {
    const p = params;
    if (p.logitBias.size > 0) this.onFull.push(new LogitBiasProcessor(p.logitBias));
    if (p.repetitionPenalty !== 1) this.onFull.push(new RepetitionPenaltyProcessor(p.repetitionPenalty));
    if (p.frequencyPenalty !== 0 || p.presencePenalty !== 0)
      this.onOutput.push(new FrequencyPresencePenaltyProcessor(p.frequencyPenalty, p.presencePenalty));
    if (p.temperature > 0) {
      if (p.temperature !== 1) this.warpers.push(new TemperatureWarper(p.temperature));
      if (p.topK > 0) this.warpers.push(new TopKWarper(p.topK));
      if (p.topP < 1) this.warpers.push(new TopPWarper(p.topP));
      if (p.minP > 0) this.warpers.push(new MinPWarper(p.minP));
    }
  }

  /** The next token after `full` (prompt then output) given its logits row (length V). */
  choose(logits: Float32Array, full: readonly number[], promptLength: number): ChosenToken {
    const V = this.vocabSize;
    let scores = logits;
    if (this.onFull.length + this.onOutput.length + this.warpers.length > 0) {
      scores = Float32Array.from(logits);
      for (const p of this.onFull) p.process([full], scores, V);
      if (this.onOutput.length > 0) {
        const output = [full.slice(promptLength)];
        for (const p of this.onOutput) p.process(output, scores, V);
      }
      for (const w of this.warpers) w.process([full], scores, V);
    }
    const id = this.params.temperature > 0 ? sampleToken(scores, 0, V, this.rng) : argmax(scores);
    if (this.params.logprobs === null) return { id, logprob: null, top: null };
    const lp = logSoftmax(logits);
    const k = this.params.logprobs;
    const top = k > 0 ? Array.from(topkIndices(lp, k), (t) => ({ id: t, logprob: lp[t]! })) : [];
    return { id, logprob: lp[id]!, top };
  }
}
