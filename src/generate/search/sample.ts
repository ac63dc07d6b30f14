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
import type { Generator as Rng } from '../../engine/random.ts';
import type { ResolvedGenerationConfig } from '../config.ts';
import { DecodeState } from '../decode-state.ts';
import { logProbAt, row as rowOf } from '../math.ts';
import type { EncoderInput, GenerativeModel } from '../model.ts';
import type { ProcessContext } from '../processor.ts';
import type { LogitsProcessorList } from '../processor-list.ts';
import { greedyToken, sampleToken } from '../sampler.ts';
import type { FinishReason, StoppingCriteria } from '../stopping.ts';

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
  const { model, cfg, prompts, processors, stopping } = setup;
  const V = model.vocabSize;
  const n = prompts.length;
  const full = prompts.map((p) => [...p]);
  const results: RowResult[] = prompts.map(() => ({ ids: [], finishReason: 'length', logprobs: [], modelLogprobs: [] }));
  if (cfg.outputScores === true) for (const r of results) r.scores = [];
  const maxPrompt = prompts.reduce((m, p) => Math.max(m, p.length), 0);
  const state = new DecodeState(model, {
    prompts,
    padTokenId: setup.padTokenId,
    useCache: cfg.useCache,
    maxLength: maxPrompt + setup.maxNewTokens,
    ...(setup.encoderInput === undefined ? {} : { encoderInput: setup.encoderInput }),
  });
  let active = Array.from({ length: n }, (_, i) => i);
  try {
    for (let step = 0; active.length > 0; step++) {
      const logits = state.forward();
      const scores = Float32Array.from(logits);
      const ctx: ProcessContext = {
        promptLengths: active.map((r) => prompts[r]!.length),
        maxNewTokens: setup.maxNewTokens,
        batchIndex: active.map((r) => setup.promptIndex[r]!),
        ...(setup.encoderIds === undefined ? {} : { encoderIds: active.map((r) => setup.encoderIds![r]!) }),
      };
      processors.process(
        active.map((r) => full[r]!),
        scores,
        V,
        ctx,
      );
      const tokens: number[] = [];
      const finished = new Map<number, FinishReason>();
      const keep: number[] = [];
      active.forEach((r, a) => {
        const tok = cfg.doSample ? sampleToken(scores, a, V, setup.rng!) : greedyToken(scores, a, V);
        tokens.push(tok);
        const res = results[r]!;
        res.ids.push(tok);
        full[r]!.push(tok);
        res.logprobs.push(logProbAt(rowOf(scores, a, V), tok));
        res.modelLogprobs.push(logProbAt(rowOf(logits, a, V), tok));
        res.scores?.push(rowOf(scores, a, V).slice());
        const reason = stopping.check({ row: r, promptIndex: setup.promptIndex[r]!, ids: full[r]!, generated: res.ids });
        if (reason === undefined) keep.push(a);
        else {
          res.finishReason = reason;
          finished.set(r, reason);
        }
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
  return results;
}

/** Runs sampleSteps to the end. */
export function sampleDecode(setup: DecodeSetup): RowResult[] {
  const it = sampleSteps(setup);
  for (;;) {
    const r = it.next();
    if (r.done === true) return r.value;
  }
}
