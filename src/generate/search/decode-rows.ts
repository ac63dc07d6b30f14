/**
 * The per-row bookkeeping of the searches that pick one token per running row each step
 * (greedy/multinomial sampling and contrastive search): each row's ids so far, its result, the
 * processors' pass over the running rows and the recording of a chosen token. Shared so that both
 * searches report log-probs, scores and finish reasons identically.
 */
import { logProbAt, row as rowOf } from '../math.ts';
import type { FinishReason } from '../stopping.ts';
import { processContext } from './run-setup.ts';
import type { DecodeSetup, RowResult, StepEvent } from './sample.ts';

export class DecodeRows {
  /** One result per row of setup.prompts. */
  readonly results: RowResult[];
  /** Each row's prompt followed by its generated ids. */
  readonly full: number[][];

  constructor(private readonly setup: DecodeSetup) {
    this.full = setup.prompts.map((p) => [...p]);
    this.results = setup.prompts.map(() => ({ ids: [], finishReason: 'length', logprobs: [], modelLogprobs: [] }));
    if (setup.cfg.outputScores === true) for (const r of this.results) r.scores = [];
  }

  /** Runs the processors in place on `scores`, [active.length, V]: row a is setup row active[a]. */
  process(active: readonly number[], scores: Float32Array): void {
    this.setup.processors.process(
      active.map((r) => this.full[r]!),
      scores,
      this.setup.model.vocabSize,
      processContext(this.setup, active),
    );
  }

  /**
   * Appends `tok` to row r, whose processed scores and raw logits are row a of `scores` and
   * `logits`; records its log-probs (and scores); returns why the row stops, if it does.
   */
  record(r: number, a: number, tok: number, scores: Float32Array, logits: Float32Array): FinishReason | undefined {
    const V = this.setup.model.vocabSize;
    const res = this.results[r]!;
    const full = this.full[r]!;
    res.ids.push(tok);
    full.push(tok);
    res.logprobs.push(logProbAt(rowOf(scores, a, V), tok));
    res.modelLogprobs.push(logProbAt(rowOf(logits, a, V), tok));
    res.scores?.push(rowOf(scores, a, V).slice());
    const reason = this.setup.stopping.check({
      row: r,
      promptIndex: this.setup.promptIndex[r]!,
      ids: full,
      generated: res.ids,
    });
    if (reason !== undefined) res.finishReason = reason;
    return reason;
  }
}

/** Runs a step generator to the end and returns its rows' results. */
export function runToEnd(steps: Generator<StepEvent, RowResult[], void>): RowResult[] {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}
