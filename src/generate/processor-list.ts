/**
 * LogitsProcessorList: runs processors in sequence, and buildLogitsProcessors, which
 * assembles the list from a resolved config in Hugging Face's order
 * (GenerationMixin._get_logits_processor):
 *
 *   sequence_bias, [logit_bias], encoder_repetition_penalty, repetition_penalty,
 *   [frequency/presence penalty], no_repeat_ngram, encoder_no_repeat_ngram,
 *   bad_words_ids, min_length, min_new_tokens, prefix_allowed_tokens_fn, forced_bos,
 *   forced_eos, remove_invalid_values, exponential_decay_length_penalty,
 *   suppress_tokens, begin_suppress_tokens, <custom processors>,
 *   then only when sampling: temperature, top_k, top_p, min_p, typical_p,
 *   epsilon_cutoff, eta_cutoff, and last renormalize_logits.
 *
 * [bracketed] entries are not in HF and sit beside their closest HF relative.
 * A custom processor with the name of a default one replaces it in place (HF does
 * this by class); other custom processors run after the default processors and
 * before the warpers.
 */
import { ConfigError } from '../core/errors.ts';
import type { ResolvedGenerationConfig } from './config.ts';
import type { LogitsProcessor, ProcessContext } from './processor.ts';
import { ExponentialDecayLengthPenaltyProcessor } from './processors/exponential-decay.ts';
import { ForcedBOSProcessor, ForcedEOSProcessor } from './processors/forced-tokens.ts';
import { FrequencyPresencePenaltyProcessor } from './processors/frequency-penalty.ts';
import { InfNanRemoveProcessor } from './processors/inf-nan-remove.ts';
import { LogitBiasProcessor } from './processors/logit-bias.ts';
import { MinLengthProcessor, MinNewTokensProcessor } from './processors/min-length.ts';
import { EncoderNoRepeatNGramProcessor, NoRepeatNGramProcessor } from './processors/no-repeat-ngram.ts';
import { PrefixConstrainedProcessor, type PrefixAllowedTokensFn } from './processors/prefix-constrained.ts';
import { EncoderRepetitionPenaltyProcessor, RepetitionPenaltyProcessor } from './processors/repetition-penalty.ts';
import { NoBadWordsProcessor, SequenceBiasProcessor } from './processors/sequence-bias.ts';
import { SuppressTokensAtBeginProcessor, SuppressTokensProcessor } from './processors/suppress-tokens.ts';
import { EpsilonWarper, EtaWarper } from './warpers/epsilon-eta.ts';
import { LogitNormalization } from './warpers/logit-normalization.ts';
import { MinPWarper } from './warpers/min-p.ts';
import { TemperatureWarper } from './warpers/temperature.ts';
import { TopKWarper } from './warpers/top-k.ts';
import { TopPWarper } from './warpers/top-p.ts';
import { TypicalWarper } from './warpers/typical.ts';

export class LogitsProcessorList implements LogitsProcessor {
  readonly name = 'list';
  constructor(readonly processors: readonly LogitsProcessor[]) {}

  process(ids: readonly (readonly number[])[], scores: Float32Array, vocabSize: number, ctx?: ProcessContext): void {
    for (const p of this.processors) p.process(ids, scores, vocabSize, ctx);
  }

  /** The processor names in order (for logs and tests). */
  names(): string[] {
    return this.processors.map((p) => p.name);
  }
}

export interface BuildOptions {
  /** The model is an encoder-decoder (enables the encoder_* processors). */
  isEncoderDecoder?: boolean;
  prefixAllowedTokensFn?: PrefixAllowedTokensFn;
  /** User processors (see the file comment for how they merge). */
  custom?: readonly LogitsProcessor[];
}

