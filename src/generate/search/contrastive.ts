/**
 * Contrastive search (Su et al. 2022; HF _contrastive_search). Each step, for every
 * running row:
 *   1. p = softmax(processed logits); the top_k tokens are the candidates;
 *   2. the session is expanded to top_k copies of each row and every candidate is
 *      run one step, giving its hidden state h and its next logits;
 *   3. score = (1 - alpha) * p(candidate) - alpha * max_j cos(h, c_j), where c_j are
 *      the row's earlier hidden states (prompt and generated, padding excluded as
 *      in HF's cosine_matrix_mask);
 *   4. the best candidate (first on ties, i.e. the more probable) is kept: its cache
 *      rows, its next logits and its hidden state, which joins the context.
 * The model's session must implement lastHiddenStates(). Rows leave the batch when
 * they stop, as in the greedy loop.
 */
import { ArgumentError } from '../../core/errors.ts';
import { row as rowOf, softmax, topkIndices } from '../math.ts';
import type { DecoderSession } from '../model.ts';
import type { FinishReason } from '../stopping.ts';
import { DecodeRows, runToEnd } from './decode-rows.ts';
import { openDecodeState } from './run-setup.ts';
import type { DecodeSetup, RowResult, StepEvent } from './sample.ts';

function hiddenOf(session: DecoderSession): { data: Float32Array; hiddenSize: number } {
  if (session.lastHiddenStates === undefined) {
    throw new ArgumentError(
      'contrastive search',
      "the model's session does not expose lastHiddenStates(); use greedy, sampling or beam search",
    );
  }
  return session.lastHiddenStates();
}

function unit(v: Float32Array): Float64Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  return Float64Array.from(v, (x) => x * inv);
}

export function* contrastiveSteps(setup: DecodeSetup): Generator<StepEvent, RowResult[], void> {
  const { model, cfg, prompts } = setup;
  const V = model.vocabSize;
  const K = Math.min(cfg.topK, V);
  const alpha = cfg.penaltyAlpha ?? 0;
  const n = prompts.length;
  const rows = new DecodeRows(setup);
  const state = openDecodeState(setup, prompts, 1);
  let active = Array.from({ length: n }, (_, i) => i);
  try {
    // the prompt pass: logits for the first step and the context hidden states (real positions only)
    let logits = Float32Array.from(state.forward());
    const first = hiddenOf(state.session);
    const H = first.hiddenSize;
    const L = state.length;
    const context: Float64Array[][] = active.map((_, a) => {
      const mask = state.maskRow(a);
      const T = first.data.length / (n * H); // the positions the call returned (L with or without a cache)
      const out: Float64Array[] = [];
      for (let j = 0; j < T; j++)
        if (mask[L - T + j] === 1) out.push(unit(first.data.subarray((a * T + j) * H, (a * T + j + 1) * H)));
      return out;
    });

    for (let step = 0; active.length > 0; step++) {
      const A = active.length;
      const scores = Float32Array.from(logits);
      rows.process(active, scores);
      // 1. candidates
      const cand = new Int32Array(A * K);
      const candP = new Float64Array(A * K);
      for (let a = 0; a < A; a++) {
        const p = softmax(rowOf(scores, a, V));
        const top = topkIndices(p, K);
        for (let j = 0; j < K; j++) {
          cand[a * K + j] = top[j]!;
          candP[a * K + j] = p[top[j]!]!;
        }
      }
      // 2. run every candidate one step
      state.reorder(Int32Array.from({ length: A * K }, (_, i) => Math.floor(i / K)));
      state.append(cand);
      const next = state.forward();
      const hid = hiddenOf(state.session);
      const T = hid.data.length / (A * K * H);
      // 3-4. rank and keep the best candidate of each row
      const tokens: number[] = [];
      const finished = new Map<number, FinishReason>();
      const keep: number[] = [];
      for (let a = 0; a < A; a++) {
        let best = 0;
        let bestScore = -Infinity;
        let bestHidden: Float64Array | undefined;
        for (let j = 0; j < K; j++) {
          const i = a * K + j;
          const h = unit(hid.data.subarray((i * T + T - 1) * H, (i * T + T) * H));
          let pen = -Infinity;
          for (const c of context[a]!) {
            let dot = 0;
            for (let d = 0; d < H; d++) dot += c[d]! * h[d]!;
            if (dot > pen) pen = dot;
          }
          const s = (1 - alpha) * candP[i]! - alpha * pen;
          if (s > bestScore) {
            bestScore = s;
            best = j;
            bestHidden = h;
          }
        }
        const r = active[a]!;
        const tok = cand[a * K + best]!;
        tokens.push(tok);
        context[a]!.push(bestHidden!);
        const reason = rows.record(r, a, tok, scores, logits);
        if (reason === undefined) keep.push(a * K + best);
        else finished.set(r, reason);
      }
      yield { step, rows: active, tokens, finished };
      if (keep.length === 0) break;
      state.reorder(Int32Array.from(keep));
      logits = new Float32Array(keep.length * V);
      keep.forEach((i, k) => logits.set(rowOf(next, i, V), k * V));
      const kept = new Set(keep.map((i) => Math.floor(i / K)));
      const survivors = active.map((_, a) => a).filter((a) => kept.has(a));
      context.splice(0, context.length, ...survivors.map((a) => context[a]!));
      active = survivors.map((a) => active[a]!);
    }
  } finally {
    state.free();
  }
  return rows.results;
}

export function contrastiveDecode(setup: DecodeSetup): RowResult[] {
  return runToEnd(contrastiveSteps(setup));
}
