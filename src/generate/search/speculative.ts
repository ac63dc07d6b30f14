/**
 * Speculative (assisted) greedy decoding (HF `assistant_model` with greedy search; Leviathan et
 * al. 2023, Chen et al. 2023): a small draft model proposes K tokens greedily, the target model
 * scores the last accepted token and the K proposals in one forward pass (K + 1 logit rows),
 * and the proposals are accepted while they equal the target's greedy choice; the first
 * mismatch is replaced by the target's token, and when all K match the target's next token
 * comes for free. Every token is the argmax of the target's processed logits given the tokens
 * before it, so the output is the target's plain greedy output (up to float rounding between a
 * one-row and a many-row product); only the number of target forward passes changes.
 *
 * Both sessions keep a KV cache and are cut back (DecoderSession.truncate) to the accepted
 * prefix after each verification. One prompt, decoder-only models sharing a vocabulary.
 */
import { ArgumentError } from '../../core/errors.ts';
import type { DecoderSession, GenerativeModel } from '../model.ts';
import { greedyToken } from '../sampler.ts';
import { DecodeRows } from './decode-rows.ts';
import type { DecodeSetup, RowResult } from './sample.ts';

export interface SpeculativeStats {
  /** Target forward passes (the prefill included). */
  targetForwards: number;
  /** Draft tokens proposed, and how many the target accepted. */
  proposed: number;
  accepted: number;
}

function argmaxRow(logits: Float32Array, row: number, V: number): number {
  let best = row * V;
  for (let i = row * V + 1; i < (row + 1) * V; i++) if (logits[i]! > logits[best]!) best = i;
  return best - row * V;
}

/** Feeds `tokens` after `cached` positions of a batch-1 session (no padding); returns [T, V] or [1, V] logits. */
function feed(session: DecoderSession, cached: number, tokens: readonly number[], all: boolean): Float32Array {
  const T = tokens.length;
  return session.forward({
    tokens: Int32Array.from(tokens),
    length: T,
    attentionMask: new Uint8Array(cached + T).fill(1),
    positionIds: Int32Array.from({ length: T }, (_, i) => cached + i),
    allLogits: all,
  });
}

export function speculativeDecode(
  setup: DecodeSetup,
  draft: GenerativeModel,
  numDraftTokens: number,
): { results: RowResult[]; stats: SpeculativeStats } {
  const { model, cfg } = setup;
  if (setup.prompts.length !== 1) throw new ArgumentError('assistant_model', 'speculative decoding takes one prompt');
  if (cfg.doSample || cfg.numBeams > 1 || cfg.contrastive)
    throw new ArgumentError('assistant_model', 'speculative decoding is implemented for greedy search only');
  if (model.isEncoderDecoder === true || draft.isEncoderDecoder === true)
    throw new ArgumentError('assistant_model', 'speculative decoding needs decoder-only models');
  if (draft.vocabSize !== model.vocabSize)
    throw new ArgumentError(
      'assistant_model',
      `the draft model's vocabulary (${draft.vocabSize}) differs from the target's (${model.vocabSize})`,
    );
  if (!Number.isInteger(numDraftTokens) || numDraftTokens < 1)
    throw new ArgumentError('num_assistant_tokens', `must be a positive integer, got ${numDraftTokens}`);
  const V = model.vocabSize;
  const rows = new DecodeRows(setup);
  const full = rows.full[0]!;
  const maxLength = full.length + setup.maxNewTokens + numDraftTokens + 1;
  const target = model.startSession({ batchSize: 1, useCache: true, maxLength });
  const helper = draft.startSession({ batchSize: 1, useCache: true, maxLength });
  if (target.truncate === undefined || helper.truncate === undefined)
    throw new ArgumentError('assistant_model', 'both models need sessions that can cut their KV cache (truncate)');
  const stats: SpeculativeStats = { targetForwards: 0, proposed: 0, accepted: 0 };
  let tCached = 0;
  let dCached = 0;
  try {
    for (;;) {
      const n = full.length;
      const generated = rows.results[0]!.ids.length;
      // proposals that still leave room for the target's own token
      const K = Math.min(numDraftTokens, setup.maxNewTokens - generated - 1);
      const cands: number[] = [];
      let pending = full.slice(dCached);
      for (let i = 0; i < K; i++) {
        const logits = feed(helper, dCached, pending, false);
        dCached += pending.length;
        const c = argmaxRow(logits, 0, V);
        cands.push(c);
        pending = [c];
      }
      // one target pass: the unscored accepted tokens and the K proposals give K + 1 rows
      const tokens = [...full.slice(tCached), ...cands];
      const logits = feed(target, tCached, tokens, true);
      stats.targetForwards++;
      stats.proposed += K;
      tCached += tokens.length;
      const first = tokens.length - (K + 1);
      let stop = false;
      for (let i = 0; i <= K; i++) {
        const raw = logits.subarray((first + i) * V, (first + i + 1) * V);
        const scores = Float32Array.from(raw);
        rows.process([0], scores);
        const tok = greedyToken(scores, 0, V);
        if (rows.record(0, 0, tok, scores, raw) !== undefined) {
          stop = true;
          break;
        }
        if (i < K && tok === cands[i]) stats.accepted++;
        else break;
      }
      if (stop) break;
      // keep the caches to the accepted prefix: every token but the newest is scored
      tCached = full.length - 1;
      target.truncate(tCached);
      dCached = Math.min(dCached, n + (full.length - n - 1));
      helper.truncate(dCached);
    }
  } finally {
    target.free?.();
    helper.free?.();
  }
  return { results: rows.results, stats };
}