export function buildLogitsProcessors(cfg: ResolvedGenerationConfig, opts: BuildOptions = {}): LogitsProcessorList {
  const list: LogitsProcessor[] = [];
  const eos = cfg.eosTokenIds;
  const encDec = opts.isEncoderDecoder ?? false;

  if (cfg.sequenceBias !== undefined) list.push(new SequenceBiasProcessor(cfg.sequenceBias));
  if (cfg.logitBias !== undefined) list.push(new LogitBiasProcessor(cfg.logitBias));
  if (cfg.encoderRepetitionPenalty !== undefined && cfg.encoderRepetitionPenalty !== 1) {
    if (!encDec) throw new ConfigError('encoder_repetition_penalty', 'needs an encoder-decoder model');
    list.push(new EncoderRepetitionPenaltyProcessor(cfg.encoderRepetitionPenalty));
  }
  if (cfg.repetitionPenalty !== 1) list.push(new RepetitionPenaltyProcessor(cfg.repetitionPenalty));
  const freq = cfg.frequencyPenalty ?? 0;
  const pres = cfg.presencePenalty ?? 0;
  if (freq !== 0 || pres !== 0) list.push(new FrequencyPresencePenaltyProcessor(freq, pres, cfg.penaltyLastN ?? -1));
  if (cfg.noRepeatNgramSize !== undefined && cfg.noRepeatNgramSize > 0)
    list.push(new NoRepeatNGramProcessor(cfg.noRepeatNgramSize));
  if (cfg.encoderNoRepeatNgramSize !== undefined && cfg.encoderNoRepeatNgramSize > 0) {
    if (!encDec) throw new ConfigError('encoder_no_repeat_ngram_size', 'needs an encoder-decoder model');
    list.push(new EncoderNoRepeatNGramProcessor(cfg.encoderNoRepeatNgramSize));
  }
  if (cfg.badWordsIds !== undefined) list.push(new NoBadWordsProcessor(cfg.badWordsIds, eos));
  if (cfg.minLength !== undefined && cfg.minLength > 0 && eos.length > 0)
    list.push(new MinLengthProcessor(cfg.minLength, eos));
  if (cfg.minNewTokens !== undefined && cfg.minNewTokens > 0 && eos.length > 0) {
    list.push(new MinNewTokensProcessor(cfg.minNewTokens, eos));
  }
  if (opts.prefixAllowedTokensFn !== undefined) list.push(new PrefixConstrainedProcessor(opts.prefixAllowedTokensFn));
  if (cfg.forcedBosTokenId !== undefined) list.push(new ForcedBOSProcessor(cfg.forcedBosTokenId));
  if (cfg.forcedEosTokenId !== undefined) {
    const f = cfg.forcedEosTokenId;
    list.push(new ForcedEOSProcessor(typeof f === 'number' ? [f] : f));
  }
  if (cfg.removeInvalidValues === true) list.push(new InfNanRemoveProcessor());
  if (cfg.exponentialDecayLengthPenalty !== undefined) {
    if (eos.length === 0) throw new ConfigError('exponential_decay_length_penalty', 'needs eos_token_id');
    const [start, factor] = cfg.exponentialDecayLengthPenalty;
    list.push(new ExponentialDecayLengthPenaltyProcessor(start, factor, eos));
  }
  if (cfg.suppressTokens !== undefined) list.push(new SuppressTokensProcessor(cfg.suppressTokens));
  if (cfg.beginSuppressTokens !== undefined) {
    // HF begins one step later when a one-token decoder prompt is followed by a forced BOS
    const offset = encDec && cfg.forcedBosTokenId !== undefined ? 1 : 0;
    list.push(new SuppressTokensAtBeginProcessor(cfg.beginSuppressTokens, offset));
  }

  for (const c of opts.custom ?? []) {
    const i = list.findIndex((p) => p.name === c.name);
    if (i >= 0) list[i] = c;
    else list.push(c);
  }

  if (cfg.doSample) {
    // HF keeps one more token than there are EOS ids in beam sampling, so a beam can always continue
    const minKeep = cfg.numBeams > 1 ? eos.length + 1 : 1;
    if (cfg.temperature !== 1) list.push(new TemperatureWarper(cfg.temperature));
    if (cfg.topK < 0) throw new ConfigError('top_k', `must be >= 0 (0 = off), got ${cfg.topK}`);
    if (cfg.topK !== 0) list.push(new TopKWarper(cfg.topK, minKeep));
    if (!(cfg.topP >= 0 && cfg.topP <= 1)) throw new ConfigError('top_p', `must be in [0, 1], got ${cfg.topP}`);
    if (cfg.topP < 1) list.push(new TopPWarper(cfg.topP, minKeep));
    if (cfg.minP !== undefined) list.push(new MinPWarper(cfg.minP, minKeep));
    if (!(cfg.typicalP > 0 && cfg.typicalP <= 1))
      throw new ConfigError('typical_p', `must be in (0, 1], got ${cfg.typicalP}`);
    if (cfg.typicalP < 1) list.push(new TypicalWarper(cfg.typicalP, minKeep));
    if (cfg.epsilonCutoff !== undefined && cfg.epsilonCutoff !== 0)
      list.push(new EpsilonWarper(cfg.epsilonCutoff, minKeep));
    if (cfg.etaCutoff !== undefined && cfg.etaCutoff !== 0) list.push(new EtaWarper(cfg.etaCutoff, minKeep));
  }
  if (cfg.renormalizeLogits === true) list.push(new LogitNormalization());
  return new LogitsProcessorList(list);
}
