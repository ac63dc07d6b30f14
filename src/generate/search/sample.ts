/**
 * Greedy and multinomial decoding (HF _sample). Each step: forward the rows still
 * running, copy the fp32 logits, run the processors (and warpers when sampling) on
 * the raw logits, then take argmax or draw from softmax. A row that stops (EOS, stop
 * string, callback, budget) leaves the batch: the session is reordered to the rows
 * still running, so finished rows cost nothing (HF instead keeps feeding them pad
 * tokens; the tokens of the other rows are the same either way).
 *
 * Draws consume the Generator row by row in row order, one draw per running row per
 * step, so a seed reproduces a run exactly for the same batch.
 */
import type { Generator as Rng } from '../../core/random.ts';
import type { ResolvedGenerationConfig } from '../config.ts';
import type { EncoderInput, GenerativeModel } from '../model.ts';
import type { LogitsProcessorList } from '../processor-list.ts';
import { greedyToken, sampleToken } from '../sampler.ts';
import type { FinishReason, StoppingCriteria } from '../stopping.ts';
import { DecodeRows, runToEnd } from './decode-rows.ts';
import { openDecodeState } from './run-setup.ts';

export interface DecodeSetup {
  model: GenerativeModel;
  cfg: ResolvedGenerationConfig;
  /** Decoder prompt of each row (rows already expanded for num_return_sequences). */
  prompts: readonly (readonly number[])[];
  /** The prompt index of each row. */
  promptIndex: readonly number[];
  /** Encoder-decoder only: the encoder input of each row, and the same as a padded batch. */
  encoderIds?: readonly (readonly number[])[];
  encoderInput?: EncoderInput;
  processors: LogitsProcessorList;
  stopping: StoppingCriteria;
  padTokenId: number;
  maxNewTokens: number;
  /** Decoder-only models whose rows outgrow their context: the model sees the last `window` tokens. */
  window?: number;
  /** Required when cfg.doSample. */
  rng?: Rng;
}

export interface RowResult {
  /** Generated token ids (prompt excluded). */
  ids: number[];
  finishReason: FinishReason;
  /** log-prob of each chosen token under the processed distribution (what was sampled from). */
  logprobs: number[];
  /** log-prob of each chosen token under the model's raw logits. */
  modelLogprobs: number[];
  /** The processed score row of each step (only with output_scores). */
  scores?: Float32Array[];
}

/** One step: for each row that was running, the token it got, and the rows that just finished. */
export interface StepEvent {
  step: number;
  rows: readonly number[];
  tokens: readonly number[];
  finished: ReadonlyMap<number, FinishReason>;
}

export function* sampleSteps(setup: DecodeSetup): Generator<StepEvent, RowResult[], void> {
  const { model, cfg, prompts } = setup;
  const V = model.vocabSize;
  const rows = new DecodeRows(setup);
  const state = openDecodeState(setup, prompts);
  let active = Array.from({ length: prompts.length }, (_, i) => i);
  try {
    for (let step = 0; active.length > 0; step++) {
      const logits = state.forward();
      const scores = Float32Array.from(logits);
      rows.process(active, scores);
      const tokens: number[] = [];
      const finished = new Map<number, FinishReason>();
      const keep: number[] = [];
      active.forEach((r, a) => {
        const tok = cfg.doSample ? sampleToken(scores, a, V, setup.rng!) : greedyToken(scores, a, V);
        tokens.push(tok);
        const reason = rows.record(r, a, tok, scores, logits);
        if (reason === undefined) keep.push(a);
        else finished.set(r, reason);
      });
      yield { step, rows: active, tokens, finished };
      if (keep.length === 0) break;
      state.append(tokens);
      if (keep.length < active.length) {
        state.reorder(Int32Array.from(keep));
        active = keep.map((a) => active[a]!);
      }
    }
  } finally {
    state.free();
  }
  return rows.results;
}

/** Runs sampleSteps to the end. */
export function sampleDecode(setup: DecodeSetup): RowResult[] {
  return runToEnd(sampleSteps(setup));
}
