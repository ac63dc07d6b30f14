/**
 * The padded layout every scoring pass uses (details 1, 3, 4, 9):
 *
 *   ids [B, P + R] = left-padded prompt (P columns) ‖ response (R columns, pad after it)
 *
 * The attention mask is 1 on real tokens, positions follow it (GPT.forward derives
 * cumsum(mask) - 1), so padding changes no number. The response mask covers the response
 * tokens up to and including the first EOS; logits at columns P-1 .. P+R-2 predict them.
 */
import { ArgumentError } from '../../core/errors.ts';

export interface SequenceBatch {
  B: number;
  /** Prompt columns (the longest prompt). */
  P: number;
  /** Response columns (the longest response). */
  R: number;
  /** [B, P + R] token ids, pad where the attention mask is 0. */
  ids: Int32Array;
  /** [B, P + R] 1 = real token. */
  attention: Int32Array;
  /** [B, R] 1 = response token (up to and including EOS). */
  responseMask: Float32Array;
  /** Valid response tokens per row (>= 1). */
  responseLengths: number[];
  /** Whether each response ended with EOS (else it was cut at the length budget). */
  hasEos: boolean[];
  prompts: number[][];
  responses: number[][];
}

/** Cuts a response after its first EOS (detail 9): what follows is not part of the episode. */
export function truncateAtEos(ids: readonly number[], eosId: number): number[] {
  const i = ids.indexOf(eosId);
  return i >= 0 ? ids.slice(0, i + 1) : [...ids];
}

export function buildSequenceBatch(
  prompts: readonly (readonly number[])[],
  responses: readonly (readonly number[])[],
  padId: number,
  eosId: number,
): SequenceBatch {
  const B = prompts.length;
  if (B === 0 || responses.length !== B)
    throw new ArgumentError(
      'buildSequenceBatch',
      `needs one response per prompt and at least one row (got ${B} prompts, ${responses.length} responses)`,
    );
  const cut = responses.map((r) => truncateAtEos(r, eosId));
  let P = 0;
  let R = 0;
  prompts.forEach((p, b) => {
    if (p.length === 0) throw new ArgumentError('buildSequenceBatch', `prompt ${b} is empty`);
    P = Math.max(P, p.length);
  });
  cut.forEach((r, b) => {
    if (r.length === 0) throw new ArgumentError('buildSequenceBatch', `response ${b} is empty`);
    R = Math.max(R, r.length);
  });
  const L = P + R;
  const ids = new Int32Array(B * L).fill(padId);
  const attention = new Int32Array(B * L);
  const responseMask = new Float32Array(B * R);
  for (let b = 0; b < B; b++) {
    const p = prompts[b]!;
    const r = cut[b]!;
    ids.set(p, b * L + P - p.length);
    attention.fill(1, b * L + P - p.length, b * L + P);
    ids.set(r, b * L + P);
    attention.fill(1, b * L + P, b * L + P + r.length);
    responseMask.fill(1, b * R, b * R + r.length);
  }
  return {
    B,
    P,
    R,
    ids,
    attention,
    responseMask,
    responseLengths: cut.map((r) => r.length),
    hasEos: cut.map((r) => r[r.length - 1] === eosId),
    prompts: prompts.map((p) => [...p]),
    responses: cut,
  };
}

/** The rows `rows` of a batch, re-padded to their own longest prompt and response. */
export function selectRows(batch: SequenceBatch, rows: readonly number[], padId: number, eosId: number): SequenceBatch {
  return buildSequenceBatch(
    rows.map((r) => batch.prompts[r]!),
    rows.map((r) => batch.responses[r]!),
    padId,
    eosId,
  );
}

/** Per-row [B, R] values of `src` (laid out for `from`) re-laid for `rows` of it in `to` (same response alignment). */
export function gatherRows(
  src: ArrayLike<number>,
  from: SequenceBatch,
  rows: readonly number[],
  to: SequenceBatch,
): Float32Array {
  const out = new Float32Array(to.B * to.R);
  rows.forEach((r, i) => {
    const n = from.responseLengths[r]!;
    for (let t = 0; t < n; t++) out[i * to.R + t] = src[r * from.R + t]!;
  });
  return out;
}

/** The inverse of gatherRows: a micro-batch's [b, R'] values written back into `rows` of the full [B, R] layout `dst`. */
export function scatterRows(
  src: ArrayLike<number>,
  part: SequenceBatch,
  rows: readonly number[],
  full: SequenceBatch,
  dst: Float32Array,
): void {
  rows.forEach((r, i) => {
    const n = full.responseLengths[r]!;
    for (let t = 0; t < n; t++) dst[r * full.R + t] = src[i * part.R + t]!;
  });
}

/** Index of each row's last response token in the [B, P + R] layout (where the RM reads its score). */
export function lastTokenColumns(batch: SequenceBatch): number[] {
  return batch.responseLengths.map((n) => batch.P + n - 1);
}
